"""rescore's shared_readings on SQLite: copies of two-brand posts holding one reading, in a store of 200,000 mentions.

Run by hand, never in CI:
    python bench/shared_readings.py [--mentions 200000 --rounds 5 --workdir /tmp/brandpulse-shared]

The store (reused when present) holds model-read mentions, 20 % of them posts stored for two brands with one reading
(the copies rescore reads again). Rounds alternate shared_readings and, as the yardstick, one scan counting the
mentions by brand (A B A B ...); medians of wall seconds are compared, and the query plan printed.
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
from brandpulse.store.rescore import _SHARED, shared_readings  # noqa: E402
from brandpulse.store.timestamps import to_db  # noqa: E402

BRANDS = ["Acme", "Pinebrook Coffee", "Halcyon Hotels", "Vela Energy", "Quill Books"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
INSERT = ("INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at, label, p_negative, "
          "p_neutral, p_positive, provenance) VALUES ('twitter', ?, ?, ?, ?, ?, 'neutral', ?, ?, ?, 'model')")
SCAN = "SELECT brand, count(*) FROM mentions GROUP BY brand"


def _rows(count: int):
    rng = random.Random(4)
    made = 0
    for post in range(count):
        if made >= count:
            return
        created = to_db(START + timedelta(seconds=post * 30))
        p = rng.random() / 2
        brands = rng.sample(BRANDS, 2) if rng.random() < 0.2 else [rng.choice(BRANDS)]
        text = f"post {post} about {' and '.join(brands)} " + "words " * rng.randint(5, 30)
        for brand in brands:
            made += 1
            yield str(post), brand, text, created, created, p, 0.5, 0.5 - p


def build(path: Path, count: int) -> None:
    """A store of `count` model-read mentions, unless `path` holds one already."""
    if path.exists():
        return
    open_db(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(INSERT, _rows(count))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/brandpulse-shared"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"shared-{args.mentions}.db"
    build(path, args.mentions)
    db = open_db(path, read_only=True)
    for row in db.execute("EXPLAIN QUERY PLAN " + _SHARED, [None, None]).fetchall():
        print("  plan:", row[-1])
    times: dict[str, list[float]] = {"shared_readings": [], "scan": []}
    found = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        found = shared_readings(db)
        times["shared_readings"].append(time.perf_counter() - start)
        start = time.perf_counter()
        db.execute(SCAN).fetchall()
        times["scan"].append(time.perf_counter() - start)
    for name, seconds in times.items():
        print(f"{name}, {args.mentions:,} mentions: median {statistics.median(seconds):.3f} s of {args.rounds} "
              f"({', '.join(f'{s:.3f}' for s in seconds)})")
    print(f"{len(found):,} copies share a reading; ratio shared_readings/scan: "
          f"{statistics.median(times['shared_readings']) / statistics.median(times['scan']):.2f}x")


if __name__ == "__main__":
    main()
