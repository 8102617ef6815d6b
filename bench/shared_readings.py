"""rescore's shared_readings on SQLite: copies of two-brand posts holding one reading, in a store of 200,000 mentions.

Run by hand, never in CI:
    python bench/shared_readings.py [--mentions 200000 --rounds 5 --workdir /tmp/brandpulse-shared]

The store (reused when present) holds model-read mentions, 20 % of them posts stored for two brands with one reading
(the copies rescore reads again), half of those saying something else of each brand. Rounds alternate shared_readings,
the count `status` made before it read a recorded one (every copy's clauses read), the recorded count `status` reads
now (`Pipeline.waiting_per_brand`, after the service's `follow_shared` recorded it) and, as the yardstick, one scan
counting the mentions by brand (A B C D A B C D ...); medians of wall seconds are compared, and the query plan printed.
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

from brandpulse.config import load_config  # noqa: E402
from brandpulse.pipeline import Pipeline  # noqa: E402
from brandpulse.store.db import open_db  # noqa: E402
from brandpulse.store.rescore import _SHARED, shared_readings, shared_upto  # noqa: E402
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
        told = f"{brands[0]} lost my parcel again, but {brands[-1]} was lovely" if post % 2 else " and ".join(brands)
        text = f"post {post} about {told} " + "words " * rng.randint(5, 30)
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


def _timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/brandpulse-shared"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"shared-told-{args.mentions}.db"
    build(path, args.mentions)
    config = args.workdir / "brands.yaml"
    config.write_text("brands:\n" + "".join(f"  - {{name: {b}, keywords: ['{b.lower()}']}}\n" for b in BRANDS)
                      + "sentiment: {device: cpu}\n", encoding="utf-8")
    pipeline = Pipeline(load_config(config), path)
    recorded, waiting = _timed(pipeline.follow_shared)  # the service's start: marks the store, counts, records
    print(f"follow_shared (service start): {recorded:.3f} s, {waiting:,} copies wait")
    db = open_db(path, read_only=True)
    upto = shared_upto(db)
    for row in db.execute("EXPLAIN QUERY PLAN " + _SHARED, [None, None, None, None]).fetchall():
        print("  plan:", row[-1])
    runs = {"shared_readings": lambda: shared_readings(db, None, upto),
            "status count before (read every copy)": lambda: len(pipeline._shared_to_read(db, None, upto)),
            "status count now (recorded)": lambda: pipeline.waiting_per_brand(db),
            "scan": lambda: db.execute(SCAN).fetchall()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    counts = {}
    for _ in range(args.rounds):
        for name, run in runs.items():
            seconds, counts[name] = _timed(run)
            times[name].append(seconds)
    for name, seconds in times.items():
        print(f"{name}, {args.mentions:,} mentions: median {statistics.median(seconds):.4f} s of {args.rounds} "
              f"({', '.join(f'{s:.4f}' for s in seconds)})")
    before, now = (statistics.median(times[name]) for name in list(runs)[1:3])
    assert counts["status count now (recorded)"] == counts["status count before (read every copy)"] == waiting
    print(f"{len(counts['shared_readings']):,} copies share a reading, {waiting:,} wait for rescore; "
          f"status's count now/before: {now / before:.5f}x ({before / now:,.0f} times faster); "
          f"shared_readings/scan: "
          f"{statistics.median(times['shared_readings']) / statistics.median(times['scan']):.2f}x")


if __name__ == "__main__":
    main()
