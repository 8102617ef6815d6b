"""Which language a mention is in: the collector's tag when it has one, else py3langid when it is sure."""

from __future__ import annotations

import re
from typing import Any

# Tags that say "no language" (Twitter's und/zxx/qme..., BCP 47's mul): the text is detected instead.
_UNDETERMINED = {"und", "zxx", "mul", "mis", "qam", "qct", "qht", "qme", "qst"}
_NOISE = re.compile(r"(?<!\w)[@#]\w+|\b(?:https?://|www\.)\S+", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")


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

    def _identify(self, text: str) -> tuple[str, float]:
        if self._identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        lang, prob = self._identifier.classify(text)
        return str(lang), float(prob)

    def detect(self, text: str) -> str:
        """The ISO 639-1 code of `text`'s language, `default` when unsure."""
        words = _NOISE.sub(" ", text)
        if len(_LETTER.findall(words)) < self.min_letters:
            return self.default
        lang, prob = self._identify(words)
        return lang if prob >= self.min_confidence else self.default

    def language_of(self, text: str, tag: str | None) -> str:
        """The collector's tag when it names a language, else the detected language."""
        return language_tag(tag) or self.detect(text)
