"""Search benchmark: a Japanese word inside longer runs (read as a substring, store/unspaced.py) against an English
word (through the index), on one SQLite store.

Run by hand, never in CI:
    python bench/unspaced_search.py [--mentions 200000 --rounds 5] [--before REV]

Half the generated mentions are English, half Japanese written without spaces (bench/themes_cjk.py's generator);
1 % of the Japanese hold コーヒー inside a run, 1 % of the English "coffee", and one English post in 50 is Korean,
a tenth of those holding 환불 with a particle. Each round times a search of each word for the first 50 matches
(what `query` lists), for every match (`export`, `--all`), and for the first 50 by relevance, and the medians of
wall seconds are printed. With --before, the store is made once and each round searches it with the code at REV
and with this code, in child processes, alternately (A B A B ...), and the ratios of the medians are printed too.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Last: a child comparing an earlier commit finds that commit's brandpulse first on PYTHONPATH (bench/revision.py).
sys.path.append(str(REPO))

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
ENGLISH = "the app crashed again and my order is late support never answers refund please charged twice".split()
KOREAN = "배송이 느려요 환불이 안 돼요 앱이 또 멈췄어요 결제가 두 번 됐어요 고객센터는 답이 없네요".split()
# (search, limit, order) as `query` and `export` run them.
RUNS = [(word, limit, order) for word in ("coffee", "コーヒー", "환불")
        for limit, order in ((50, "newest"), (None, "newest"), (50, "relevance"))]

def _texts(count: int, rng: random.Random) -> list[str]:
    # Here, not at the top: themes_cjk puts this checkout first on the path, and a child must import REV's brandpulse.
    from bench.themes_cjk import PARTICLES, _japanese_vocabulary

    vocabulary = _japanese_vocabulary(rng)
    texts = []
    for k in range(count):
        if k % 2:
            words = [rng.choice(vocabulary) + rng.choice(PARTICLES) for _ in range(8)]
            if rng.random() < 0.01:
                words.insert(4, "コーヒー")
            texts.append("".join(words))
        elif k % 100 == 98:
            words = [rng.choice(KOREAN) for _ in range(6)] + (["환불은"] if rng.random() < 0.1 else [])
            texts.append(" ".join(words))
        else:
            words = [rng.choice(ENGLISH) for _ in range(14)] + (["coffee"] if rng.random() < 0.01 else [])
            texts.append(" ".join(words))
    return texts


def _timed(db, search: str, limit: int | None, order: str) -> float:
    from brandpulse.store.queries import MentionFilter, iter_mentions

    started = time.perf_counter()
    sum(1 for _ in iter_mentions(db, MentionFilter(search=search), ("id",), order=order, limit=limit))
    return time.perf_counter() - started


def _times(store: Path, rounds: int) -> list[list[float]]:
    """Seconds of each run of RUNS on the store, `rounds` times each."""
    from brandpulse.store import open_db

    db = open_db(store, read_only=True)
    try:
        return [[_timed(db, *run) for _ in range(rounds)] for run in RUNS]
    finally:
        db.close()


def _make(store: Path, mentions: int) -> None:
    from brandpulse.collectors.base import Mention
    from brandpulse.store import mentions as store_mentions
    from brandpulse.store import open_db

    db = open_db(store)
    texts = _texts(mentions, random.Random(7))
    store_mentions.save_mentions(db, [Mention(source="x", external_id=str(k), text=t, created_at=NOW)
                                      for k, t in enumerate(texts)], NOW)
    db.close()


def _child(package: Path | None, store: Path) -> list[float]:
    """One round of RUNS in a child Python importing brandpulse from `package` (None: this checkout)."""
    from revision import child_env

    done = subprocess.run([sys.executable, __file__, "--child", str(store)], check=True, capture_output=True,
                          text=True, env=child_env(package))
    return [statistics.median(found) for found in json.loads(done.stdout.splitlines()[-1])]


def _label(run: tuple[str, int | None, str]) -> str:
    search, limit, order = run
    return f"{search!r:10} limit {limit!s:5} {order:9}"


def _compare(before: str, store: Path, rounds: int, where: Path) -> None:
    from revision import package_at, remove

    package = package_at(before, where)
    try:
        times: dict[str, list[list[float]]] = {"before": [], "now": []}
        for _ in range(rounds):
            times["before"].append(_child(package, store))
            times["now"].append(_child(None, store))
    finally:
        remove(where)
    for k, run in enumerate(RUNS):
        medians = {label: statistics.median(found[k] for found in rounds_) for label, rounds_ in times.items()}
        print(f"{_label(run)} before ({before}) {medians['before'] * 1000:8.1f} ms, "
              f"now {medians['now'] * 1000:8.1f} ms: {medians['now'] / medians['before']:.2f}x")


def main() -> None:
    """Generate the store, then time the searches round after round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_times(args.child, 3)))  # the median of 3 in each child: the first warms its caches
        return
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "bench.db"
        _make(store, args.mentions)
        if args.before:
            sys.path.append(str(REPO / "bench"))
            _compare(args.before, store, args.rounds, Path(folder) / "before")
            return
        for run, times in zip(RUNS, _times(store, args.rounds)):
            print(f"{_label(run)} median {statistics.median(times) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
