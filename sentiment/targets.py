"""Reading a post for each brand it names: a post naming several configured brands is read, for each, in the sentences
and clauses that name that brand, so that "Left Acme for Bolt, Acme was awful" is not a detractor of Bolt."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Sentence ends and line breaks, and the clause breaks where a post turns from one brand to another.
_SENTENCE = re.compile(r"(?<=[.!?…;])\s+|\n+")
_CONTRAST = (r"but|however|though|although|whereas|while|meanwhile|unlike|instead of|rather than|compared to|"
             r"compared with|vs\.?|versus")
# Words that turn to another brand only when one follows at once ("left Acme for Bolt", "from Acme to Bolt"); before
# anything else ("waited for an hour", "went to the store") they break nothing.
_TURNS = r"for|to|over|than|from"


@dataclass(frozen=True)
class BrandTerms:
    """A brand as a text names it: its keywords, and the exclusions under which a keyword means something else."""

    brand: str
    keywords: tuple[str, ...]
    exclusions: tuple[str, ...] = ()


def _phrases(phrases: Iterable[str]) -> str | None:
    # As the collectors match brands: whole words ("lumo" is not in "columbo"), keywords may start with @ or #.
    parts = [r"(?<!\w)" + re.escape(p.strip()) + r"(?!\w)" for p in phrases if p.strip()]
    return "|".join(parts) or None


class BrandTargets:
    """The configured brands, compiled once, and the passage of a post that each brand it names is read in."""

    def __init__(self, brands: Iterable[BrandTerms]):
        brands = list(brands)
        self._rules: dict[str, tuple[re.Pattern[str], re.Pattern[str] | None]] = {}
        for terms in brands:
            if (keywords := _phrases(terms.keywords)) is not None:
                exclusions = _phrases(terms.exclusions)
                self._rules[terms.brand] = (re.compile(keywords, re.IGNORECASE),
                                            re.compile(exclusions, re.IGNORECASE) if exclusions else None)
        # Longest first: a name inside another ("Acme" of "Acme Pay") would take the start of the longer one only.
        names = _phrases(sorted({k for t in brands for k in t.keywords}, key=len, reverse=True)) or "(?!)"
        self._names = re.compile(names, re.IGNORECASE)
        self._clause = re.compile(rf",\s*|\s+(?=(?:{_CONTRAST})\b)|\s+(?=(?:{_TURNS})\s+(?:the\s+|my\s+)?(?:{names}))",
                                  re.IGNORECASE)

    def named(self, text: str) -> list[str]:
        """The configured brands that `text` names (a keyword, and none of that brand's exclusions), in order."""
        return [brand for brand, (keywords, exclusions) in self._rules.items()
                if keywords.search(text) and not (exclusions and exclusions.search(text))]

    def passages(self, text: str) -> dict[str, str]:
        """For each brand of a post naming two or more, the part of `text` to read for it (the whole text where its
        clauses cannot be told apart from the others'); empty for a post naming one brand or none."""
        brands = self.named(text)
        if len(brands) < 2:
            return {}
        found = self._found(text, brands)
        units = self._bare_merged(text, [((start, end), {b for b in brands
                                                         if any(s < end and e > start for s, e in found[b])})
                                         for start, end in self._clauses(text)])
        owned = _carried(units)
        read = {brand: _joined(text, [span for span, owners in owned if brand in owners]) for brand in brands}
        return {brand: passage or text for brand, passage in read.items()}

    def _found(self, text: str, brands: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        """Where `text` names each of `brands`: not inside another brand's longer name ("Acme" of "Acme Pay", which
        speaks of Acme Pay), unless the brand is named only so."""
        spans = {brand: [m.span() for m in self._rules[brand][0].finditer(text)] for brand in brands}
        every = {span for found in spans.values() for span in found}
        return {brand: [(s, e) for s, e in found
                        if not any(o != (s, e) and o[0] <= s and e <= o[1] for o in every)] or found
                for brand, found in spans.items()}

    def _bare_merged(self, text: str, units: list[tuple[tuple[int, int], set[str]]]
                     ) -> list[tuple[tuple[int, int], set[str]]]:
        """`units` with each clause that is nothing but brand names joined to the next one ("Acme vs Bolt: both lost
        my parcel" says the same of both)."""
        merged: list[tuple[tuple[int, int], set[str]]] = []
        pending: tuple[tuple[int, int], set[str]] | None = None
        for span, owners in units:
            if pending is not None:
                span, owners, pending = (pending[0][0], span[1]), owners | pending[1], None
            if owners and not re.search(r"\w", self._names.sub("", text[span[0]:span[1]])):
                pending = (span, owners)
            else:
                merged.append((span, owners))
        if pending is not None and merged:
            (start, _), owners = merged.pop()
            pending = ((start, pending[0][1]), owners | pending[1])
        return merged + [pending] * (pending is not None)

    def reads_apart(self, text: str, brand: str | None, others: Iterable[str | None]) -> bool:
        """Whether the copy of a post stored for `brand`, holding one reading with its copies stored for `others`
        (the whole post's, as every copy got before posts were read per brand), needs a reading of its own: its
        brand's clauses are not the whole post, and not those of one of the others."""
        passages = self.passages(text)
        own = passages.get(brand or "", text)
        return own != text and any(own != passages.get(other or "", text) for other in others)

    def _clauses(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) of each sentence and clause of `text`, without the breaks between them."""
        breaks = sorted({(m.start(), m.end()) for pattern in (_SENTENCE, self._clause) for m in pattern.finditer(text)
                         if m.end() > m.start()})
        spans, start = [], 0
        for begin, end in breaks:
            if begin > start:
                spans.append((start, begin))
            start = max(start, end)
        return spans + [(start, len(text))] * (start < len(text))


def _joined(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text of `spans`, neighbours as written (commas kept), the others joined by a space."""
    runs: list[list[int]] = []
    for start, end in spans:
        if runs and not text[runs[-1][1]:start].strip(" ,"):
            runs[-1][1] = end
        else:
            runs.append([start, end])
    return " ".join(text[start:end].strip() for start, end in runs)


def _carried(units: Sequence[tuple[tuple[int, int], set[str]]]) -> list[tuple[tuple[int, int], set[str]]]:
    """Each clause with the brands it speaks of: those it names, else those of the clause before it ("Acme dropped my
    calls, twice today": both Acme's), else, at the start, those of the first clause naming one."""
    first = next((owners for _, owners in units if owners), set())
    carried, owned = first, []
    for span, owners in units:
        carried = owners or carried
        owned.append((span, carried))
    return owned


@dataclass(frozen=True)
class BrandPost:
    """A stored copy of a post: its text and the brand it was stored for (None: no brand)."""

    text: str
    brand: str | None


def brand_texts(posts: Sequence[BrandPost], targets: BrandTargets) -> list[str | None]:
    """For each post the text to read for its brand (the whole text for a brand the post does not name), or None where
    the post names fewer than two configured brands and is read whole, one reading for all its copies."""
    found: dict[str, dict[str, str]] = {}
    texts: list[str | None] = []
    for post in posts:
        if post.text not in found:
            found[post.text] = targets.passages(post.text)
        passages = found[post.text]
        texts.append(passages.get(post.brand or "", post.text) if passages else None)
    return texts
