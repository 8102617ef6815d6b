"""Chinese, Japanese and Thai text, written without spaces between words, cut into pieces that themes and
near-duplicates can count: each run of Han, Hiragana, Katakana or Thai becomes its overlapping character bigrams, as
search engines index it (Lucene's CJKBigramFilter), and a term made of such bigrams is shown again as the run it
stands for.

Korean is written with spaces and needs none of this. No dictionary is used: a segmenter (jieba, Janome, PyThaiNLP's
newmm) is tens of megabytes per language and cuts a storm's new words (brand names, slang, misspellings) by what its
dictionary knows, while the themes contrast a storm with its baseline, where bigrams are what over-represented runs
are made of. Thai bigrams keep the vowel and tone marks (combining characters) of the run as characters of their own.
"""

from __future__ import annotations

import re
from operator import add
from collections import Counter
from collections.abc import Sequence

# Han (with its extensions and compatibility forms, 々 〆 〇), Hiragana, Katakana (with ー, half-width forms), and
# Thai letters with their vowel and tone marks, ฯ and ๆ (not Thai digits, ฿ or Thai punctuation).
_CHARACTERS = ("\u0e01-\u0e3a\u0e40-\u0e4e\u3005-\u3007\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
               "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
_RUN = re.compile(f"[{_CHARACTERS}]+")
# Two runs a space apart are two phrases (Chinese and Japanese posts use a space as a comma): a term never spans it.
_GAP = re.compile(f"(?<=[{_CHARACTERS}])\\s+(?=[{_CHARACTERS}])")
_ONE = re.compile(f"[{_CHARACTERS}]")
_HIRAGANA = re.compile("[\u3040-\u309f]+")
# Thai polite particles and the softener นะ, which end a sentence as a speaker's courtesy (ครับ, ค่ะ, นะคะ): a storm
# whose posts all end so would show its topic with one. Not ค่า or ฮะ, which end words too (มีค่า: valuable).
_THAI_PARTICLES = ("ครับ", "คับ", "ค่ะ", "คะ", "นะ", "จ้า", "จ้ะ")
# Words that end in นะ themselves (status, win, vehicle...): never cut.
_ENDING_IN_NA = ("สถานะ", "ฐานะ", "ชนะ", "พาหนะ", "ภาชนะ", "ทัศนะ", "มานะ")
# A run is extended for display by a character that this share of its texts have there.
SHARED = 0.9
LONGEST = 20  # characters shown at most for one term


def has_cjk(text: str) -> bool:
    """Whether `text` holds a Han, Hiragana, Katakana or Thai character."""
    return _ONE.search(text) is not None


def unspaced_word(token: str) -> bool:
    """Whether `token` is all Han, Hiragana, Katakana or Thai: a bigram such as "่เ" (a tone mark, then a vowel)
    is a word of the run even though it starts with a combining mark."""
    return _RUN.fullmatch(token) is not None


def grammatical_ends(parts: Sequence[str]) -> bool:
    """Whether a term's first or last word is Hiragana alone: Japanese writes its particles and inflections so
    ("して", "され", "ます"), and a term of them, or ending in them, says nothing a stop word would not."""
    return bool(parts) and any(_HIRAGANA.fullmatch(part) for part in (parts[0], parts[-1]))


def content(run: str) -> str:
    """`run` without the Hiragana (particles, inflections) at either end: "二重請求され" says "二重請求"."""
    return run.strip("".join(map(chr, range(0x3040, 0x30a0)))) or run


def without_particles(run: str) -> str:
    """`run` without the Thai polite particles at its end ("โอนเงินไม่เข้านะครับ" says "โอนเงินไม่เข้า"); '' when it is
    particles alone."""
    while True:
        particle = next((p for p in _THAI_PARTICLES if run.endswith(p)), None)
        if particle is None or (particle == "นะ" and run.endswith(_ENDING_IN_NA)):
            return run
        run = run[: -len(particle)]


def bigram_words(text: str, gap: str = " | ") -> str:
    """`text` with each CJK run written as its space-separated character bigrams (a run of one character as itself)
    and `gap` between two runs that only spaces separate."""
    return _RUN.sub(_bigrams, _GAP.sub(gap, text))


def character_words(text: str) -> str:
    """`text` with each CJK character a word of its own: word bigrams of it are character bigrams there."""
    return _RUN.sub(lambda m: " " + " ".join(m.group()) + " ", text)


def _bigrams(match: re.Match[str]) -> str:
    run = match.group()
    # map(add) over the run and itself shifted: twice as fast as slicing, called for every run of a 100,000-post
    # baseline.
    return f" {' '.join(map(add, run, run[1:])) if len(run) > 1 else run} "


def surface(parts: Sequence[str]) -> str:
    """The words of a term as written: consecutive CJK bigrams (of one run, as `bigram_words` made them) overlap by
    a character and are merged ("二重 重請 請求" is "二重請求"); other words are joined by a space."""
    shown = ""
    for part in parts:
        if shown and has_cjk(shown[-1]) and has_cjk(part[0]):
            shown += part[1:]
        else:
            shown += (" " if shown else "") + part
    return shown


def longest_run(term: str, texts: Sequence[str]) -> str:
    """`term` (all CJK) extended, on either side, by the characters that at least SHARED of the `texts` holding it
    have there: the bigram phrase "二重請求" of a storm saying "二重請求されました" throughout is shown whole."""
    holding = [text for text in texts if term in text]
    # Each character must be shared by SHARED of the texts holding the term itself, not of the fewer holding the
    # run so far: steps of 90 % each would otherwise drift to what a minority wrote.
    needed = SHARED * len(holding)
    while len(term) < LONGEST and holding:
        grown = _grown(term, holding, needed)
        if grown is None:
            break
        term = grown
        holding = [text for text in holding if term in text]
    return term


def _grown(term: str, holding: list[str], needed: float) -> str | None:
    """`term` one character longer on the side where `needed` texts of `holding` agree on a CJK character, else
    None."""
    for side in (1, -1):
        found: Counter[str] = Counter()
        for text in holding:
            found.update({_beside(text, at, len(term), side) for at in _places(text, term)} - {""})
        if found:
            character, count = found.most_common(1)[0]
            if count >= needed and has_cjk(character):
                return term + character if side == 1 else character + term
    return None


def _places(text: str, term: str) -> list[int]:
    places, at = [], text.find(term)
    while at >= 0:
        places.append(at)
        at = text.find(term, at + 1)
    return places


def _beside(text: str, at: int, length: int, side: int) -> str:
    """The character after (`side` 1) or before (-1) the occurrence of length `length` at `at`, or ''."""
    where = at + length if side == 1 else at - 1
    return text[where] if 0 <= where < len(text) else ""
