"""Reading a post for each brand it names: a post naming several configured brands is read, for each, in the sentences
and clauses that name that brand, so that "Left Acme for Bolt, Acme was awful" is not a detractor of Bolt."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from brandpulse.sentiment.base import Classification

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
_AHEAD = r"(?:(?:miles|way|far|streets|light[\s-]+years|years)\s+)?ahead\s+of"
_TURNS = rf"for|to|over|than|from|{_AHEAD}|beats?|>"
_TURNING = re.compile(rf"(?:{_TURNS})\s", re.IGNORECASE)
# "than" turns to a brand a few words after it too ("I'd rather pay more for Bolt than fly Acme again", "Bolt is faster
# than the old Acme plan"), not across a conjunction ("Acme is better than ever and Bolt ...").
_FILLER = r"(?:(?!(?:and|or|but|so|yet|while|because|since|though|if|when)\b)[\w'’]+\s+){0,3}"
# Comparisons whose second brand is given the opposite of the first one's reading: "Bolt is better than Acme", "I'd
# take Bolt over Acme", "went with Bolt instead of Acme", "Bolt is miles ahead of Acme", "Bolt beats Acme", "Bolt >
# Acme" (a clause opening with these words and the brand, after one naming the first brand in the same sentence),
# "Acme dropped my calls, never had that with Bolt" (after one naming it, in the sentence before too), "unlike Acme,
# Bolt answers" (just before one naming it), "switched from Acme to Bolt", "left Acme for Bolt" (a verb of leaving,
# then the second brand, then to / for and the first brand). Not "instead of Acme, try Bolt" nor "Bolt, unlike Acme,
# answers": measured on bench/data/brand_clauses.tsv, their opposite readings broke more than they fixed.
_ARTICLE = r"\s+(?:the\s+|my\s+)?"
_AFTER = re.compile(rf"(?:than\s+{_FILLER}|(?:over|instead\s+of|rather\s+than|{_AHEAD}|beats?|>){_ARTICLE})",
                    re.IGNORECASE)
# Comparisons that say which side each brand is on, whatever the model reads of them (it reads "Bolt puts Acme to
# shame" and "I'd rather pay more for Bolt than fly Acme again" negative): the brand after the words is put on the
# side given, the one before on the other, as a settled switch's. "Acme could learn a thing or two from Bolt" (not
# "from Bolt's mistakes"), "Acme is no Bolt", "Bolt puts Acme to shame", "I'd rather (sooner) ... Bolt than ... Acme",
# "go with (pick, choose, ...) Bolt, not Acme" (each brand in its own clauses, which read the choice better than the
# whole post: bench/data/brand_idioms.tsv); "Bolt, not Acme, lost my parcel" compares nothing.
_LEARN = re.compile(r"\blearn(?:\s+[\w']+){0,5}\s+$", re.IGNORECASE)
_MISTAKES = re.compile(r"\b(?:mistakes?|errors?|failures?|fails?|blunders?)\b", re.IGNORECASE)
_FROM = re.compile(rf"from{_ARTICLE}", re.IGNORECASE)
_IS_NO = re.compile(r"no\s+", re.IGNORECASE)
_SHAME = re.compile(rf"put(?:s|ting)?{_ARTICLE}", re.IGNORECASE)
_NOT = re.compile(rf"(?:but\s+)?not{_ARTICLE}", re.IGNORECASE)
_RATHER = re.compile(r"\b(?:rather|sooner)\b", re.IGNORECASE)
_CHOOSING = re.compile(r"\b(?:go(?:ing)?\s+with|went\s+with|pick(?:ed)?|choose|chose|get|got|buy|bought|try|use|take|"
                       r"stick\s+with|book(?:ed)?|sign\s+up\s+(?:with|for)|recommend)\b", re.IGNORECASE)
# "Acme and Bolt raised prices, so I moved to Dash" (booked a Dash, fly Dash now): a switch after the complaint of the
# clause before, in one sentence; the brand moved to is read opposite to that clause alone, not "so I got a refund from
# Dash", nor "so I stayed with Acme".
_SO_MOVED = re.compile(r"(?:and\s+)?so\s+(?:I|we)(?:['’](?:ve|m)|\s+(?:have|am))?\s+(?:(?:just|now|then|finally)\s+)?"
                       r"(?:switch(?:ed)?|mov(?:e|ed)|went|jump(?:ed)?|port(?:ed)?|chang(?:e|ed)|sign(?:ed)?\s+up|"
                       r"bought|buy|got|get|book(?:ed)?|fly|take|use|ride|pick(?:ed)?|chose|tried)"
                       r"(?:\s+(?:over|back))?(?:\s+(?:to|for|with|a|an|the))?\s+", re.IGNORECASE)
_UNLIKE = re.compile(r"unlike\s", re.IGNORECASE)
_NEVER_HAD = re.compile(rf"never\s+had\s+(?:that|this|these|those|such|the\s+same)(?:\s+\w+)?\s+with{_ARTICLE}",
                        re.IGNORECASE)
_ARRIVING = re.compile(r"(?:to|for)\s", re.IGNORECASE)
_LEAVING = re.compile(r"\b(?:switch(?:ed|ing)?|mov(?:e|ed|ing)|went|go(?:ing)?|left|leav(?:e|ing)|quit(?:ting)?|"
                      r"ditch(?:ed|ing)?|dump(?:ed|ing)?|drop(?:ped|ping)?|upgrad(?:e|ed|ing)|port(?:ed|ing)?|"
                      r"migrat(?:e|ed|ing)|jump(?:ed|ing)?|chang(?:e|ed|ing)|swap(?:ped|ping)?)\b", re.IGNORECASE)
# A switch the post says it keeps to ("switched from Acme to Bolt, never looking back"): the model reads the words of
# not going back as negative, and the opposite of that made the brand left a promoter; such a switch puts the brand
# left on the negative side and the one moved to on the positive. A regretted switch ("and I regret it, should have
# stayed") is left to the model, which reads it right (bench/data/BRAND_TARGETS.md).
_SETTLED = re.compile(r"\b(?:(?:never|not|won'?t|wouldn'?t|haven'?t|hasn'?t|didn'?t|ain'?t)\s+(?:be\s+)?"
                      r"(?:look(?:ing|ed)?|go(?:ing|ne)?|com(?:e|ing)|went|switch(?:ing|ed)?)\s+back|no\s+regrets?)\b",
                      re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…;\n]")
_SENTENCE_ENDS = re.compile(r"[.!?…;\n]+")  # "!!" ends one sentence
# Web and mail addresses: a brand's name in one ("acme.com/help", "downdetector.com/status/acme", "me@acme.com") is
# where a link points, not what the clause says of the brand.
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|"
                      r"co|app|dev|ly)(?:/\S*)?", re.IGNORECASE)
# The hashtags and handles a post opens or closes with ("@Acme @BoltMobile ...", "... #acme #bolt"): they tag the
# post, and say nothing of a brand in the clause they stand next to.
_TAGS = re.compile(r"^(?:\s*[@#]\w+)+|(?:\s*[@#]\w+)+\s*$")
_OTHER_SIDE = {"negative": "positive", "positive": "negative"}
Span = tuple[int, int]
Unit = tuple[Span, set[str]]


@dataclass(frozen=True)
class BrandText:
    """What to read for a brand: a text, whether the brand's reading is that text's with its negative and positive
    sides swapped (the other side of a comparison), and the side a settled switch puts the brand on, if any."""

    text: str
    opposite: bool = False
    side: str | None = None  # "negative" / "positive": the side of a switch the post keeps to (see _SETTLED)


def opposed(classification: Classification) -> Classification:
    """`classification` with negative and positive swapped, and no complaint: the complaint of a comparison's clause,
    if any, is to the brand it names, not to the one it is compared with."""
    label = {"negative": "positive", "positive": "negative"}.get(classification.label, classification.label)
    negative, neutral, positive = classification.probs
    complaint = None if classification.complaint is None else 0.0
    return replace(classification, label=label, probs=(positive, neutral, negative), complaint=complaint)


def turned(text: BrandText, classification: Classification) -> Classification:
    """The brand's reading from `classification`, the reading of `text.text`: opposed where `text` says so, then, for
    the side of a settled switch or a comparison saying it, the larger of its negative and positive probabilities
    given to that side, or the neutral one where it reads neutral (no complaint of a brand put on the positive side:
    the writer means to stay)."""
    reading = opposed(classification) if text.opposite else classification
    if text.side is None:
        return reading
    negative, neutral, positive = reading.probs
    high, low = max(negative, positive), min(negative, positive)
    # The words say the side, which the model often reads neutral ("could learn a thing or two from Bolt", 0.71).
    if reading.label == "neutral":
        high, neutral = neutral, high
    probs = (high, neutral, low) if text.side == "negative" else (low, neutral, high)
    if probs == reading.probs:
        return reading
    label = text.side
    complaint = 0.0 if text.side == "positive" and reading.complaint is not None else reading.complaint
    return replace(reading, label=label, probs=probs, complaint=complaint)


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
        self._clause = re.compile(
            rf",\s*|\s+(?=(?:{_CONTRAST})\b)|\s+(?=(?:{_TURNS})\s+(?:the\s+|my\s+)?(?:{names}))"
            rf"|\s+(?=than\s+{_FILLER}(?:{names}))|\s+(?=put(?:s|ting)?\s+(?:the\s+|my\s+)?(?:{names})\S*"
            rf"(?:\s+\w+){{0,2}}\s+to\s+shame\b)"
            rf"|(?:(?<=\bis)|(?<=\bwas)|(?<=['’]s)|(?<=\bare))\s+(?=no\s+(?:{names}))",
            re.IGNORECASE)

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
        units: list[Unit] = _turns_joined(text, [
            ((start, end), {b for b in brands if any(s < end and e > start for s, e in found[b])})
            for start, end in self._clauses(text)])
        sides, fragments, leaning = self._compared(text, units, found) if self._comparisons else ({}, {}, {})
        owned = _carried(self._bare_merged(text, units))
        spans = {brand: [span for span, owners in owned if brand in owners] for brand in brands}
        # "..., so I moved to Dash": Dash read opposite to the complaint, unless a clause of its own follows, and on the
        # positive side, the brands complained of on the negative (the complaint is why the writer left them).
        moved = {brand for brand, kind in leaning.items() if kind == "moved" and len(spans[brand]) == 1}
        read = {}
        for brand in brands:
            if brand in moved or brand in sides and not spans[brand]:
                compared = sorted({span for other in sides[brand] for span in spans[other]})
                side = "positive" if brand in moved else leaning.get(brand)
                read[brand] = BrandText(_joined(text, compared) or text, opposite=True, side=side)
            else:
                side = leaning.get(brand) if brand not in sides else None
                side = side or next((_OTHER_SIDE[leaning[b]] for b in leaning if leaning[b] in _OTHER_SIDE
                                     if brand in sides.get(b, ()) and not spans[b]), None)
                side = side or ("negative" if any(brand in sides[b] for b in moved) else None)  # the brands left
                read[brand] = BrandText(_joined(text, sorted(spans[brand] + fragments.get(brand, []))) or text,
                                        side=side)
        return read

    def _compared(self, text: str, units: list[Unit], found: dict[str, list[Span]]
                  ) -> tuple[dict[str, frozenset[str]], dict[str, list[Span]], dict[str, str]]:
        """The brands named as the other side of a comparison, each with the brands it is compared with (one, or two
        sharing a clause: "better than Acme and Bolt"), the clauses naming them so (`units` changed in place: such a
        clause speaks of the brands compared with), and the side that a settled switch (negative: the brand left) or a
        comparison saying so (see _LEARN) puts such a brand on."""
        sides: dict[str, frozenset[str]] = {}
        fragments: dict[str, list[Span]] = {}
        leaning: dict[str, str] = {}
        for i, (span, owners) in enumerate(units):
            names = [s for brand in owners for s, _ in found[brand] if span[0] <= s < span[1]]
            other, kind = _compared_with(text, units, i, names) if owners else (None, None)
            if other is not None and kind == "apart":  # "go with Bolt, not Acme": its clauses, on its side
                leaning.update({brand: leaning.get(brand, "negative") for brand in owners})
                leaning.update({brand: leaning.get(brand, "positive") for brand in other})
            elif other is not None and kind == "moved" and len(owners) == 1:  # read opposite to the complaint alone
                sides.setdefault(next(iter(owners)), other)
                leaning.setdefault(next(iter(owners)), kind)
            elif other is not None and all(sides.setdefault(b, other) == other for b in owners):  # else: not one side
                units[i] = (span, set(other))
                for brand in owners:
                    fragments.setdefault(brand, []).append(span)
                    if kind == "switch" and _SETTLED.search(text, span[0],
                                                            _switch_end(text, units[i + 1][0][0], found)):
                        leaning[brand] = "negative"
                    elif kind in ("negative", "positive"):
                        leaning[brand] = kind
        return sides, fragments, leaning

    def _found(self, text: str, brands: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        """Where `text` names each of `brands`: not inside another brand's longer name ("Acme" of "Acme Pay", which
        speaks of Acme Pay), a web or mail address, or the tags a post opens or closes with, unless named only so."""
        spans = {brand: [m.span() for m in self._rules[brand][0].finditer(text)] for brand in brands}
        names = {span for found in spans.values() for span in found}
        aside = [m.span() for pattern in (_ADDRESS, _TAGS) for m in pattern.finditer(text)]

        def within(start: int, end: int) -> bool:
            return (any(o != (start, end) and o[0] <= start and end <= o[1] for o in names)
                    or any(o[0] <= start and end <= o[1] for o in aside))

        return {brand: [(s, e) for s, e in found if not within(s, e)] or found for brand, found in spans.items()}

    def _bare_merged(self, text: str, units: list[Unit]) -> list[Unit]:
        """`units` with each clause that is nothing but brand names joined to the next one ("Acme vs Bolt: both lost
        my parcel" says the same of both)."""
        merged: list[Unit] = []
        pending: Unit | None = None
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


def _compared_with(text: str, units: Sequence[Unit], i: int, names: Sequence[int]
                   ) -> tuple[frozenset[str] | None, str | None]:
    """The brands that the clause `units[i]`, naming its brands at `names`, compares them with, if it is the other
    side of a comparison in the same sentence: "than Acme" after "Bolt is better", "unlike Acme" before "Bolt
    answers", "switched from Acme" before "to Bolt" (see _AFTER), either side one brand or two sharing the clause
    ("than Acme and Dash"); and "switch" where it is a switch from those brands, or the side a comparison puts them
    on (see _LEARN), else None."""
    (start, end), owners = units[i]

    def together(j: int) -> bool:  # in the same sentence
        first, second = sorted(((start, end), units[j][0]))
        return _SENTENCE_END.search(text, first[1] - 2, second[0]) is None

    def partner(j: int) -> frozenset[str] | None:
        if not 0 <= j < len(units) or not units[j][1] or units[j][1] & owners or not together(j):
            return None
        return frozenset(units[j][1])

    def naming() -> int:  # the nearest clause before naming a brand, in the sentence (-1: none)
        j = i - 1
        while j >= 0 and not units[j][1] and together(j):
            j -= 1
        return j if j >= 0 and units[j][1] else -1

    def opens(pattern: re.Pattern[str]) -> bool:  # the clause opens with `pattern` then the brand
        return bool(names) and pattern.fullmatch(text, start, min(names)) is not None

    if opens(_AFTER):
        j = naming()
        rather = j >= 0 and text[start:start + 4].lower() == "than" and _RATHER.search(text, units[j][0][0], start)
        return partner(j), "negative" if rather else None
    if names and (side := _idiom(text, (start, end), min(names), units[max(naming(), 0)][0][0])) is not None:
        return partner(naming()), side
    if _UNLIKE.match(text, start):
        return partner(i + 1), None
    if opens(_SO_MOVED):
        return partner(naming()), "moved"
    if opens(_NEVER_HAD):  # "Acme lost my bag; never had that with Bolt": the bag was lost by the brand before
        return partner(naming()) or (frozenset(units[i - 1][1]) if i and units[i - 1][1]
                                       and not units[i - 1][1] & owners else None), None
    # "switched | from Acme | to Bolt": the verb may be in the clause before, cut off by "from".
    before = units[i - 1][0][0] if i and not units[i - 1][1] and together(i - 1) else start
    if names and _LEAVING.search(text, before, min(names)) and i + 1 < len(units) and _ARRIVING.match(
            text, units[i + 1][0][0]):
        return partner(i + 1), "switch"
    return None, None


def _idiom(text: str, clause: Span, name: int, before: int) -> str | None:
    """The side that a comparison opening `clause`, its brand named at `name`, puts that brand on (the clause before
    it starting at `before`): "positive" for "(could learn ...) from Bolt" and "(is) no Bolt", "negative" for "puts
    Acme to shame", "apart" for "not Acme" after a verb of choosing (each brand read in its own clauses, on its side);
    None where it is none."""
    start, end = clause

    def opens(pattern: re.Pattern[str]) -> bool:
        return pattern.fullmatch(text, start, name) is not None

    if opens(_FROM):
        learnt = _LEARN.search(text, before, start) and not _MISTAKES.search(text, name, end)
        return "positive" if learnt else None
    if opens(_IS_NO):
        return "positive"
    if opens(_SHAME):
        return "negative"
    if opens(_NOT) and _CHOOSING.search(text, before, start):
        return "apart"
    return None


def _switch_end(text: str, start: int, found: dict[str, list[Span]]) -> int:
    """Where what a post says of a switch whose brand moved to is named at `start` ends: the end of that sentence, or
    of the next one where it names no brand ("Switched from Acme to Bolt. Never looking back.")."""
    ends = [m.start() for m in _SENTENCE_ENDS.finditer(text, start)][:2] + [len(text)] * 2
    named = any(ends[0] < s < ends[1] for spans in found.values() for s, _ in spans)
    return ends[0] if named else ends[1]


def _joined(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text of `spans`, neighbours as written (commas kept), the others joined by a space."""
    runs: list[list[int]] = []
    for start, end in spans:
        if runs and not text[runs[-1][1]:start].strip(" ,"):
            runs[-1][1] = end
        else:
            runs.append([start, end])
    return " ".join(text[start:end].strip() for start, end in runs)


def _turns_joined(text: str, units: list[Unit]) -> list[Unit]:
    """`units` with each clause naming no brand joined to the next one where only a turning word before a brand cut
    them apart ("Not going back | to Acme" is said of Acme; "left Acme | for Bolt" keeps its two clauses)."""
    joined: list[Unit] = []
    for span, owners in units:
        end = joined[-1][0][1] if joined and not joined[-1][1] else None
        if (end is not None and owners and not text[end:span[0]].strip()
                and _SENTENCE_END.search(text, end - 2, span[0]) is None and _TURNING.match(text, span[0])):
            span = (joined.pop()[0][0], span[1])
        joined.append((span, owners))
    return joined


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
