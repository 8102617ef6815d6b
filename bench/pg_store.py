"""PostgreSQL against SQLite on the same generated mentions, in one run: ingest with two processes, search, stats.

Run by hand, never in CI:  python bench/pg_store.py --mentions 1000000 [--workdir /tmp/brandpulse-pgbench] [--url URL]
Without --url a local server is started with pgserver (as the tests do). Each figure is printed for both stores and
against baselines measured in the same run: ../shared/bench/rawsqlite.py (the least a SQLite store can do) and a
bare PostgreSQL COPY into an unindexed table (the least a PostgreSQL store can do).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.store import BRANDS, END, SEARCHES, _config, _p95, _timed, generate  # noqa: E402
from brandpulse.store import open_db  # noqa: E402
from brandpulse.store.queries import MentionFilter, iter_mentions  # noqa: E402
from brandpulse.store.stats import sentiment_stats  # noqa: E402

# NEAR() has no PostgreSQL translation (see README): both stores are timed on the other terms.
TERMS = [term for term in SEARCHES if not term.startswith("NEAR")]


def _split(source: Path, parts: int) -> list[Path]:
    outs = [source.with_suffix(f".part{n}.jsonl") for n in range(parts)]
    if all(p.exists() for p in outs):
        return outs
    files = [p.open("w", encoding="utf-8") for p in outs]
    with source.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            files[n % parts].write(line)
    for f in files:
        f.close()
    return outs


def ingest_two(store: str, parts: list[Path], workdir: Path, count: int) -> float:
    """Two `brandpulse ingest` processes at once, each with half the mentions; returns mentions per second."""
    base = [sys.executable, "-m", "brandpulse", "--config", str(_config(workdir)), "--db", store,
            "ingest", "--no-classify"]
    started = time.perf_counter()
    running = [subprocess.Popen([*base, str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for p in parts]
    for process in running:
        out, err = process.communicate()
        print(f"  ingest said: {out.strip() or err.strip()[-300:]}")
    seconds = time.perf_counter() - started
    return count / seconds


def raw_sqlite(script: Path, source: Path, workdir: Path) -> float:
    """rawsqlite.py's mentions per second on the same file."""
    db = workdir / "raw.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    done = subprocess.run([sys.executable, str(script), str(source), str(db)],
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def raw_postgres(source: Path, url: str, count: int) -> float:
    """COPY of the JSON Lines' fields into an unindexed table: mentions per second."""
    import json

    import psycopg

    columns = ("source", "id", "brand", "text", "created_at", "author", "url", "lang", "label")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_mentions")
        conn.execute("CREATE TABLE raw_mentions (source text, id text, brand text, text text, created_at text, "
                     "author text, url text, lang text, label text)")
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY raw_mentions ({', '.join(columns)}) FROM STDIN") as copy:
            with source.open(encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    copy.write_row([record.get(c) for c in columns])
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE raw_mentions")
    return count / seconds


def search_p95(store: str, repeat: int) -> tuple[float, float]:
    """p95 and median seconds of `query --search` top-50 (newest first) over TERMS."""
    db = open_db(store, read_only=True)
    times = []
    for term in TERMS:
        times += _timed(lambda term=term: list(iter_mentions(db, MentionFilter(search=term), limit=50)), repeat)
    db.close()
    return _p95(times), statistics.median(times)


def stats_p95(store: str, repeat: int) -> tuple[float, float]:
    """p95 and median seconds of `stats --by day` over 30 days for one brand."""
    db = open_db(store, read_only=True)
    times = _timed(lambda: sentiment_stats(db, "day", next(iter(BRANDS)), END - timedelta(days=30), END), repeat)
    db.close()
    return _p95(times), statistics.median(times)


def ingest(args: argparse.Namespace, source: Path, parts: list[Path], sqlite_db: Path, url: str, fresh: bool) -> None:
    """Empty both stores, then time the baselines and the two-process ingest into each."""
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
    if fresh:
        import psycopg

        with psycopg.connect(url.replace("/bench?", "/postgres?"), autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench WITH (FORCE)")
            admin.execute("CREATE DATABASE bench")
    n = args.mentions
    raw_lite, raw_pg = raw_sqlite(args.rawsqlite, source, args.workdir), raw_postgres(source, url, n)
    lite, pg = ingest_two(str(sqlite_db), parts, args.workdir, n), ingest_two(url, parts, args.workdir, n)
    print(f"ingest, 2 processes, {n:,} mentions: SQLite {lite:,.0f}/s ({lite / raw_lite:.2f}x rawsqlite.py's "
          f"{raw_lite:,.0f}/s); PostgreSQL {pg:,.0f}/s ({pg / raw_pg:.2f}x a bare COPY's {raw_pg:,.0f}/s); "
          f"PostgreSQL/SQLite {pg / lite:.2f}x")


def _server(workdir: Path):
    import pgserver

    return pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")


def main() -> None:
    """Generate the input, then measure both stores and print the figures with their baselines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/brandpulse-pgbench"))
    parser.add_argument("--url", default=None, help="An empty PostgreSQL database (default: start one with pgserver).")
    parser.add_argument("--repeat", type=int, default=20, help="Timed runs per search term and for stats.")
    parser.add_argument("--rawsqlite", type=Path, default=REPO.parent / "shared" / "bench" / "rawsqlite.py",
                        help="The shared SQLite baseline script.")
    parser.add_argument("--skip-ingest", action="store_true", help="Reuse both stores of the previous run.")
    args = parser.parse_args()
    require(parser, args.rawsqlite)

    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    source = args.workdir / f"mentions-{args.mentions}.jsonl"
    if not source.exists():
        generate(source, args.mentions)
    parts = _split(source, 2)
    server = None if args.url else _server(args.workdir)
    url = args.url or server.get_uri()
    sqlite_db = args.workdir / "bench.db"
    if server is not None:
        url = url.replace("/postgres?", "/bench?")
    if not args.skip_ingest:
        ingest(args, source, parts, sqlite_db, url, server is not None)
    for name, bench in (("query --search top-50", search_p95), ("stats --by day, 30 days, one brand", stats_p95)):
        (lite_p95, lite_med), (pg_p95, pg_med) = bench(str(sqlite_db), args.repeat), bench(url, args.repeat)
        print(f"{name}: SQLite p95 {lite_p95 * 1000:.1f} ms (median {lite_med * 1000:.1f}); PostgreSQL p95 "
              f"{pg_p95 * 1000:.1f} ms (median {pg_med * 1000:.1f}); PostgreSQL/SQLite p95 {pg_p95 / lite_p95:.2f}x")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if server is not None:
        from brandpulse.store.postgres_backend import close_pools

        close_pools()
        server.cleanup()


if __name__ == "__main__":
    main()
