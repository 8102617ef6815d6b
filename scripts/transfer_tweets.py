"""Unlabelled tweets for `brandpulse sentiment train --transfer`: one normalised tweet per line, from CSV columns.

    python scripts/transfer_tweets.py OUT FILE.csv:COLUMN [...] --exclude train_text.txt --exclude val_text.txt ...

A tweet is dropped when it is a duplicate, has fewer than three words, or equals (ignoring case, punctuation and
spacing) a line of an --exclude file: the TweetEval splits, so that the teachers never label a dev, val or test tweet.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from brandpulse.sentiment.normalize import normalize

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def key(text: str) -> str:
    """What two tweets must share to count as the same one."""
    return _NOT_ALNUM.sub("", text.lower())


def column_texts(spec: str) -> list[str]:
    """The texts of column COLUMN (0-based) of FILE, for a spec "FILE:COLUMN"."""
    name, _, column = spec.rpartition(":")
    index = int(column)
    with open(name, encoding="utf-8", errors="replace", newline="") as rows:
        return [row[index] for row in csv.reader(rows) if len(row) > index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("sources", nargs="+", metavar="FILE:COLUMN")
    parser.add_argument("--exclude", action="append", default=[], type=Path, metavar="TEXT_FILE")
    args = parser.parse_args()
    seen = {key(normalize(line)) for path in args.exclude for line in path.read_text(encoding="utf-8").splitlines()}
    kept = []
    for spec in args.sources:
        before = len(kept)
        for text in map(normalize, column_texts(spec)):
            if len(text.split()) >= 3 and key(text) not in seen:
                seen.add(key(text))
                kept.append(text)
        print(f"{spec}: {len(kept) - before} tweets kept", file=sys.stderr)
    args.out.write_text("".join(text + "\n" for text in kept), encoding="utf-8")
    print(f"wrote {len(kept)} tweets to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
