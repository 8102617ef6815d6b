"""Storm evidence on a large store: how long `with_evidence` takes for a storm window holding 30,000 posts to answer
(more than the 20,000 it lists) in a store of 200,000 mentions, on SQLite and PostgreSQL.

Run by hand:  python bench/answered.py [--workdir /tmp/brandpulse-bench-answered] [--repeat 5] [--no-postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brandpulse.alerting import with_evidence  # noqa: E402
from brandpulse.alerts.base import Alert  # noqa: E402
from brandpulse.config import Config  # noqa: E402
from brandpulse.store import open_db, transaction  # noqa: E402
from brandpulse.store.timestamps import to_db  # noqa: E402

STORM_END = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
STORM_START = STORM_END - timedelta(hours=1)
TOTAL, STORM, ANSWERED = 200_000, 30_000, 5_000
INSERT = """INSERT INTO mentions (source, external_id, brand, text, created_at, collected_at, label, category, score,
    complaint, classified_at, answered_by, answered_at) VALUES (?, ?, 'Acme', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
WORDS = "refund charged twice app crash login support slow delivery late broken order coffee cold".split()


def _rows(rng: random.Random):
    for i in range(TOTAL):
        storm = i < STORM
        at = STORM_START + timedelta(seconds=rng.randrange(3600)) if storm else \
            STORM_START - timedelta(seconds=rng.randrange(28 * 86400))
        negative = storm or rng.random() < 0.2
        stamp = to_db(at)
        answered = ("sam", stamp) if i < ANSWERED else (None, None)
        yield ("twitter", f"t{i}", " ".join(rng.choice(WORDS) for _ in range(8)), stamp, stamp,
               "negative" if negative else "positive", "detractor" if negative else "promoter",
               -0.8 if negative else 0.7, 0.9 if negative else 0.1, stamp, *answered)


def build(target) -> None:
    db = open_db(target)
    if db.execute("SELECT count(*) FROM mentions").fetchone()[0] != TOTAL:
        with transaction(db):
            db.execute("DELETE FROM mentions")
            db.executemany(INSERT, list(_rows(random.Random(7))))
        db.analyze("mentions")
    db.close()


def bench(target, repeat: int) -> None:
    config = Config.model_validate({"brands": [{"name": "Acme", "keywords": ["acme"]}]})
    alert = Alert("spike", "Acme", STORM_START, STORM_END, STORM, 10, 30, 5.0, "storm")
    db = open_db(target)
    times, answered = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        answered = with_evidence(config, db, alert).details["answered"]
        times.append(time.perf_counter() - start)
    db.close()
    print(f"{str(target)[:40]:40} with_evidence median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}) over {repeat}; answered = {answered} (true: {ANSWERED})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/brandpulse-bench-answered"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", help="a PostgreSQL database URL (else a local pgserver is started)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    targets: list = [args.workdir / "answered.db"]
    if not args.no_postgres:
        if args.url:
            targets.append(args.url)
        else:
            import pgserver

            targets.append(pgserver.get_server(args.workdir / "pg", cleanup_mode=None).get_uri())
    for target in targets:
        build(target)
        bench(target, args.repeat)


if __name__ == "__main__":
    main()
