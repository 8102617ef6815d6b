"""Store benchmark: bulk ingest, full-text search, stats and size on a generated store (default 1,000,000 mentions).

Run by hand, never in CI:  python bench/store.py --mentions 1000000 [--workdir /tmp/brandpulse-bench]
Every figure is printed with the size of the work and against a baseline measured in the same run, on the same
machine, so that the ratios stay meaningful on a busy host.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlite_utils  # noqa: E402

from brandpulse.store import open_db  # noqa: E402
from brandpulse.store.queries import MentionFilter, iter_mentions  # noqa: E402
from brandpulse.store.stats import sentiment_stats, stats_sql  # noqa: E402

BRANDS = {
    "Pinebrook Coffee": ["pinebrook", "@pinebrookcoffee"],
    "Northwind Air": ["northwind", "@northwindair"],
    "Lumen Bank": ["lumen bank", "@lumenbank"],
    "Orbit Mobile": ["orbit mobile", "@orbitmobile"],
    "Fjord Outdoor": ["fjord outdoor", "#fjordoutdoor"],
}
SOURCES = {"twitter": (35, 280), "reddit": (60, 1500), "appstore": (40, 700), "trustpilot": (60, 900)}
DAYS = 90
END = datetime(2026, 3, 1, tzinfo=timezone.utc)
SEARCHES = ["refund", '"double charged"', "delayed OR cancelled", "app crash*", "customer service", "love",
            "pinebrook", "NEAR(terrible support, 3)", "wifi", "overdraft"]
PHRASES = {
    "negative": ["I want a refund", "double charged again", "flight delayed three hours", "the app crashes on login",
                 "customer service never answers", "terrible support", "my order was cancelled", "overdraft fee"],
    "neutral": ["does anyone know the opening hours", "switching plans next month", "ordered the new one",
                "the update landed today", "comparing prices with", "is the wifi on board free"],
    "positive": ["love the new roast", "great customer service", "smooth flight and friendly crew",
                 "best banking app I have used", "coverage is excellent", "the jacket kept me dry"],
}


def _vocabulary(rng: random.Random) -> list[str]:
    words = ("the a and to of I it is in for my was on with this that you but not have they just so at be are "
             "from today order again week time still now really get got one all when what would like out").split()
    # Plus a long tail of rarer words, so the FTS index has a realistic Zipf-like shape.
    syllables = ["ka", "lo", "mi", "ren", "to", "sha", "vel", "dor", "pi", "qua", "ster", "ban", "ex", "ul", "ri"]
    tail = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(20000)}
    return words * 40 + sorted(tail)


def _text(rng: random.Random, vocab: list[str], keyword: str, label: str, low: int, high: int) -> str:
    # Log-normal lengths: most posts are short, a few are long, as on the real sources.
    length = int(min(high, max(low, rng.lognormvariate(4.6, 0.6))))
    parts = [rng.choice(PHRASES[label]), keyword]
    while sum(len(p) + 1 for p in parts) < length:
        parts.append(rng.choice(vocab))
    rng.shuffle(parts)
    return " ".join(parts)[:high]


def generate(path: Path, count: int, seed: int = 7) -> None:
    """Write `count` pre-labelled JSON Lines spread over 5 brands and 90 days, in time order as collectors store them."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    names, sources = list(BRANDS), list(SOURCES)
    step = DAYS * 86400 / count
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            brand, source = rng.choice(names), rng.choice(sources)
            label = rng.choices(("negative", "neutral", "positive"), (25, 40, 35))[0]
            created = END - timedelta(days=DAYS) + timedelta(seconds=i * step + rng.random() * step)
            record = {
                "source": source, "id": f"{source}-{i}", "brand": brand, "author": f"user{rng.randrange(200000)}",
                "url": f"https://{source}.example.com/p/{i}", "lang": "en", "label": label,
                "text": _text(rng, vocab, rng.choice(BRANDS[brand]), label, *SOURCES[source]),
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            if source in ("appstore", "trustpilot"):
                record["rating"] = {"negative": rng.randint(1, 2), "neutral": 3 + rng.randint(0, 1), "positive": 5}[label]
            out.write(json.dumps(record) + "\n")


def _config(workdir: Path) -> Path:
    lines = ["brands:"]
    for name, keywords in BRANDS.items():
        lines += [f"  - name: {name}", f"    keywords: {json.dumps(keywords)}"]
    path = workdir / "bench-config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _report(what: str, seconds: float, work: str, baseline: float, baseline_name: str) -> None:
    print(f"{what}: {seconds:.3f} s for {work}; baseline {baseline_name}: {baseline:.3f} s; ratio {seconds / baseline:.2f}x")


def bench_ingest(source: Path, workdir: Path, count: int) -> Path:
    """`brandpulse ingest` as a user runs it, against sqlite-utils insert_all into a bare table (no FTS, no index)."""
    base = workdir / "baseline.db"
    base.unlink(missing_ok=True)
    started = time.perf_counter()
    with source.open(encoding="utf-8") as lines:
        sqlite_utils.Database(base)["mentions"].insert_all((json.loads(line) for line in lines), batch_size=5000)
    baseline = time.perf_counter() - started

    db = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    command = [sys.executable, "-m", "brandpulse", "--config", str(_config(workdir)), "--db", str(db),
               "ingest", "--no-classify", str(source)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    print(f"  brandpulse ingest said: {done.stdout.strip() or done.stderr.strip()[-300:]}")
    print(f"ingest: {count:,} mentions in {seconds:.1f} s = {count / seconds:,.0f} mentions/s (target >= 20,000) "
          f"[FTS, 6 indexes, validation]; baseline sqlite-utils insert_all, no FTS/index: {baseline:.1f} s = "
          f"{count / baseline:,.0f}/s; ratio {seconds / baseline:.2f}x the baseline's time")
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    print(f"size: {size / count:,.0f} bytes per mention in the store ({size / 1e6:,.0f} MB); "
          f"JSON Lines input {source.stat().st_size / count:,.0f} bytes per line; "
          f"bare baseline table {base.stat().st_size / count:,.0f} bytes per row")
    return db


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]


def bench_search(db_path: Path, repeat: int) -> None:
    """Top-50 newest matches per search term, against the same search sorted by created_at (reads every match)."""
    db = open_db(db_path, read_only=True)
    times, sorted_times = [], []
    for term in SEARCHES:
        run = lambda term=term: list(iter_mentions(db, MentionFilter(search=term), limit=50))  # noqa: E731
        hits = db.execute("SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH ?", [term]).fetchone()[0]
        term_times = _timed(run, repeat)
        times += term_times
        by_date = lambda term=term: db.execute(  # noqa: E731
            """SELECT m.id FROM mentions_fts JOIN mentions m ON m.id = mentions_fts.rowid
               WHERE mentions_fts MATCH ? ORDER BY m.created_at DESC LIMIT 50""", [term]).fetchall()
        sorted_times += _timed(by_date, 2)
        print(f"  search {term!r}: {hits:,} matches, top-50 median {statistics.median(term_times) * 1000:.1f} ms")
    p95, sorted_p95 = _p95(times), _p95(sorted_times)
    print(f"query --search top-50: p95 {p95 * 1000:.1f} ms (target <= 50), median {statistics.median(times) * 1000:.1f} ms, "
          f"over {len(times)} searches of {len(SEARCHES)} terms; baseline FTS sorted by created_at p95 "
          f"{sorted_p95 * 1000:.0f} ms; ratio {p95 / sorted_p95:.3f}x")
    db.close()


def bench_stats(db_path: Path, repeat: int) -> None:
    """`stats --by day` over 30 days for one brand, against the same aggregate with the indexes disabled."""
    db = open_db(db_path, read_only=True)
    until = END
    since = until - timedelta(days=30)
    brand = next(iter(BRANDS))
    rows = db.execute("SELECT count(*) FROM mentions WHERE brand = ? AND created_at >= ? AND created_at < ?",
                      [brand, since.strftime("%Y-%m-%dT%H:%M:%SZ"), until.strftime("%Y-%m-%dT%H:%M:%SZ")]).fetchone()[0]
    times = _timed(lambda: sentiment_stats(db, "day", brand, since, until), repeat)
    sql, params = stats_sql(db.dialect, "day", brand, since, until)
    scan = sql.replace("FROM mentions WHERE", "FROM mentions NOT INDEXED WHERE")
    base = _timed(lambda: db.execute(scan, params).fetchall(), max(2, repeat // 10))
    p95 = _p95(times)
    print(f"stats --by day, 30 days, one brand ({rows:,} mentions, 30 buckets): p95 {p95 * 1000:.1f} ms (target <= 200), "
          f"median {statistics.median(times) * 1000:.1f} ms over {repeat} runs; baseline full scan median "
          f"{statistics.median(base) * 1000:.0f} ms; ratio {statistics.median(times) / statistics.median(base):.3f}x")
    db.close()


def bench_cli(db_path: Path, workdir: Path) -> None:
    """The commands end to end, Python start-up included, against `brandpulse --help` (start-up alone)."""
    base = [sys.executable, "-m", "brandpulse", "--config", str(_config(workdir)), "--db", str(db_path)]
    startup = min(_timed(lambda: subprocess.run(base + ["--help"], capture_output=True, check=True), 3))
    for args in (["query", "--search", "refund", "--limit", "50"],
                 ["stats", "--brand", next(iter(BRANDS)), "--by", "day", "--since", "2026-01-30", "--until", "2026-03-01"]):
        best = min(_timed(lambda args=args: subprocess.run(base + args, capture_output=True, check=True), 3))
        print(f"cli {' '.join(args[:2])}: best of 3 {best * 1000:.0f} ms end to end; `--help` start-up {startup * 1000:.0f} ms")


def main() -> None:
    """Generate (or reuse) the input, then run every benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/brandpulse-bench"))
    parser.add_argument("--repeat", type=int, default=20, help="Timed runs per search term and for stats.")
    parser.add_argument("--skip-ingest", action="store_true", help="Reuse the store of the previous run.")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    source = args.workdir / f"mentions-{args.mentions}.jsonl"
    if not source.exists():
        started = time.perf_counter()
        generate(source, args.mentions)
        print(f"generated {args.mentions:,} mentions in {time.perf_counter() - started:.0f} s -> {source}")
    db = args.workdir / "bench.db" if args.skip_ingest else bench_ingest(source, args.workdir, args.mentions)
    bench_search(db, args.repeat)
    bench_stats(db, args.repeat)
    bench_cli(db, args.workdir)
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
