"""Reading a post for each brand it names: a post naming several configured brands is read, for each, in the sentences
and clauses that name that brand, so that "Left Acme for Bolt, Acme was awful" is not a detractor of Bolt. The clauses
are split in `target_clauses`, comparisons found in `target_sides`, and combined in `target_readings`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from brandpulse.sentiment.target_clauses import (
    Span, Unit, bare_merged, carried, clause_breaks, clauses, turns_joined)
from brandpulse.sentiment.target_readings import BrandText, combined, opposed, turned
from brandpulse.sentiment.target_sides import Comparisons, compared

__all__ = ["BrandPost", "BrandTargets", "BrandTerms", "BrandText", "brand_texts", "opposed", "turned"]

# Web and mail addresses: a brand's name in one ("acme.com/help", "downdetector.com/status/acme", "me@acme.com") is
# where a link points, not what the clause says of the brand.
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|"
                      r"co|app|dev|ly)(?:/\S*)?", re.IGNORECASE)
# The hashtags and handles a post opens or closes with ("@Acme @BoltMobile ...", "... #acme #bolt"): they tag the
# post, and say nothing of a brand in the clause they stand next to.
_TAGS = re.compile(r"^(?:\s*[@#]\w+)+|(?:\s*[@#]\w+)+\s*$")


@dataclass(frozen=True)
class BrandTerms:
    """A brand as a text names it: its keywords, and the exclusions under which a keyword means something else."""

    brand: str
    keywords: tuple[str, ...]
    exclusions: tuple[str, ...] = ()


# A letter or digit that makes a keyword part of a longer word ("lumo" in "columbo"): not one of the scripts written
# without spaces (Thai, Lao, Myanmar, Khmer, kana, Chinese characters), where the next word follows with no break
# ("Pinebrookのコーヒー", "ใช้ทรูมูฟมา") and a boundary would match no brand in such a post.
_WORD = "[^\\W\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"

# As the collectors match brands: Korean writes its particles against the word they follow ("파인브룩에서", at
# Pinebrook), so a keyword may be followed by up to three of them, then a word boundary ("파인브룩스" is another word).
_PARTICLES = ("(?:에서|에게|한테|께서|으로|까지|부터|처럼|보다|이랑|하고|이나|마다|밖에|조차|이에요|예요|입니다|이야|"
              "이다|이고|인데|이라|라고|이|가|을|를|은|는|의|에|도|만|와|과|로|랑|나|요|께|야){0,3}")


def _folded(text: str) -> str:
    # As the collectors match brands: NFKC, full-width "ＡＣＭＥ" is "ACME".
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _phrases(phrases: Iterable[str]) -> str | None:
    # As the collectors match brands: whole words ("lumo" is not in "columbo"), keywords may start with @ or #.
    parts = [rf"(?<!{_WORD})" + re.escape(_folded(p.strip())) + rf"{_PARTICLES}(?!{_WORD})" for p in phrases
             if p.strip()]
    return "|".join(parts) or None


class BrandTargets:
    """The configured brands, compiled once, and the passage of a post that each brand it names is read in."""

    def __init__(self, brands: Iterable[BrandTerms], comparisons: bool = True):
        brands = list(brands)
        self._comparisons = comparisons  # False: as before they were read (bench/brand_targets.py compares)
        self._rules: dict[str, tuple[re.Pattern[str], re.Pattern[str] | None]] = {}
        for terms in brands:
            if (keywords := _phrases(terms.keywords)) is not None:
                exclusions = _phrases(terms.exclusions)
                self._rules[terms.brand] = (re.compile(keywords, re.IGNORECASE),
                                            re.compile(exclusions, re.IGNORECASE) if exclusions else None)
        # Longest first: a name inside another ("Acme" of "Acme Pay") would take the start of the longer one only.
        names = _phrases(sorted({k for t in brands for k in t.keywords}, key=len, reverse=True)) or "(?!)"
        self._names = re.compile(names, re.IGNORECASE)
        self._clause = clause_breaks(names)

    def named(self, text: str) -> list[str]:
        """The configured brands that `text` names (a keyword, and none of that brand's exclusions), in order."""
        text = _folded(text)
        return [brand for brand, (keywords, exclusions) in self._rules.items()
                if keywords.search(text) and not (exclusions and exclusions.search(text))]

    def passages(self, text: str) -> dict[str, str]:
        """The text of each of `readings(text)`."""
        return {brand: reading.text for brand, reading in self.readings(text).items()}

    def readings(self, text: str) -> dict[str, BrandText]:
        """For each brand of a post naming two or more, what to read for it: the part of `text` that speaks of it (the
        whole text where its clauses cannot be told apart from the others'), or, for a brand named only as the other
        side of a comparison, the other brand's part read the opposite way (NFKC, as brands are matched); empty for a
        post naming one brand or none."""
        text = _folded(text)
        brands = self.named(text)
        if len(brands) < 2:
            return {}
        found = self._found(text, brands)
        units: list[Unit] = turns_joined(text, [
            ((start, end), {b for b in brands if any(s < end and e > start for s, e in found[b])})
            for start, end in clauses(text, self._clause)])
        comparisons = compared(text, units, found) if self._comparisons else Comparisons({}, {}, {})
        owned = carried(bare_merged(text, units, self._names))
        return combined(text, {brand: [span for span, owners in owned if brand in owners] for brand in brands},
                        comparisons)

    def _found(self, text: str, brands: Sequence[str]) -> dict[str, list[Span]]:
        """Where `text` names each of `brands`: not inside another brand's longer name ("Acme" of "Acme Pay", which
        speaks of Acme Pay), a web or mail address, or the tags a post opens or closes with, unless named only so."""
        spans = {brand: [m.span() for m in self._rules[brand][0].finditer(text)] for brand in brands}
        names = {span for found in spans.values() for span in found}
        aside = [m.span() for pattern in (_ADDRESS, _TAGS) for m in pattern.finditer(text)]

        def within(start: int, end: int) -> bool:
            return (any(o != (start, end) and o[0] <= start and end <= o[1] for o in names)
                    or any(o[0] <= start and end <= o[1] for o in aside))

        return {brand: [(s, e) for s, e in found if not within(s, e)] or found for brand, found in spans.items()}

    def reads_apart(self, text: str, brand: str | None, others: Iterable[str | None],
                    known: dict[str, dict[str, BrandText]] | None = None) -> bool:
        """Whether the copy of a post stored for `brand`, holding one reading with its copies stored for `others`
        (the whole post's, as every copy got before posts were read per brand), needs a reading of its own: what it
        reads is not the whole post, and not what one of the others reads. `known`: the `readings` of texts asked
        about before, by text, kept there."""
        text = _folded(text)
        known = {} if known is None else known
        readings = known[text] if text in known else known.setdefault(text, self.readings(text))
        whole = BrandText(text)
        own = readings.get(brand or "", whole)
        return own != whole and any(own != readings.get(other or "", whole) for other in others)


@dataclass(frozen=True)
class BrandPost:
    """A stored copy of a post: its text and the brand it was stored for (None: no brand)."""

    text: str
    brand: str | None


def brand_texts(posts: Sequence[BrandPost], targets: BrandTargets) -> list[BrandText | None]:
    """For each post what to read for its brand (the whole text for a brand the post does not name), or None where the
    post names fewer than two configured brands and is read whole, one reading for all its copies."""
    found: dict[str, dict[str, BrandText]] = {}
    texts: list[BrandText | None] = []
    for post in posts:
        if post.text not in found:
            found[post.text] = targets.readings(post.text)
        readings = found[post.text]
        texts.append(readings.get(post.brand or "", BrandText(post.text)) if readings else None)
    return texts
