"""Collector throughput, run by hand: `python bench/collect_bench.py [--reviews 5000] [--repeat 3]`.

Serves App Store review pages and an Atom feed from a local HTTP server and times, in the same run:
the baseline (fetch + decode the same pages, nothing else), each collector's `collect`, and `save_mentions`
into a fresh SQLite file. Prints mentions per second and the ratio of each step to the baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brandpulse.collectors.appstore import AppStoreCollector  # noqa: E402
from brandpulse.collectors.base import BrandQuery  # noqa: E402
from brandpulse.collectors.feed import FeedCollector  # noqa: E402
from brandpulse.store import open_db  # noqa: E402
from brandpulse.store.mentions import save_mentions  # noqa: E402
from tests.local_http import LocalServer, Reply  # noqa: E402

APP = "1234567890"
BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook",))
T0 = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def apple_pages(total: int, per_page: int) -> list[bytes]:
    pages = []
    for page in range(total // per_page):
        entries = [{"id": {"label": str(10_000_000 + page * per_page + i)}, "im:rating": {"label": str(1 + i % 5)},
                    "updated": {"label": (T0 - timedelta(minutes=page * per_page + i)).isoformat()},
                    "title": {"label": f"Review {i}"}, "content": {"label": "Pinebrook app charged me twice " * 3},
                    "author": {"name": {"label": f"user{i}"}}} for i in range(per_page)]
        links = [{"attributes": {"rel": "next", "href": "x"}}]
        pages.append(json.dumps({"feed": {"entry": entries, "link": links}}).encode())
    return pages


def atom(total: int) -> bytes:
    entries = "".join(
        f"<entry><id>urn:r:{i}</id><title>Rated {1 + i % 5} out of 5</title><updated>"
        f"{(T0 - timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>"
        f"<summary>Pinebrook review number {i}, the queue was long</summary></entry>"
        for i in range(total))
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'.encode()


def best(repeat: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.reviews < 500 or args.reviews % 500:
        parser.error("--reviews must be a multiple of 500: the App Store serves pages of 500 reviews")
    server = LocalServer()
    pages = apple_pages(args.reviews, 500)
    for n, body in enumerate(pages, start=1):
        server.route(f"/us/rss/customerreviews/page={n}/id={APP}/sortby=mostrecent/json", Reply(200, body))
    server.route(f"/us/rss/customerreviews/page={len(pages) + 1}/id={APP}/sortby=mostrecent/json", Reply(200, b'{"feed": {}}'))
    server.route("/feed", Reply(200, atom(args.reviews), {"Content-Type": "application/atom+xml"}))
    session = requests.Session()
    urls = [f"{server.url}/us/rss/customerreviews/page={n}/id={APP}/sortby=mostrecent/json" for n in range(1, len(pages) + 1)]
    rows = []  # (step, seconds, its baseline's seconds, mentions it handled)
    base_s, _ = best(args.repeat, lambda: [session.get(u).json() for u in urls])
    rows.append(("appstore baseline: GET + json", base_s, base_s, args.reviews))
    app_s, result = best(args.repeat, lambda: AppStoreCollector("b", APP, "us", BRAND.brand, server.url,
                                                                len(pages) + 1).collect(BRAND, None))
    rows.append((f"appstore collect ({len(result.mentions)} mentions)", app_s, base_s, len(result.mentions)))
    feed_base, _ = best(args.repeat, lambda: feedparser.parse(session.get(f"{server.url}/feed").content))
    rows.append(("feed baseline: GET + feedparser", feed_base, feed_base, args.reviews))
    feed_s, feed_result = best(args.repeat, lambda: FeedCollector("f", f"{server.url}/feed", "feed",
                                                                  BRAND.brand).collect(BRAND, None))
    rows.append((f"feed collect ({len(feed_result.mentions)} mentions)", feed_s, feed_base, len(feed_result.mentions)))
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(1000))
        def save():
            db = open_db(Path(folder) / f"bench{next(counter)}.db")
            try:
                return save_mentions(db, result.mentions, T0, "b:Pinebrook Coffee", result.cursor)
            finally:
                db.close()
        save_s, _ = best(args.repeat, save)
        rows.append((f"save_mentions, fresh SQLite ({len(result.mentions)}) vs appstore baseline", save_s, base_s,
                     len(result.mentions)))
    server.close()
    # The ratio is of times: 2.0 means twice as long as its baseline.
    print(f"{'step (time ratio: against the baseline above it)':52} {'seconds':>8} {'mentions/s':>11} {'x time':>10}")
    for name, seconds, baseline, mentions in rows:
        print(f"{name:52} {seconds:8.3f} {mentions / seconds:11.0f} {seconds / baseline:10.2f}")


if __name__ == "__main__":
    main()
