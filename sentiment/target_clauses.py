"""Splitting a post naming several brands into its sentences and clauses, each with the brands it speaks of."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Sentence ends and line breaks, and the clause breaks where a post turns from one brand to another. A sentence may
# end inside a quote or brackets: 'she said "Acme lost it." Bolt never did'. Japanese and Chinese end a sentence or
# clause with 。 or 、 and no space after; Thai, written without spaces inside a sentence, puts one between sentences
# and clauses.
_SENTENCE = re.compile(r"(?:(?<=[.!?…;])|(?<=[.!?…;][\"”’')\]]))\s+|\n+|[。、]\s*"
                       r"|(?<=[\u0e01-\u0e4e])\s+(?=[\u0e01-\u0e4e])")
_CONTRAST = (r"but|however|though|although|whereas|while|meanwhile|unlike|instead of|rather than|compared to|"
             r"compared with|vs\.?|versus")
# Words that turn to another brand only when one follows at once ("left Acme for Bolt", "from Acme to Bolt", "Bolt is
# miles ahead of Acme", "Bolt beats Acme", "Bolt > Acme"); before anything else ("waited for an hour", "went to the
# store", "ahead of its time", "nothing beats waiting") they break nothing.
AHEAD = r"(?:(?:miles|way|far|streets|light[\s-]+years|years)\s+)?ahead\s+of"
_TURNS = rf"for|to|over|than|from|{AHEAD}|beats?|>"
_TURNING = re.compile(rf"(?:{_TURNS})\s", re.IGNORECASE)
# "than" turns to a brand a few words after it too ("I'd rather pay more for Bolt than fly Acme again", "Bolt is faster
# than the old Acme plan"), not across a conjunction ("Acme is better than ever and Bolt ...").
FILLER = r"(?:(?!(?:and|or|but|so|yet|while|because|since|though|if|when)\b)[\w'’]+\s+){0,3}"
ARTICLE = r"\s+(?:the\s+|my\s+)?"
# "Acme and Bolt raised prices(,) so I moved to Dash": a switch after a complaint (see target_sides). Without a comma
# nothing else set it apart from the complaint, so it breaks the clause where a brand follows the verb.
SO_MOVED = (r"(?:and\s+)?so\s+(?:I|we)(?:['’](?:ve|m)|\s+(?:have|am))?\s+(?:(?:just|now|then|finally)\s+)?"
            r"(?:switch(?:ed)?|mov(?:e|ed)|went|jump(?:ed)?|port(?:ed)?|chang(?:e|ed)|sign(?:ed)?\s+up|"
            r"bought|buy|got|get|book(?:ed)?|fly|take|use|ride|pick(?:ed)?|chose|tried)"
            r"(?:\s+(?:over|back))?(?:\s+(?:to|for|with|a|an|the))?\s+")
SENTENCE_END = re.compile(r"[.!?…;\n]")
Span = tuple[int, int]
Unit = tuple[Span, set[str]]


def clause_breaks(names: str) -> re.Pattern[str]:
    """The clause breaks of a post naming the brands that `names` (a pattern) matches: commas, contrast words, and the
    words that turn to a brand only where one follows ("for Bolt", "than the old Bolt", "puts Bolt to shame", "is no
    Bolt", "so I switched to Bolt")."""
    return re.compile(
        rf",\s*|\s+(?=(?:{_CONTRAST})\b)|\s+(?=(?:{_TURNS})\s+(?:the\s+|my\s+)?(?:{names}))"
        rf"|\s+(?=than\s+{FILLER}(?:{names}))|\s+(?=put(?:s|ting)?\s+(?:the\s+|my\s+)?(?:{names})\S*"
        rf"(?:\s+\w+){{0,2}}\s+to\s+shame\b)"
        rf"|(?:(?<=\bis)|(?<=\bwas)|(?<=['’]s)|(?<=\bare))\s+(?=no\s+(?:{names}))"
        rf"|(?<!\band)\s+(?={SO_MOVED}(?:{names}))",
        re.IGNORECASE)


def clauses(text: str, breaks: re.Pattern[str]) -> list[Span]:
    """The (start, end) of each sentence and clause of `text` (at sentence ends and at `breaks`), without the breaks
    between them."""
    cuts = sorted({(m.start(), m.end()) for pattern in (_SENTENCE, breaks) for m in pattern.finditer(text)
                   if m.end() > m.start()})
    spans, start = [], 0
    for begin, end in cuts:
        if begin > start:
            spans.append((start, begin))
        start = max(start, end)
    return spans + [(start, len(text))] * (start < len(text))


def turns_joined(text: str, units: list[Unit]) -> list[Unit]:
    """`units` with each clause naming no brand joined to the next one where only a turning word before a brand cut
    them apart ("Not going back | to Acme" is said of Acme; "left Acme | for Bolt" keeps its two clauses)."""
    joined: list[Unit] = []
    for span, owners in units:
        end = joined[-1][0][1] if joined and not joined[-1][1] else None
        if (end is not None and owners and not text[end:span[0]].strip()
                and SENTENCE_END.search(text, end - 2, span[0]) is None and _TURNING.match(text, span[0])):
            span = (joined.pop()[0][0], span[1])
        joined.append((span, owners))
    return joined


def bare_merged(text: str, units: list[Unit], names: re.Pattern[str]) -> list[Unit]:
    """`units` with each clause that is nothing but brand names (as `names` matches them) joined to the next one ("Acme
    vs Bolt: both lost my parcel" says the same of both)."""
    merged: list[Unit] = []
    pending: Unit | None = None
    for span, owners in units:
        if pending is not None:
            span, owners, pending = (pending[0][0], span[1]), owners | pending[1], None
        if owners and not re.search(r"\w", names.sub("", text[span[0]:span[1]])):
            pending = (span, owners)
        else:
            merged.append((span, owners))
    if pending is not None and merged:
        (start, _), owners = merged.pop()
        pending = ((start, pending[0][1]), owners | pending[1])
    return merged + [pending] * (pending is not None)


def carried(units: Sequence[Unit]) -> list[Unit]:
    """Each clause with the brands it speaks of: those it names, else those of the clause before it ("Acme dropped my
    calls, twice today": both Acme's), else, at the start, those of the first clause naming one."""
    first = next((owners for _, owners in units if owners), set())
    carry, owned = first, []
    for span, owners in units:
        carry = owners or carry
        owned.append((span, carry))
    return owned


def joined(text: str, spans: Sequence[Span]) -> str:
    """The text of `spans`, neighbours as written (commas kept), the others joined by a space."""
    runs: list[list[int]] = []
    for start, end in spans:
        if runs and not text[runs[-1][1]:start].strip(" ,"):
            runs[-1][1] = end
        else:
            runs.append([start, end])
    return " ".join(text[start:end].strip() for start, end in runs)
