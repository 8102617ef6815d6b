"""Korean words without the particle written against them, so that themes count "환불이", "환불을" and "환불은"
(refund, as subject, object and topic) as the one word 환불.

No dictionary is used (a morphological analyser such as MeCab-ko is tens of megabytes). A particle is taken off only
where its form agrees with the syllable before it (이, 은, 을, 으로 follow a final consonant; 가, 는, 를 a vowel), and
never 도, 만, 의, 과 or a lone 로, which end too many nouns (속도, 불만, 회의, 결과, 도로); a noun ending in a syllable
that looks like a particle keeps it when the rest would be empty.
"""

from __future__ import annotations

import re

_HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")
# Particles of more than one syllable, longest first; then those that follow a final consonant, or a vowel.
_LONG = ("에서는", "에서도", "에게는", "으로는", "에서", "에게", "한테", "께서", "까지", "부터", "처럼", "보다", "에는", "에도",
         "으로", "이랑", "이나", "하고", "마다", "밖에", "조차")
_AFTER_CONSONANT = ("이", "은", "을")
_AFTER_VOWEL = ("가", "는", "를")


def _final_consonant(syllable: str) -> bool:
    """Whether a Hangul syllable ends in a consonant (has a batchim)."""
    return (ord(syllable) - 0xAC00) % 28 != 0


def is_korean(word: str) -> bool:
    """Whether `word` is all Hangul syllables."""
    return _HANGUL_WORD.fullmatch(word) is not None


def stem(word: str) -> str:
    """`word` without the particle at its end when it is a Hangul word with one ("환불이" -> "환불"), else `word`."""
    if len(word) < 2 or not is_korean(word):
        return word
    for particle in _LONG:
        if word.endswith(particle) and len(word) > len(particle):
            rest = word[: -len(particle)]
            # 으로 follows a final consonant; after a vowel it would be 로, part of the word
            return rest if particle != "으로" or _final_consonant(rest[-1]) else word
    rest, last = word[:-1], word[-1]
    if (last in _AFTER_CONSONANT and _final_consonant(rest[-1])) or (last in _AFTER_VOWEL
                                                                      and not _final_consonant(rest[-1])):
        return rest
    return word
