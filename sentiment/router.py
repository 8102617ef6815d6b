"""Classifying mentions in several languages: one model per configured language (and optionally one for all the
others), the rest left unscored."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from brandpulse.sentiment.base import Classification, SentimentError
from brandpulse.sentiment.language import LanguageDetector, language_tag

log = logging.getLogger(__name__)

# The `sentiment.models` key of the model that reads every language without its own entry.
OTHER_LANGUAGES = "*"


@dataclass(frozen=True)
class Scored:
    """A text's language and its classification (None when no configured model reads that language, when the text is
    blank, or when `error` says why the configured one could not be loaded)."""

    lang: str | None  # None for a blank text that no collector tagged
    classification: Classification | None
    error: str | None = None


class LanguageRouter:
    """Sends each text to the model of its language; models are loaded on first use (one load per model spec).

    A model that cannot be loaded (a wrong path, an id missing from the offline cache) fails only its own
    language's texts: `classify` gives them an `error`, the other languages are classified, and the load is tried
    again after `retry_failed()`.
    """

    def __init__(self, models: Mapping[str, str], load: Callable[[str], Any], detector: LanguageDetector):
        self.models = dict(models)
        self.detector = detector
        self._load = load
        self._loaded: dict[str, Any] = {}
        self._failed: dict[str, str] = {}
        self._loading = threading.Lock()  # a model loading in the background and a caller of it wait for each other

    def classifier_for(self, lang: str) -> Any | None:
        """The classifier configured for `lang` (or for every other language), or None; raises SentimentError when
        it cannot be loaded."""
        spec = self.models.get(lang, self.models.get(OTHER_LANGUAGES))
        if spec is None:
            return None
        with self._loading:
            if spec in self._failed:
                raise SentimentError(self._failed[spec])
            if spec not in self._loaded:
                try:
                    self._loaded[spec] = self._load(spec)
                except SentimentError as exc:
                    self._failed[spec] = str(exc)
                    raise
            return self._loaded[spec]

    def _load_default_meanwhile(self) -> threading.Thread | None:
        """Start loading the default language's model in a thread, or None when there is nothing to load. At start-up
        it takes a few tenths of a second, as detecting the languages of a few thousand texts does, each mostly on one
        core: done together they take about 0.1 s less."""
        lang = self.detector.default
        spec = self.models.get(lang, self.models.get(OTHER_LANGUAGES))
        if spec is None or spec in self._loaded or spec in self._failed:
            return None
        thread = threading.Thread(target=self._load_quietly, args=(lang,), name="load-model", daemon=True)
        thread.start()
        return thread

    def _load_quietly(self, lang: str) -> None:
        try:
            self.classifier_for(lang)
        except Exception as exc:  # a SentimentError is kept in _failed; anything else recurs where the model is used
            log.debug("loading the %s model in the background failed: %s", lang, exc)

    def retry_failed(self) -> None:
        """Forget the models that failed to load, so that the next use tries again (the operator may have fixed
        the path or filled the cache)."""
        self._failed.clear()

    def each_classifier(self) -> list[tuple[str, Any]]:
        """Each configured language with its classifier, loaded, or the SentimentError that loading it raised."""
        loaded: list[tuple[str, Any]] = []
        for lang in self.models:
            try:
                loaded.append((lang, self.classifier_for(lang)))
            except SentimentError as exc:
                loaded.append((lang, exc))
        return loaded

    def classifiers(self) -> list[Any]:
        """Every configured classifier, loaded."""
        return [self.classifier_for(lang) for lang in self.models]

    def classify(self, texts: Sequence[str], tags: Sequence[str | None] | None = None) -> list[Scored]:
        """Each text's language (its tag, else detected) and its classification, in order."""
        blank = [is_blank(text) for text in texts]
        tags = tags or [None] * len(texts)
        # Only when a text may be in the default language: a stream tagged German alone needs no English model.
        maybe_default = any(not empty and language_tag(tag) in (None, self.detector.default)
                            for tag, empty in zip(tags, blank))
        loading = self._load_default_meanwhile() if maybe_default else None
        try:
            langs = self._languages(texts, tags, blank)
        finally:
            if loading is not None:
                loading.join()  # never left loading (or exporting to the cache) as the process ends
        # A blank text has nothing to read: no model gives it a sentiment (a made-up neutral would count as a passive).
        readable = [None if empty else lang for lang, empty in zip(langs, blank)]
        results: list[Classification | None] = [None] * len(texts)
        errors: dict[str, str] = {}
        for lang in dict.fromkeys(lang for lang in readable if lang is not None):
            try:
                classifier = self.classifier_for(lang)
            except SentimentError as exc:
                errors[lang] = str(exc)
                continue
            if classifier is None:
                continue
            positions = [i for i, other in enumerate(readable) if other == lang]
            for i, result in zip(positions, classifier.classify([texts[i] for i in positions])):
                results[i] = result
        return [Scored(lang, result, errors.get(read)) for lang, read, result in zip(langs, readable, results)]

    def _languages(self, texts: Sequence[str], tags: Sequence[str | None], blank: Sequence[bool]) -> list[str | None]:
        """Each text's language: its tag's, else the detected one (a blank text: its tag's or None)."""
        # Retweets and campaigns: each distinct text is detected once.
        seen: dict[tuple[str, str | None], str | None] = {}
        langs = []
        for text, tag, empty in zip(texts, tags, blank):
            if (text, tag) not in seen:
                seen[text, tag] = language_tag(tag) if empty else self.detector.language_of(text, tag)
            langs.append(seen[text, tag])
        return langs


# Spaces, line breaks, controls (NUL) and invisible format characters (U+200B, a stray byte-order mark): a text of
# only these shows nothing, so it is blank.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def is_blank(text: str) -> bool:
    """Whether `text` holds nothing visible to read."""
    return all(unicodedata.category(char) in _INVISIBLE for char in text)


class PartlyClassified(SentimentError):
    """Texts of some language were left because its model could not be loaded; `done` others were classified."""

    def __init__(self, message: str, done: int = 0):
        super().__init__(message)
        self.done = done


class LeftUnclassified:
    """What a classify pass left unclassified because a language's model could not be loaded, per language."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.errors: dict[str, str] = {}

    def holds(self, scored: Scored) -> bool:
        """Whether `scored` failed (and is counted here) rather than classified or unscored."""
        if scored.error is None:
            return False
        self.counts[scored.lang] = self.counts.get(scored.lang, 0) + 1
        self.errors[scored.lang] = scored.error
        return True

    def raise_if_any(self, done: int = 0, kept: bool = True) -> None:
        """Raise PartlyClassified naming each language left, how many texts and why (`kept`: they stay in the store
        for the next pass), with the `done` count of the others; nothing when none was left."""
        if self.counts:
            fate = "left unclassified, kept for the next pass" if kept else "not classified"
            raise PartlyClassified("; ".join(f"{n} text(s) in {lang!r} {fate}: {self.errors[lang]}"
                                             for lang, n in self.counts.items()), done)
