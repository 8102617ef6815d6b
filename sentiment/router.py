"""Classifying mentions in several languages: one model per configured language, the others left unscored."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from brandpulse.sentiment.base import Classification
from brandpulse.sentiment.language import LanguageDetector


@dataclass(frozen=True)
class Scored:
    """A text's language and its classification (None when no configured model reads that language)."""

    lang: str
    classification: Classification | None


class LanguageRouter:
    """Sends each text to the model of its language; models are loaded on first use (one load per model spec)."""

    def __init__(self, models: Mapping[str, str], load: Callable[[str], Any], detector: LanguageDetector):
        self.models = dict(models)
        self.detector = detector
        self._load = load
        self._loaded: dict[str, Any] = {}

    def classifier_for(self, lang: str) -> Any | None:
        """The classifier configured for `lang`, or None."""
        spec = self.models.get(lang)
        if spec is None:
            return None
        if spec not in self._loaded:
            self._loaded[spec] = self._load(spec)
        return self._loaded[spec]

    def classifiers(self) -> list[Any]:
        """Every configured classifier, loaded."""
        return [self.classifier_for(lang) for lang in self.models]

    def classify(self, texts: Sequence[str], tags: Sequence[str | None] | None = None) -> list[Scored]:
        """Each text's language (its tag, else detected) and its classification, in order."""
        seen: dict[tuple[str, str | None], str] = {}  # retweets and campaigns: each distinct text is detected once
        langs = []
        for text, tag in zip(texts, tags or [None] * len(texts)):
            if (text, tag) not in seen:
                seen[text, tag] = self.detector.language_of(text, tag)
            langs.append(seen[text, tag])
        results: list[Classification | None] = [None] * len(texts)
        for lang in dict.fromkeys(langs):
            classifier = self.classifier_for(lang)
            if classifier is None:
                continue
            positions = [i for i, other in enumerate(langs) if other == lang]
            for i, result in zip(positions, classifier.classify([texts[i] for i in positions])):
                results[i] = result
        return [Scored(lang, result) for lang, result in zip(langs, results)]
