"""Ingest benchmark of the search shadow: saving mentions (English, Japanese, and Japanese with Latin brand names
written against it) into a SQLite store now and at an earlier commit, in one run.

Run by hand, never in CI:
    python bench/search_ingest.py [--before REV] [--mentions 20000] [--rounds 5]
REV defaults to the commit before the one that added `mentions.search_text` (the index reading text in NFKC, split
at script boundaries). Each round saves each corpus, in batches of 1,000 (the bulk path, one FTS statement a batch),
into a fresh store with the earlier code and with this code, alternately (A B A B ...), each in a child process;
the medians of wall seconds are compared, so a loaded machine slows both alike. Then a store the earlier code made
of all three corpora is opened by this code, which upgrades it (filling `search_text` and rebuilding the index), and
the upgrade is timed.
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

from revision import child_env, package_at, remove  # bench/, first on the path of a script run by hand

BATCH = 1000
LATIN = ["Pinebrook", "iPhone15", "Acme", "ＡＣＭＥ", "Ａcme", "App Store"]


def corpora(count: int) -> dict[str, list[str]]:
    """The texts of each corpus, generated with one seed."""
    from themes_cjk import english_texts, japanese_texts

    rng = random.Random(7)
    japanese = japanese_texts(rng, count)
    glued = [f"{rng.choice(LATIN)}{text}" if rng.random() < 0.5 else f"{text}{rng.choice(LATIN)}のｺｰﾋｰ"
             for text in japanese_texts(rng, count)]
    return {"English": english_texts(rng, count), "Japanese": japanese, "Japanese with Latin words": glued}


def child(texts_file: Path, workdir: Path) -> None:
    """Save the texts of `texts_file` into a fresh store under `workdir`; print the wall seconds it took."""
    from brandpulse.collectors.base import Mention
    from brandpulse.store import open_db
    from brandpulse.store.mentions import save_mentions

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    mentions = [Mention(source="x", external_id=str(k), text=t, created_at=now, brand="Pinebrook")
                for k, t in enumerate(texts)]
    db = open_db(workdir / "store.db")
    start = time.perf_counter()
    for at in range(0, len(mentions), BATCH):
        save_mentions(db, mentions[at:at + BATCH], now)
    print(time.perf_counter() - start)
    db.close()


def upgrade_child(store: Path) -> None:
    """Open (so upgrade) the store at `store`; print the wall seconds it took."""
    from brandpulse.store import open_db

    start = time.perf_counter()
    open_db(store).close()
    print(time.perf_counter() - start)


def run_upgrade(before: Path, texts: list[str], where: Path) -> tuple[float, float]:
    """Seconds to save `texts` with the earlier code, and for this code to upgrade that store."""
    texts_file, workdir = where / "all.json", where / "upgraded"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    workdir.mkdir()
    saved = subprocess.run([sys.executable, __file__, "--child", str(texts_file), str(workdir)], check=True,
                           capture_output=True, text=True, env=child_env(before))
    upgraded = subprocess.run([sys.executable, __file__, "--upgrade", str(workdir / "store.db")], check=True,
                              capture_output=True, text=True, env=child_env(None))
    return float(saved.stdout.split()[-1]), float(upgraded.stdout.split()[-1])


def run_child(package: Path | None, texts_file: Path) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        done = subprocess.run([sys.executable, __file__, "--child", str(texts_file), workdir], check=True,
                              capture_output=True, text=True, env=child_env(package))
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="af572dd")
    parser.add_argument("--mentions", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--upgrade", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.upgrade:
        upgrade_child(args.upgrade)
        return
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        before = package_at(args.before, where)
        try:
            made = corpora(args.mentions)
            for name, texts in made.items():
                texts_file = where / "texts.json"
                texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
                times: dict[str, list[float]] = {"before": [], "now": []}
                for _ in range(args.rounds):
                    times["before"].append(run_child(before, texts_file))
                    times["now"].append(run_child(None, texts_file))
                medians = {label: statistics.median(found) for label, found in times.items()}
                print(f"{name}: {args.mentions:,} mentions saved, median of {args.rounds}: before ({args.before}) "
                      f"{medians['before']:.2f} s, now {medians['now']:.2f} s: "
                      f"{medians['now'] / medians['before']:.2f}x")
            every = [text for texts in made.values() for text in texts]
            saved, upgraded = run_upgrade(before, every, where)
            print(f"upgrade of a store of the {len(every):,} mentions made by {args.before} (saved in {saved:.2f} s): "
                  f"{upgraded:.2f} s")
        finally:
            remove(where)


if __name__ == "__main__":
    main()
