"""Benchmark: is each mention's language right? Language detection (`sentiment.language`) on tweets in seven languages,
on their short tweets (at most 5 words) and on English tweets, without likely languages and with the deployment's
(`--likely`: the languages of its models and collectors), and as they were before `max_default` (0: a text is called
another language only when py3langid is sure of it), in one run, with the time each took.

Run by hand from the repository root:
    python bench/languages.py --xlmt DIR [--likely fr,de,...] [--english FILE ...] [--complaints FILE]
DIR is `data/sentiment` of the XLM-T repository (cardiffnlp/xlm-t: tweets in Arabic, English, French, German, Hindi,
Italian, Portuguese and Spanish, one folder per language; its test files are read, and for the short tweets its
train, val and test files, which hold 96 to 775 of them a language). Its Hindi tweets are mostly written in the Latin
script (Hinglish), which no detector reads as Hindi; the share is printed all the same. The English files default to
TweetEval's validation tweets and the complaints file in ../shared. For each set it prints the share of tweets given
the set's language; for English ones, also how many were called another language.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from inputs import require  # bench/, first on the path of a script run by hand

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
XLMT = {"arabic": "ar", "french": "fr", "german": "de", "hindi": "hi", "italian": "it", "portuguese": "pt",
        "spanish": "es", "english": "en"}
SHORT_WORDS = 5


def lines(path: Path) -> list[str]:
    return [line.rstrip("\n") for line in path.open(encoding="utf-8")]


def short(texts: list[str]) -> list[str]:
    """The texts of 1 to SHORT_WORDS words, mentions, hashtags and links left out as the detector leaves them."""
    from brandpulse.sentiment.language import _NOISE

    def words(text: str) -> int:
        return sum(bool(re.search(r"[^\W\d_]", word)) for word in _NOISE.sub(" ", text).split())

    return [text for text in texts if 1 <= words(text) <= SHORT_WORDS]


def text_sets(args: argparse.Namespace, english: list[Path]) -> list[tuple[str, str, list[str]]]:
    """(name, language, texts) of each set measured."""
    from brandpulse.sentiment.complaints import read_examples

    sets = [(f"XLM-T {folder}", code, lines(args.xlmt / folder / "test_text.txt")) for folder, code in XLMT.items()]
    for folder, code in XLMT.items():
        every = [text for split in ("train", "val", "test") for text in lines(args.xlmt / folder / f"{split}_text.txt")]
        sets.append((f"short {folder}", code, short(every)))
    sets += [(path.name, "en", lines(path)) for path in english]
    sets.append((args.complaints.name, "en", [example.text for example in read_examples(args.complaints)]))
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlmt", type=Path, required=True, help="XLM-T's data/sentiment folder")
    parser.add_argument("--likely", default="ar,fr,de,hi,it,pt,es",
                        help="The deployment's languages besides English, comma-separated (default: XLM-T's).")
    parser.add_argument("--english", type=Path, action="append", help="One English text per line (repeatable).")
    parser.add_argument("--complaints", type=Path, default=SHARED / "complaints" / "train.tsv")
    args = parser.parse_args()
    english = args.english or [SHARED / "tweeteval" / "val_text.txt"]
    require(parser, args.xlmt, args.complaints, *english)

    from brandpulse.sentiment.language import LanguageDetector

    sets = text_sets(args, english)
    likely = [code.strip() for code in args.likely.split(",") if code.strip()]
    detectors = {"before (max_default 0)": LanguageDetector(max_default=0.0), "no likely languages": LanguageDetector(),
                 f"likely: {','.join(likely)}": LanguageDetector(likely=likely)}
    for detector in detectors.values():
        detector.detect("warm up: load the identifier")
    took = dict.fromkeys(detectors, 0.0)
    print(f"{'set':24} {'tweets':>7}  " + "  ".join(f"{name:>28}" for name in detectors))
    for name, code, texts in sets:
        cells = []
        for detector_name, detector in detectors.items():
            start = time.perf_counter()
            found = [detector.detect(text) for text in texts]
            took[detector_name] += time.perf_counter() - start
            share = f"{100 * sum(lang == code for lang in found) / len(found):.1f}%"
            cells.append(share if code != "en" else f"{share} ({sum(lang != 'en' for lang in found)} other)")
        print(f"{name:24} {len(texts):>7}  " + "  ".join(f"{cell:>28}" for cell in cells))
    first = took["no likely languages"]  # the ratios are to the detector as shipped without likely languages
    print(f"{'time':24} {sum(len(texts) for _, _, texts in sets):>7}  "
          + "  ".join(f"{f'{t:.2f} s ({t / first:.2f}x)':>28}" for t in took.values()))


if __name__ == "__main__":
    main()
