"""The sides of a comparison between brands: which clause names a brand as the other side of one ("better than Acme",
"unlike Acme", "switched from Acme to Bolt"), and the side that words or a settled switch put a brand on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from brandpulse.sentiment.target_clauses import AHEAD, ARTICLE, FILLER, SENTENCE_END, SO_MOVED, Span, Unit

# Comparisons whose second brand is given the opposite of the first one's reading: "Bolt is better than Acme", "I'd
# take Bolt over Acme", "went with Bolt instead of Acme", "Bolt is miles ahead of Acme", "Bolt beats Acme", "Bolt >
# Acme" (a clause opening with these words and the brand, after one naming the first brand in the same sentence),
# "Acme dropped my calls, never had that with Bolt" (after one naming it, in the sentence before too), "unlike Acme,
# Bolt answers" (just before one naming it), "switched from Acme to Bolt", "left Acme for Bolt" (a verb of leaving,
# then the second brand, then to / for and the first brand). Not "instead of Acme, try Bolt" nor "Bolt, unlike Acme,
# answers": measured on bench/data/brand_clauses.tsv, their opposite readings broke more than they fixed.
_AFTER = re.compile(rf"(?:than\s+{FILLER}|(?:over|instead\s+of|rather\s+than|{AHEAD}|beats?|>){ARTICLE})",
                    re.IGNORECASE)
# Comparisons that say which side each brand is on, whatever the model reads of them (it reads "Bolt puts Acme to
# shame" and "I'd rather pay more for Bolt than fly Acme again" negative): the brand after the words is put on the
# side given, the one before on the other, as a settled switch's. "Acme could learn a thing or two from Bolt" (not
# "from Bolt's mistakes"), "Acme is no Bolt", "Bolt puts Acme to shame", "I'd rather (sooner) ... Bolt than ... Acme",
# "go with (pick, choose, ...) Bolt, not Acme" (each brand in its own clauses, which read the choice better than the
# whole post: bench/data/brand_idioms.tsv); "Bolt, not Acme, lost my parcel" compares nothing.
_LEARN = re.compile(r"\blearn(?:\s+[\w']+){0,5}\s+$", re.IGNORECASE)
_MISTAKES = re.compile(r"\b(?:mistakes?|errors?|failures?|fails?|blunders?)\b", re.IGNORECASE)
_FROM = re.compile(rf"from{ARTICLE}", re.IGNORECASE)
_IS_NO = re.compile(r"no\s+", re.IGNORECASE)
_SHAME = re.compile(rf"put(?:s|ting)?{ARTICLE}", re.IGNORECASE)
_NOT = re.compile(rf"(?:but\s+)?not{ARTICLE}", re.IGNORECASE)
_RATHER = re.compile(r"\b(?:rather|sooner)\b", re.IGNORECASE)
# Comparisons whose words say which brand is the better, which the model often reads neutral whole ("Bolt is way
# cheaper than Acme and Dash", 0.45 neutral): put on sides as "rather ... than" is. A comparative a few words before
# "than" ("makes a better flat white than"), not denied ("no better than", "isn't much cheaper than"), nor one whose
# better depends on what is measured ("longer", "bigger", "busier"); "ahead of", "beats", "> Acme"; "over Acme" after a
# verb of choosing or before "any day".
_BETTER = (r"better|cheaper|faster|quicker|friendlier|nicer|kinder|smoother|easier|clearer|stronger|safer|cleaner|"
           r"more\s+(?:reliable|helpful|responsive|affordable|comfortable|generous|accurate|stable)|"
           r"less\s+(?:buggy|expensive|annoying|laggy|crowded)")
_WORSE = (r"worse|slower|pricier|dearer|costlier|ruder|weaker|buggier|flakier|laggier|dirtier|"
          r"more\s+(?:expensive|annoying|confusing|crowded|buggy)|less\s+(?:reliable|helpful|responsive|stable)")
_COMPARATIVE = re.compile(rf"\b(?:(?P<better>{_BETTER})|(?P<worse>{_WORSE}))(?:\s+[\w'’]+){{0,3}}\s+$", re.IGNORECASE)
_DENIED = re.compile(r"(?:\b(?:no|not|hardly|barely|never|(?:is|are|was|were|do|does|ai)nt)|n['’]t)\s+(?:\w+\s+)?$",
                     re.IGNORECASE)
_OUTDOING = re.compile(rf"(?:{AHEAD}|beats?|>){ARTICLE}", re.IGNORECASE)
_OVER = re.compile(rf"over{ARTICLE}", re.IGNORECASE)
_PREFERRING = re.compile(r"\b(?:take|took|prefer(?:red)?|pick(?:ed)?|choose|chose|go(?:ing)?\s+with|went\s+with)\b",
                         re.IGNORECASE)
_ANY_DAY = re.compile(r"\bany\s+day\b", re.IGNORECASE)
_CHOOSING = re.compile(r"\b(?:go(?:ing)?\s+with|went\s+with|pick(?:ed)?|choose|chose|get|got|buy|bought|try|use|take|"
                       r"stick\s+with|book(?:ed)?|sign\s+up\s+(?:with|for)|recommend)\b", re.IGNORECASE)
# "Acme and Bolt raised prices, so I moved to Dash" (booked a Dash, fly Dash now): a switch after the complaint of the
# clause before, in one sentence; the brand moved to is read opposite to that clause alone, not "so I got a refund from
# Dash", nor "so I stayed with Acme".
_SO_MOVED = re.compile(SO_MOVED, re.IGNORECASE)
# "so I switched to Dash and I regret it": the switch's clause says more of Dash, as a clause of its own after it would.
_SAYS_MORE = re.compile(r"\S*(?:\s+\w+){0,2}\s+(?:and|but)\s+\w", re.IGNORECASE)
_UNLIKE = re.compile(r"unlike\s", re.IGNORECASE)
_NEVER_HAD = re.compile(rf"never\s+had\s+(?:that|this|these|those|such|the\s+same)(?:\s+\w+)?\s+with{ARTICLE}",
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
_SENTENCE_ENDS = re.compile(r"[.!?…;\n]+")  # "!!" ends one sentence


@dataclass(frozen=True)
class Comparisons:
    """What `compared` found in a post: the brands named as the other side of a comparison with the
    brands they are compared with, the clauses naming them so, and the side words or a switch put a brand on."""

    sides: dict[str, frozenset[str]]
    fragments: dict[str, list[Span]]
    leaning: dict[str, str]


def compared(text: str, units: list[Unit], found: dict[str, list[Span]]) -> Comparisons:
    """The brands named as the other side of a comparison, each with the brands it is compared with (one, or two
    sharing a clause: "better than Acme and Bolt"), the clauses naming them so (`units` changed in place: such a
    clause speaks of the brands compared with), and the side that a settled switch (negative: the brand left) or a
    comparison saying so (see _LEARN) puts such a brand on ("moved": the brand of a switch after a complaint)."""
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
                if kind == "switch" and _SETTLED.search(text, span[0], _switch_end(text, units[i + 1][0][0], found)):
                    leaning[brand] = "negative"
                elif kind in ("negative", "positive"):
                    leaning[brand] = kind
    return Comparisons(sides, fragments, leaning)


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
        return SENTENCE_END.search(text, first[1] - 2, second[0]) is None

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
        return partner(j), _favoured(text, units[j][0][0] if j >= 0 else start, (start, end), min(names))
    if names and (side := _idiom(text, (start, end), min(names), units[max(naming(), 0)][0][0])) is not None:
        return partner(naming()), side
    if _UNLIKE.match(text, start):
        return partner(i + 1), None
    if opens(_SO_MOVED) and not _SAYS_MORE.match(text, max(names)):
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


def _favoured(text: str, before: int, clause: Span, name: int) -> str | None:
    """The side that a comparison opening `clause` ("than Acme", "over Acme", "beats Acme", its brand named at
    `name`) puts that brand on, where its words say which is the better (the clause naming the other brand starting at
    `before`): "negative" for "rather ... than Acme", "cheaper than Acme", "beats Acme", "take Bolt over Acme",
    "positive" for "worse than Acme"; None where they do not say it."""
    start, end = clause
    if text[start:start + 4].lower() == "than":
        if _RATHER.search(text, before, start):
            return "negative"
        said = _COMPARATIVE.search(text[before:start])
        if said is None or _DENIED.search(text, before, before + said.start()):
            return None
        return "negative" if said.group("better") else "positive"
    if _OUTDOING.fullmatch(text, start, name):
        return "negative"
    chosen = _PREFERRING.search(text, before, start) or _ANY_DAY.search(text, name, end)
    if _OVER.fullmatch(text, start, name) and chosen:
        return "negative"
    return None


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
