"""stats --tz benchmark: `stats --by day` in Europe/Berlin against UTC over a SQLite store of 1,000,000 mentions.

Run by hand, never in CI:
    python bench/stats_zones.py [--mentions 1000000 --rounds 5 --workdir /tmp/brandpulse-zones]

The store (reused when present) holds 5 brands' mentions spread evenly over two years (four clock changes), written
straight into the mentions table in one transaction. Rounds alternate UTC and Berlin (A B A B ...); the medians of
wall seconds are compared, and the two zones' row counts printed.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from brandpulse.store.db import open_db  # noqa: E402
from brandpulse.store.stats import sentiment_stats  # noqa: E402
from brandpulse.store.timestamps import to_db  # noqa: E402

BRANDS = ["Acme", "Pinebrook Coffee", "Halcyon Hotels", "Vela Energy", "Quill Books"]
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
DAYS = 730
INSERT = ("INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at, label, category, "
          "complaint) VALUES ('bench', ?, ?, 'x', ?, ?, ?, ?, ?)")


def build(path: Path, count: int) -> None:
    """A store of `count` mentions over DAYS days, unless `path` holds one already."""
    if path.exists():
        return
    open_db(path).close()
    rng = random.Random(3)
    step = DAYS * 86400 / count
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(INSERT, (
            (str(i), rng.choice(BRANDS), to_db(START + timedelta(seconds=i * step)), to_db(START),
             *rng.choice([("positive", "promoter"), ("neutral", "passive"), ("negative", "detractor"), (None, None)]),
             rng.random()) for i in range(count)))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--by", default="day")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/brandpulse-zones"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"zones-{args.mentions}.db"
    build(path, args.mentions)
    db = open_db(path, read_only=True)
    times: dict[str, list[float]] = {"UTC": [], "Europe/Berlin": []}
    rows = {}
    for _ in range(args.rounds):
        for zone in times:
            start = time.perf_counter()
            rows[zone] = sentiment_stats(db, args.by, brands=BRANDS, zone=zone)
            times[zone].append(time.perf_counter() - start)
    for zone, seconds in times.items():
        print(f"stats --by {args.by} --tz {zone}, {args.mentions:,} mentions: "
              f"median {statistics.median(seconds):.3f} s of {args.rounds} "
              f"({', '.join(f'{s:.2f}' for s in seconds)}), {len(rows[zone]):,} rows")
    print(f"ratio Berlin/UTC: {statistics.median(times['Europe/Berlin']) / statistics.median(times['UTC']):.2f}x")


if __name__ == "__main__":
    main()
