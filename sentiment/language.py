"""Which language a mention is in: the collector's tag when it has one, else py3langid when it is sure."""

from __future__ import annotations

import functools
import logging
import os
import pickle
import re
from typing import Any

log = logging.getLogger(__name__)

# Tags that say "no language" (Twitter's und/zxx/qme..., BCP 47's mul): the text is detected instead.
_UNDETERMINED = {"und", "zxx", "mul", "mis", "qam", "qct", "qht", "qme", "qst"}
_NOISE = re.compile(r"(?<!\w)[@#]\w+|\b(?:https?://|www\.)\S+", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")


def _load_identifier() -> Any:
    """py3langid's identifier, from a pickled copy in the cache when there is one: unpickling takes 0.07 s, unpacking
    the xz archive py3langid ships 0.5 s, which is a tenth of classifying 3,000 tweets."""
    from importlib.metadata import version

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from brandpulse.sentiment.accel import cache_dir

    cached = cache_dir() / "langid" / f"py3langid-{version('py3langid')}.pickle"
    try:
        with cached.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass  # not cached yet, or unreadable: rebuilt below
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        with partial.open("wb") as f:
            pickle.dump(identifier, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, cached)  # whole or not at all, for concurrent workers
    except OSError as exc:
        log.debug("cannot cache the language model in %s: %s", cached.parent, exc)
    return identifier


def language_tag(tag: str | None) -> str | None:
    """The ISO 639-1 code of a collector's tag ("en", "en-GB", "pt_BR" -> "en", "pt"), None when it names none."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    if primary in _UNDETERMINED or len(primary) != 2 or not primary.isalpha():
        return None
    return primary


class LanguageDetector:
    """py3langid with a guard for short texts: a text is called another language than `default` only when the
    detector is at least `min_confidence` sure and the text has at least `min_letters` letters (mentions, hashtags
    and links left out). Short posts ("lol ok", "great phone") fool any detector; they stay in `default`.
    """

    def __init__(self, default: str = "en", min_confidence: float = 0.9, min_letters: int = 10):
        self.default = default
        self.min_confidence = min_confidence
        self.min_letters = min_letters
        self._identifier: Any = None
        # Retweets and copy-paste campaigns repeat texts: each distinct text is detected once (bounded memory).
        self.detect = functools.lru_cache(maxsize=65536)(self._detect)  # type: ignore[method-assign]

    def _identify(self, text: str) -> tuple[str, float]:
        if self._identifier is None:
            self._identifier = _load_identifier()
        lang, prob = self._identifier.classify(text)
        return str(lang), float(prob)

    def _detect(self, text: str) -> str:
        """The ISO 639-1 code of `text`'s language, `default` when unsure."""
        words = _NOISE.sub(" ", text)
        if len(_LETTER.findall(words)) < self.min_letters:
            return self.default
        lang, prob = self._identify(words)
        return lang if prob >= self.min_confidence else self.default

    def language_of(self, text: str, tag: str | None) -> str:
        """The collector's tag when it names a language, else the detected language."""
        return language_tag(tag) or self.detect(text)
