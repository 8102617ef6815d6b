"""What hardening costs per job run: recording a job's outcome, against the cheapest write (a state upsert).

Run by hand from the repository root: `python -m bench.bench_hardening [RUNS]`; prints per-call times and
the ratios against the baseline measured in the same run.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from brandpulse.store import open_db, transaction
from brandpulse.store.jobs import record_job_run
from brandpulse.store.lock import ServiceLock
from brandpulse.store.state import set_value

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _per_call(work, runs: int) -> float:
    start = time.perf_counter()
    for n in range(runs):
        work(n)
    return (time.perf_counter() - start) / runs


def main(runs: int = 2000) -> None:
    """Print the cost of a job-run record, of a baseline upsert and of taking the service lock."""
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "bench.db")

        def baseline(n: int) -> None:
            with transaction(db):
                set_value(db, "bench", str(n))

        def recorded(n: int) -> None:
            record_job_run(db, f"job{n % 6}", NOW, NOW + timedelta(seconds=1), None if n % 5 else "boom")

        def lock(n: int) -> None:
            ServiceLock(Path(folder) / "bench.db").acquire().release()

        base, job, locked = _per_call(baseline, runs), _per_call(recorded, runs), _per_call(lock, runs)
        db.close()
    print(f"baseline state upsert: {base * 1e6:8.1f} us/call")
    print(f"record_job_run:        {job * 1e6:8.1f} us/call  ({job / base:.2f}x baseline)")
    print(f"service lock take+drop:{locked * 1e6:8.1f} us/call  ({locked / base:.2f}x baseline)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
