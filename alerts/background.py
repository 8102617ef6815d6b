"""The general background for themes, shipped with the package: term counts of TweetEval's negative training tweets
(built by `python scripts/theme_background.py`), for brands whose own history is too short to contrast with."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

from brandpulse.alerts.themes import Background

BACKGROUND_FILE = Path(__file__).parent / "data" / "theme_background.json.gz"
BACKGROUND_LANGUAGE = "en"  # TweetEval's tweets are English


def in_background_language(tag: str | None) -> bool:
    """Whether a mention tagged `tag` ("en", "en-GB", "en_US") is in the background's language. An untagged one is:
    a blank text, or one classified before languages were told apart, when one English model read every post."""
    return tag is None or tag.strip().lower().replace("_", "-").split("-")[0] == BACKGROUND_LANGUAGE


def save_background(background: Background, path: Path) -> None:
    """Write `background` as gzipped JSON (sorted keys, no timestamp: the same counts give the same bytes)."""
    data = {"texts": background.texts, "totals": list(background.totals), "counts": list(background.counts)}
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    path.write_bytes(gzip.compress(raw, mtime=0))


def read_background(path: Path) -> Background:
    """The `Background` saved at `path`."""
    data = json.loads(gzip.decompress(path.read_bytes()))
    return Background(tuple(data["counts"]), tuple(data["totals"]), data["texts"])


@lru_cache(maxsize=1)
def bundled_background() -> Background:
    """The shipped background, read once per process."""
    return read_background(BACKGROUND_FILE)
