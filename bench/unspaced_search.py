"""Search benchmark: a Japanese word inside longer runs (read as a substring, store/unspaced.py) against an English
word (through the index), on one SQLite store.

Run by hand, never in CI:
    python bench/unspaced_search.py [--mentions 200000 --rounds 5]

Half the generated mentions are English, half Japanese written without spaces (bench/themes_cjk.py's generator);
1 % of the Japanese hold コーヒー inside a run, 1 % of the English "coffee". Each round times a search of either
word for the first 50 matches (what `query` lists) and for every match (`export`, `--all`), and the medians of wall
seconds are printed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.themes_cjk import PARTICLES, _japanese_vocabulary  # noqa: E402
from brandpulse.collectors.base import Mention  # noqa: E402
from brandpulse.store import open_db  # noqa: E402
from brandpulse.store import mentions as store_mentions  # noqa: E402
from brandpulse.store.queries import MentionFilter, iter_mentions  # noqa: E402

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
ENGLISH = "the app crashed again and my order is late support never answers refund please charged twice".split()


def _texts(count: int, rng: random.Random) -> list[str]:
    vocabulary = _japanese_vocabulary(rng)
    texts = []
    for k in range(count):
        if k % 2:
            words = [rng.choice(vocabulary) + rng.choice(PARTICLES) for _ in range(8)]
            if rng.random() < 0.01:
                words.insert(4, "コーヒー")
            texts.append("".join(words))
        else:
            words = [rng.choice(ENGLISH) for _ in range(14)] + (["coffee"] if rng.random() < 0.01 else [])
            texts.append(" ".join(words))
    return texts


def _timed(db, search: str, limit: int | None) -> float:
    started = time.perf_counter()
    sum(1 for _ in iter_mentions(db, MentionFilter(search=search), ("id",), limit=limit))
    return time.perf_counter() - started


def main() -> None:
    """Generate the store, then time both searches round after round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "bench.db")
        texts = _texts(args.mentions, random.Random(7))
        store_mentions.save_mentions(db, [Mention(source="x", external_id=str(k), text=t, created_at=NOW)
                                          for k, t in enumerate(texts)], NOW)
        for search in ("coffee", "コーヒー"):
            for limit in (50, None):
                times = [_timed(db, search, limit) for _ in range(args.rounds)]
                print(f"{search!r:12} limit {limit!s:5} median {statistics.median(times) * 1000:8.1f} ms")
        db.close()


if __name__ == "__main__":
    main()
