"""Themes: the words and phrases over-represented in a window's mentions against a baseline of the same brand's.

Terms are 1-3 grams of lower-cased words. URLs, @handles, numbers, punctuation and the brand's own keywords break
phrases and are never terms; a term neither starts nor ends with a stop word ("waste of money" is one, "of money"
is not); words count by their Snowball stem ("charged", "charges", "charging"), shown in the window's most frequent
form. The contrast is the weighted log-odds ratio with an informative Dirichlet prior of Monroe, Colaresi & Quinn
(2008, "Fightin' Words", section 3.5): each n-gram order is its own multinomial, the prior is the pooled counts of
window and baseline, and the score is the z-score of the log-odds difference. A brand with little history has
little to contrast a storm with (with none, no term can stand out): a general `Background` (term counts of negative
tweets at large) then tops its baseline up to `TOP_UP_TEXTS` texts' worth. A phrase is kept instead of a shorter
part of it when that part occurs (almost) only inside the phrase, and of two overlapping phrases of the same
sentence (a shared word, about the same count) only the better one is listed.

Counting is vectorised with numpy: the texts of a corpus are joined and tokenised at C speed, words become
ids of the window's vocabulary, and n-grams become int64 keys; a 100,000-mention baseline takes a fraction of a second.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from brandpulse.alerts import korean
from brandpulse.alerts.cjk import (bigram_words, content, grammatical_ends, has_cjk, longest_run, surface,
                                   unspaced_word, without_particles)

STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below between
both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from
further get gets getting got had hadn't has hasn't have haven't having he he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most mustn't my
myself no nor not now of off on once only or other ought our ours ourselves out over own same shan't she she's should
shouldn't so some such than that that's the their theirs them themselves then there there's these they they'd
they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've were
weren't what what's when when's where where's which while who who's whom why why's will with won't would wouldn't
you you'd you'll you're you've your yours yourself yourselves still really today yesterday one two im dont cant
rt via amp u ur pls please hi hey lol since anyone anybody someone everyone else going gonna
""".split())
# Stop words that may open a phrase, never end one: a negation is what the complaint says ("no signal", "not
# working", "can't login", "never arrived"), while "no" alone, or "signal no", says nothing.
NEGATIONS = frozenset("no not cannot can't cant don't dont didn't doesn't won't isn't wasn't aren't haven't "
                      "hasn't couldn't".split())
# Words any complaint uses to report what it saw or did, whatever it is about: like a stop word, one may sit inside a
# phrase but neither start nor end one. A login storm's posts quoting the app ("the app says 'invalid code'", "it
# says session expired", "every time i log in") made "says", "app says", "app just says" and "time" its themes,
# above "invalid code". Matched by stem, any form. So are the words of a comparison: the other brand is no term (the
# composition root passes every configured brand's words), and "compared" alone says nothing of what was compared.
GENERIC_WORDS = frozenset("""
say says said saying tell tells told telling show shows showed shown showing keep keeps kept keeping try tries tried
trying want wants wanted need needs needed know knew known think thought seem seems seemed see saw seen look looks
looked make makes made making come came take took give gave go goes went thing things way time times
compare compared comparing comparison versus vs unlike
""".split())
# Function words of Spanish, Portuguese, French, Italian and German, which no English text uses as a word of its own
# (not "die", "con", "sin", "war", "pour"): like GENERIC_WORDS, one may sit inside a phrase ("devuelvan el dinero") but
# neither start nor end one. An unscored Spanish storm listed "cobro duplicado en" and "cobro doble de".
FUNCTION_WORDS = frozenset("""
de del el la los las en y que por para un una al lo su sus es muy pero más como ya le les se mi mis tu
da das em um uma com meu minha é na
du des et est une sur au aux ce cette qui je il ils nous vous mon ma mes
di che il gli della nel sono
der das und ist ein eine einen mit auf für von zu dem ich sie wir mein meine nach bei
""".split())
# Particles of a phrasal verb, stop words that end no term: a theme that nearly always has one after it in the window
# is shown with it ("log in", "sign up", "top up", "shut down"); "log" alone named a login storm.
PARTICLES = ("in", "out", "up", "on", "off", "down", "back", "over")
_PARTICLE_AFTER = re.compile(rf"\s+({'|'.join(PARTICLES)})\b")
# The compounds of a word and a particle that "log in", "log-in" and "login" write alike. A known list, not any word
# ending in a particle: that rule read "cart on" as "carton", "mart in" as "martin", "bat on" as "baton" wherever the
# window held both spellings. Phrasal verbs and their nouns as complaints use them (accounts, orders, payments, apps).
COMPOUNDS = frozenset("""
login logon logout logoff signin signon signup signout setup checkin checkout checkup backup cashback payback callback
rollback feedback pickup lookup topup popup startup shutdown breakdown lockdown slowdown countdown meltdown dropdown
takeout takeoff takeover handover layover stopover makeover turnover pushback kickoff cutoff payout rollout blackout
lockout dropout workout walkout printout followup addon plugin
""".split())
# Phrasal verbs written apart only, shown with their particle as the COMPOUNDS' words are ("turn off", not "battery
# dies in" from "dies in an hour" nor "cracked screen on" from "screen on my phone"). Matched by the verb's stem.
PHRASAL_VERBS = frozenset("""
turn_on turn_off switch_on switch_off power_on power_off hang_up run_out sell_out sold_out kick_out lock_out cut_out
freeze_up froze_up show_up go_down went_down gone_down charge_back pay_back call_back get_back come_back give_back
send_back wipe_out cancel_out drop_out time_out log_on
""".split()) | {f"{word[:-len(p)]}_{p}" for word in COMPOUNDS for p in PARTICLES if word.endswith(p)}
# "log-in", "sign-in", "check-out": a hyphen between the parts of a compound writes one word, the compound "login"
# is written without it; read as a boundary, "sign-in" was "sign" and "in", another theme than "signin" or "sign in".
_HYPHENED_PARTICLE = re.compile(rf"\b([a-z]+)-({'|'.join(PARTICLES)})\b")


def _join_hyphened(found: re.Match[str]) -> str:
    joined = found.group(1) + found.group(2)
    return joined if joined in COMPOUNDS else found.group(0)


# Links, handles, digits and ASCII punctuation become a boundary: a phrase never spans them. Tokenising with
# one literal-led regex, bytes.translate and str.split is ten times faster than a regex of word classes.
_LINKS = re.compile(r"(?:https?://|www\.|@)\S*")
_PUNCTUATION = "".join(c for c in string.punctuation if c != "'") + string.digits
_TO_BOUNDARY = bytes.maketrans(_PUNCTUATION.encode("ascii"), b"|" * len(_PUNCTUATION))


class _SymbolsBeyondAscii(dict):
    """A `str.translate` table, filled as characters come: punctuation and symbols beyond ASCII (emoji, `…`, `«`,
    `¿`, `。`) become a boundary, as ASCII's do; `’` is an apostrophe; anything else (letters, their marks) stays."""

    def __missing__(self, code: int) -> str | int:
        if code == 0x2019:
            value: str | int = "'"
        else:
            value = " | " if code > 0x7F and unicodedata.category(chr(code))[0] in "PS" else code
        self[code] = value
        return value


# "charged twice😡" or "twice…" would otherwise be a word of its own, and the storm's "charged twice" not counted.
_SYMBOLS = _SymbolsBeyondAscii()
# Between two texts: a boundary, and where the next text starts (a private-use character no post is written in).
TEXT_BREAK = "\ue000"
_SEPARATOR = f" {TEXT_BREAK} "
BOUNDARY, UNKNOWN, NEXT_TEXT = 0, 1, 2  # NEXT_TEXT: the TEXT_BREAK token, a boundary that also counts texts
_RESERVED = 3
# A part is dropped for its phrase when at most this share of its occurrences is outside the phrase.
INSIDE_TOLERANCE = 0.1
# A phrase takes the place of the better themes whose words it holds when at least this share of their posts use it:
# "app crashes" (28 posts) is listed for "crashes" (40), "charged me twice" (13) is not for "charged" (40).
PHRASE_SHARE = 0.5
MIN_COUNT = 3  # a theme is mentioned at least this often in the window
MIN_SCORE = 1.96  # and over-represented at the 5 % level
# A baseline of fewer texts is topped up with the background, weighted as the texts it lacks: a brand's own history
# decides its themes as soon as it has some, and a new brand's storm still has something to stand out against.
TOP_UP_TEXTS = 100


class ThemesError(ValueError):
    """Bad arguments to the themes functions."""


@dataclass(frozen=True)
class Theme:
    """A term over-represented in the window: its count there and in the baseline, and its z-score."""

    term: str
    count: int
    baseline_count: int
    score: float

    def as_dict(self) -> dict[str, object]:
        """`{"term", "count", "baseline_count", "score"}`: the stable JSON shape of `details.themes`."""
        return asdict(self)


@dataclass(frozen=True)
class Background:
    """How many texts of a general corpus hold each 1-3 gram, as space-joined stems (stop words as themselves), per
    order; with the number of grams counted per order and of texts (see `background_counts`)."""

    counts: tuple[dict[str, int], ...]
    totals: tuple[int, ...]
    texts: int


def ignored_words(keywords: Iterable[str]) -> set[str]:
    """The lower-cased words of the brand's name and keywords (and their possessives), which are never terms."""
    found = {w for w in words(keywords) if w not in ("|", TEXT_BREAK)}
    return found | {f"{w}'s" for w in found}


def words(texts: Iterable[str]) -> list[str]:
    """The tokens of `texts`, lower-cased, '|' for a boundary (between texts, links, handles, digits, punctuation)."""
    joined = _SEPARATOR.join(map(_plain, texts)).lower()
    joined = _LINKS.sub(" | ", joined)
    joined = _HYPHENED_PARTICLE.sub(_join_hyphened, joined) if "-" in joined else joined
    data = (" " + joined + " ").encode("utf-8").translate(_TO_BOUNDARY).replace(b"|", b" | ")
    # A quote at either end of a word is not an apostrophe inside it ("'great'" is "great").
    return data.replace(b" '", b" ").replace(b"' ", b" ").decode("utf-8").split()


def _plain(text: str) -> str:
    """`text` in NFKC (full-width "ＲＥＦＵＮＤ" is "REFUND", half-width "ｶｰﾄﾞ" is "カード"), with its symbols beyond
    ASCII as boundaries, its Chinese, Japanese and Thai as character bigrams (written without spaces, a post would be
    one word) and without TEXT_BREAK (a post's own would count as texts of their own: one post repeating a phrase as
    many); an ASCII text, most of them, as it is."""
    # Symbols first: NFKC would write "…" as "...", three boundaries for one.
    return text if text.isascii() else bigram_words(folded(text.replace(TEXT_BREAK, " ").translate(_SYMBOLS)))


def folded(text: str) -> str:
    """`text` in NFKC, as themes count its words."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _is_word(token: str) -> bool:
    """Letters, with their combining marks: Devanagari's and Thai's vowel signs are marks (नहीं is a word), and a
    Thai bigram may start with one."""
    plain = token.replace("'", "")
    return plain.isalpha() or unspaced_word(plain) or (plain[:1].isalpha()
                               and all(c.isalpha() or unicodedata.category(c)[0] == "M" for c in plain))


def _id_arrays(tokens: list[str], vocabulary: dict[str, int]) -> np.ndarray:
    return np.fromiter(map(vocabulary.get, tokens, itertools.repeat(UNKNOWN)), dtype=np.int64, count=len(tokens))


def _gram_keys(ids: np.ndarray, texts: np.ndarray, stop: np.ndarray, opens: np.ndarray, size: int) -> list[np.ndarray]:
    """Per order 1..3: the int64 key of every valid n-gram (no boundary inside, no stop word at either end but a
    negation opening a phrase), each counted once per text (`texts`: each token's text number)."""
    boundary = (ids == BOUNDARY) | (ids == NEXT_TEXT)
    content = ~boundary & ~stop[ids]
    first = content | opens[ids]
    # Slices of a too-short array are empty: no special case for one or two tokens.
    pairs = first[:-1] & content[1:]
    triples = first[:-2] & ~boundary[1:-1] & content[2:]
    unknown = ids == UNKNOWN
    grams = [(ids[content], texts[content], unknown[content]),
             (ids[:-1][pairs] * size + ids[1:][pairs], texts[:-1][pairs], (unknown[:-1] | unknown[1:])[pairs]),
             ((ids[:-2][triples] * size + ids[1:-1][triples]) * size + ids[2:][triples], texts[:-2][triples],
              (unknown[:-2] | unknown[1:-1] | unknown[2:])[triples])]
    # A gram holding a word the window lacks is not repeated when its key is: distinct words share UNKNOWN's id.
    return [np.concatenate((_once_per_text(keys[~other], numbers[~other], size ** order), keys[other]))
            for order, (keys, numbers, other) in enumerate(grams, start=1)]


def _once_per_text(keys: np.ndarray, texts: np.ndarray, key_range: int) -> np.ndarray:
    """`keys` (each below `key_range`) without the repeats of a key within one text: a term counts the mentions that
    use it, so one post repeating a phrase 2,000 times counts once, not as a theme of its own."""
    if len(keys) < 2:
        return keys
    if (int(texts[-1]) + 1) * key_range < 2 ** 63:
        # One int64 per (text, key), in text order already: sorting it is nearly free (numpy's hashing unique is not).
        pairs = texts * key_range + keys
        pairs.sort()
        return pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] % key_range
    order = np.lexsort((keys, texts))
    keys, texts = keys[order], texts[order]
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    first[1:] = (keys[1:] != keys[:-1]) | (texts[1:] != texts[:-1])
    return keys[first]


def _text_numbers(ids: np.ndarray) -> np.ndarray:
    """Each token's text: how many text breaks come before it."""
    return np.cumsum(ids == NEXT_TEXT)


@dataclass(frozen=True)
class _Counts:
    keys: np.ndarray  # unique window keys of one order, sorted
    window: np.ndarray
    baseline: np.ndarray  # the brand's own counts, as shown
    window_total: int
    baseline_total: int
    # What the window is contrasted with: the baseline, topped up with the background when it is short.
    reference: np.ndarray | None = None
    reference_total: float = 0.0
    # Which grams the top-up applies to: those of the window's texts in the background's language.
    topped: np.ndarray | None = None

    def z(self) -> np.ndarray:
        """Each window gram's z-score against the baseline, or against the topped-up reference where it applies."""
        own = log_odds_z(self.window, self.baseline, self.window_total, max(self.baseline_total, 1))
        if self.reference is None:
            return own
        topped = log_odds_z(self.window, self.reference, self.window_total, max(self.reference_total, 1.0))
        return topped if self.topped is None else np.where(self.topped, topped, own)


def _count(window: list[np.ndarray], baseline: list[np.ndarray]) -> list[_Counts]:
    counted = []
    for win, base in zip(window, baseline):
        keys, counts = np.unique(win, return_counts=True)
        found = np.zeros(len(keys), dtype=np.int64)
        if len(keys) and len(base):
            # Binary search of the baseline's grams among the window's: no sort of the (much larger) baseline.
            at = np.minimum(np.searchsorted(keys, base), len(keys) - 1)
            found = np.bincount(at[keys[at] == base], minlength=len(keys))
        counted.append(_Counts(keys, counts, found, len(win), len(base)))
    return counted


def log_odds_z(y_i: np.ndarray, y_j: np.ndarray, n_i: float, n_j: float) -> np.ndarray:
    """Monroe et al.'s z-scores of group i against j, with the pooled counts as informative Dirichlet prior."""
    alpha = (y_i + y_j).astype(float)
    alpha0 = float(n_i + n_j)
    # The rest of each corpus, at least one pseudo-count: a term may be the whole of a tiny corpus.
    rest_i = np.maximum(n_i + alpha0 - y_i - alpha, 1.0)
    rest_j = np.maximum(n_j + alpha0 - y_j - alpha, 1.0)
    delta = np.log((y_i + alpha) / rest_i) - np.log((y_j + alpha) / rest_j)
    return delta / np.sqrt(1.0 / (y_i + alpha) + 1.0 / (y_j + alpha))


def _decode(key: int, order: int, size: int, names: list[str]) -> tuple[str, ...]:
    parts = []
    for _ in range(order):
        key, part = divmod(key, size)
        parts.append(names[part])
    return tuple(reversed(parts))


def _candidates(counted: list[_Counts], size: int, names: list[str], stems: list[str]) -> list[Theme]:
    found = []
    generic = _generic_stems()
    for order, c in enumerate(counted, start=1):
        if not len(c.keys):
            continue
        z = c.z()
        for k in np.flatnonzero((c.window >= MIN_COUNT) & (z >= MIN_SCORE)):
            key = int(c.keys[k])
            said = _decode(key, order, size, stems)
            if said[0] in generic or said[-1] in generic:
                continue
            term = " ".join(_decode(key, order, size, names))
            found.append(Theme(term, int(c.window[k]), int(c.baseline[k]), round(float(z[k]), 2)))
    return sorted(found, key=lambda t: (-t.score, -t.count, t.term))


def _inside_longer(candidates: list[Theme]) -> set[str]:
    """The terms that (almost) only occur inside a longer candidate phrase."""
    counts = {t.term: t.count for t in candidates}
    dropped = set()
    for phrase in candidates:
        parts = phrase.term.split()
        for length in range(1, len(parts)):
            for start in range(len(parts) - length + 1):
                part = " ".join(parts[start:start + length])
                if part in counts and phrase.count >= (1 - INSIDE_TOLERANCE) * counts[part]:
                    dropped.add(part)
    return dropped


def themes(window_texts: Sequence[str], baseline_texts: Sequence[str], keywords: Iterable[str] = (),
           limit: int = 5, background: Background | None = None,
           in_background: Sequence[bool] | None = None) -> list[Theme]:
    """The `limit` terms most over-represented in `window_texts` against `baseline_texts` (topped up with
    `background` when it has fewer than TOP_UP_TEXTS texts, for the grams of the window texts that `in_background`
    says are in the background's language: all when None), best first."""
    if limit < 0:
        raise ThemesError(f"limit must be >= 0, not {limit}")
    window_tokens = words(window_texts)
    baseline_tokens = words(baseline_texts)
    vocabulary = _vocabulary(window_tokens, keywords)
    vocabulary.add(set(baseline_tokens))
    size = len(vocabulary.names)
    compounds = _compound_pairs(vocabulary)
    ids = [_joined(_id_arrays(tokens, vocabulary.ids), compounds) for tokens in (window_tokens, baseline_tokens)]
    grams = [_gram_keys(each, _text_numbers(each), vocabulary.stop, vocabulary.opens, size) for each in ids]
    counted = _count(*grams)
    if background is not None and len(baseline_texts) < TOP_UP_TEXTS:
        weight = (TOP_UP_TEXTS - len(baseline_texts)) / max(background.texts, 1)
        # A word of another language is in no text of the background: against it, any such word (a German "das")
        # would stand out. Those grams are contrasted with the brand's own baseline alone.
        own_language = None if in_background is None else _gram_keys_of(
            [text for text, same in zip(window_texts, in_background) if same], vocabulary, size, compounds)
        counted = _topped_up(counted, background, weight, size, vocabulary.stems, own_language)
    candidates = [t for t in _candidates(counted, size, vocabulary.names, vocabulary.stems)
                  if t.term.isascii() or not grammatical_ends(t.term.split())]
    dropped = _inside_longer(candidates)
    kept = _one_per_word(_distinct([t for t in candidates if t.term not in dropped], len(candidates)))
    return _readable(kept, window_texts, limit, {vocabulary.names[j]: vocabulary.names[p] for _, p, j in compounds})


def _compound_pairs(vocabulary: _Vocabulary) -> list[tuple[int, int, int]]:
    """(word id, particle id, compound id) of each of the COMPOUNDS in the window whose word it also holds ("login" and
    "log", "setup" and "set"): "log in" counts as "login", one theme however it is written."""
    pairs = []
    for stem, head, particle in _compound_parts():
        # "back" is no stop word: it has its stem's id ("cash back", "cashback").
        after = vocabulary.ids.get(particle, vocabulary.stem_ids.get(particle))
        if stem in vocabulary.stem_ids and head in vocabulary.stem_ids and after:
            pairs.append((vocabulary.stem_ids[head], after, vocabulary.stem_ids[stem]))
    return pairs


def _joined(ids: np.ndarray, compounds: list[tuple[int, int, int]]) -> np.ndarray:
    """`ids` with each word followed by its compound's particle as the compound's one id ("log in" as "login")."""
    for word, particle, compound in compounds:
        at = np.flatnonzero((ids[:-1] == word) & (ids[1:] == particle))
        if len(at):
            ids[at] = compound
            ids = np.delete(ids, at + 1)
    return ids


def _readable(found: list[Theme], window_texts: Sequence[str], limit: int,
              compounds: dict[str, str] | None = None) -> list[Theme]:
    """The first `limit` of `found` with CJK bigram terms shown as the runs they stand for, each the longest that
    (almost) all the window's texts holding it share, and without a run that is part of a better one used about as
    often."""
    if not any(has_cjk(t.term) for t in found):
        lowered = [text.lower() for text in window_texts]
        return [replace(t, term=_with_particle(_spelled(t.term, lowered, compounds or {}), lowered))
                for t in found[:limit]]
    lowered = [folded(text).lower() for text in window_texts]
    shown: list[Theme] = []
    for theme in found:
        if len(shown) == limit:
            # A theme is only ever added after the better ones: the rest cannot change the first `limit`, and each
            # costs a scan of the window (longest_run), thousands of them in a Japanese storm's bigrams.
            break
        term = surface(theme.term.split())
        if all(has_cjk(c) for c in term):
            # Thai courtesy that every post ends with (ครับ, ค่ะ) is no part of the topic; a term of it alone is none.
            term = without_particles(longest_run(term, lowered))
            if not term:
                continue
        said = content(term)
        # A run whose words a better theme holds says nothing more when it adds only an inflection ("二重請求され"
        # beside "二重請求") or is used about as often.
        if not any(said in t.term and (said == t.term or abs(theme.count - t.count) <= INSIDE_TOLERANCE * t.count)
                   for t in shown):
            shown.append(Theme(term, theme.count, theme.baseline_count, theme.score))
    return shown


def _with_particle(term: str, lowered: Sequence[str]) -> str:
    """`term` with the particle that follows it in (almost) every window text holding it (`log` as `log in`); the
    counts stay those of the term found. A scan of the window, for the few themes shown only."""
    if not term.isascii() or term.split()[-1] in STOPWORDS:
        return term
    at = re.compile(rf"\b{re.escape(term)}\b")
    after = Counter()
    holding = 0
    for text in lowered:
        found = at.search(text)
        if found:
            holding += 1
            particle = _PARTICLE_AFTER.match(text, found.end())
            after[particle.group(1) if particle else None] += 1
    particle, count = after.most_common(1)[0] if after else (None, 0)
    # "down" after anything says it is out of service ("network down", "site down"), the outage's own word.
    if not particle or particle != "down" and (_stems([term.split()[-1]])[0], particle) not in _phrasal_pairs():
        return term
    return f"{term} {particle}" if count >= (1 - INSIDE_TOLERANCE) * holding else term


def _spelled(term: str, lowered: Sequence[str], compounds: Mapping[str, str]) -> str:
    """`term` with each compound in it ("login", whose particle is `compounds`' "in") as the window writes it most
    often: "login", "log in" or "log-in" (the first of them on a tie). A scan of the window, for compounds shown."""
    parts = term.split()
    for k, part in enumerate(parts):
        particle = compounds.get(part)
        if particle is None or not part.endswith(particle):
            continue
        head = part[:-len(particle)]
        spellings = [part, f"{head} {particle}", f"{head}-{particle}"]
        found = Counter(m.group(0) for text in lowered
                        for m in re.finditer(rf"\b{re.escape(head)}(?:\s+|-)?{re.escape(particle)}\b", text))
        counts = Counter()
        for written, n in found.items():
            counts[part if written == part else spellings[2] if "-" in written else spellings[1]] += n
        parts[k] = max(spellings, key=lambda s: (counts[s], -spellings.index(s)))
    return " ".join(parts)


def _gram_keys_of(texts: Sequence[str], vocabulary: _Vocabulary, size: int,
                  compounds: list[tuple[int, int, int]] = ()) -> list[np.ndarray]:
    """Per order, the keys of the grams `texts` hold (in the window's vocabulary, `compounds` joined)."""
    ids = _joined(_id_arrays(words(texts), vocabulary.ids), compounds)
    return _gram_keys(ids, _text_numbers(ids), vocabulary.stop, vocabulary.opens, size)


def _topped_up(counted: list[_Counts], background: Background, weight: float, size: int,
               stems: list[str], own_language: list[np.ndarray] | None = None) -> list[_Counts]:
    """The baseline's counts plus `weight` times the background's, for each window gram (for those among
    `own_language`'s keys of its order only, when given)."""
    topped = []
    for order, c in enumerate(counted, start=1):
        known = background.counts[order - 1]
        extra = np.array([known.get(" ".join(_decode(int(k), order, size, stems)), 0) for k in c.keys], dtype=float)
        applies = None if own_language is None else np.isin(c.keys, own_language[order - 1])
        topped.append(_Counts(c.keys, c.window, c.baseline, c.window_total, c.baseline_total,
                              c.baseline + weight * extra, c.baseline_total + weight * background.totals[order - 1],
                              applies))
    return topped


def background_counts(texts: Sequence[str], minimum: int = 2) -> Background:
    """The `Background` of `texts`: each gram's text count (grams in fewer than `minimum` texts left out)."""
    tokens = words(texts)
    vocabulary = _vocabulary(tokens, ())
    ids = _id_arrays(tokens, vocabulary.ids)
    size = len(vocabulary.names)
    counts, totals = [], []
    for order, keys in enumerate(_gram_keys(ids, _text_numbers(ids), vocabulary.stop, vocabulary.opens, size),
                                 start=1):
        unique, found = np.unique(keys, return_counts=True)
        kept = found >= minimum
        counts.append({" ".join(_decode(int(k), order, size, vocabulary.stems)): int(n)
                       for k, n in zip(unique[kept], found[kept])})
        totals.append(len(keys))
    return Background(tuple(counts), tuple(totals), len(texts))


_LOCAL = threading.local()
STEM_CACHE = 200_000  # words; a few MB, and a service or a 10-brand digest stems the same words again and again


def _stems(tokens: list[str]) -> list[str]:
    """Snowball (Porter 2) stems: "charged", "charges" and "charging" count as one word; a Korean word's is the word
    without its particle ("환불이", "환불을": 환불)."""
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        import Stemmer

        # One per thread: PyStemmer's objects (and their caches) are not thread-safe.
        stemmer = _LOCAL.stemmer = Stemmer.Stemmer("english", STEM_CACHE)
    return [korean.stem(stem) for stem in stemmer.stemWords(tokens)]


@functools.cache
def _phrasal_pairs() -> frozenset[tuple[str, str]]:
    """(verb stem, particle) of each of PHRASAL_VERBS, stemmed once."""
    pairs = sorted(verb.split("_") for verb in PHRASAL_VERBS)
    return frozenset(zip(_stems([verb for verb, _ in pairs]), [particle for _, particle in pairs]))


@functools.cache
def _compound_parts() -> tuple[tuple[str, str, str], ...]:
    """(stem, its word's stem, particle) of each of COMPOUNDS ("takeov", "take", "over"), stemmed once."""
    split = [(word, next(p for p in PARTICLES if word.endswith(p))) for word in sorted(COMPOUNDS)]
    return tuple(zip(_stems([w for w, _ in split]), _stems([w[:-len(p)] for w, p in split]), [p for _, p in split]))


@functools.cache
def _generic_stems() -> frozenset[str]:
    """The stems of GENERIC_WORDS and FUNCTION_WORDS, stemmed once."""
    return frozenset(_stems(sorted(GENERIC_WORDS | FUNCTION_WORDS)))


@dataclass
class _Vocabulary:
    """Token -> id (a stem's id for content words), id -> name shown and id -> stem (a stop word's is itself), which
    ids are stop words and which of them may open a phrase."""

    ids: dict[str, int]
    names: list[str]
    stems: list[str]
    stop: np.ndarray
    opens: np.ndarray
    stem_ids: dict[str, int]
    ignored_stems: set[str]

    def add(self, tokens: set[str]) -> None:
        """Give the content words among `tokens` not seen yet the id of their stem, when the window has that stem."""
        new = [t for t in tokens if t not in self.ids and _is_word(t)]
        for token, stem in zip(new, _stems(new)):
            if stem in self.ignored_stems:
                self.ids[token] = BOUNDARY
            elif stem in self.stem_ids:
                self.ids[token] = self.stem_ids[stem]


def _vocabulary(window_tokens: list[str], keywords: Iterable[str]) -> _Vocabulary:
    """The window's vocabulary: stop words by themselves, content words by stem (shown as the stem's most frequent
    form in the window); boundaries and the brand's words (any form) -> BOUNDARY. Baseline words outside it are
    UNKNOWN: no theme holds them."""
    counts = Counter(window_tokens)
    ignored = ignored_words(keywords)
    ignored_stems = set(_stems(sorted(ignored)))
    content = [w for w in counts if w not in STOPWORDS and w not in ignored and _is_word(w)]
    stemmed = [(w, stem) for w, stem in zip(content, _stems(content)) if stem not in ignored_stems]
    shown: dict[str, str] = {}
    for word, stem in stemmed:
        if stem not in shown or (counts[word], word) > (counts[shown[stem]], shown[stem]):
            shown[stem] = word
    # A Korean word is shown without its particle: "환불", not whichever of "환불이" and "환불을" was written most.
    shown.update([(stem, stem) for stem, word in shown.items() if stem != word and korean.is_korean(stem)])
    names = ["|", "?", TEXT_BREAK, *sorted(STOPWORDS)]
    stem_ids = {stem: len(names) + k for k, stem in enumerate(sorted(shown))}
    names += [shown[stem] for stem in sorted(shown)]
    stems = names[:len(names) - len(stem_ids)] + sorted(shown)
    vocabulary = _Vocabulary({name: i for i, name in enumerate(names[:_RESERVED + len(STOPWORDS)])}, names, stems,
                             np.zeros(len(names), dtype=bool), np.array([n in NEGATIONS for n in names]), stem_ids,
                             ignored_stems)
    vocabulary.stop[_RESERVED:_RESERVED + len(STOPWORDS)] = True
    vocabulary.ids.update((w, BOUNDARY) for w in counts if w not in vocabulary.ids)  # non-words, the brand's forms
    vocabulary.ids.update((w, BOUNDARY) for w in [*ignored, "|"])
    vocabulary.ids.update((w, stem_ids[stem]) for w, stem in stemmed)
    return vocabulary


def _distinct(candidates: list[Theme], limit: int) -> list[Theme]:
    """Best first, without a term that shares a content word and (within the tolerance) its count with a better
    one: two overlapping phrases of one sentence ("battery overheating", "overheating while charging") are one."""
    kept: list[Theme] = []
    # The counts of the kept terms holding each content word: a term is looked up by its own words, not compared
    # with every kept one (thousands of CJK bigram terms made that quadratic).
    counts_of: dict[str, list[int]] = {}
    for theme in candidates:
        if len(kept) == limit:
            break
        own = set(theme.term.split()) - STOPWORDS
        if not any(abs(theme.count - count) <= INSIDE_TOLERANCE * count
                   for word in own for count in counts_of.get(word, ())):
            kept.append(theme)
            for word in own:
                counts_of.setdefault(word, []).append(theme.count)
    return kept


def _said(term: str) -> set[str]:
    """The words of `term` that say what it is about: no stop word, no word of reporting."""
    return set(term.split()) - STOPWORDS - GENERIC_WORDS - FUNCTION_WORDS


def _one_per_word(ranked: list[Theme]) -> list[Theme]:
    """`ranked` with one theme per content word: a term sharing one with a better theme is left out ("double
    charged", "charged twice" after "charged"), unless it holds all of those themes' words and more, and at least
    PHRASE_SHARE of their posts use it, when it takes their place ("screen cracked" for "screen" and "cracked").
    Chinese, Japanese and Thai bigram terms are left to `_readable`."""
    shown: list[Theme] = []
    # The shown themes holding each content word: a term is looked up by its own words (thousands of candidates).
    holding: dict[str, list[Theme]] = {}
    for theme in ranked:
        own = _said(theme.term)
        overlapping = list({id(s): s for word in own for s in holding.get(word, ())}.values())
        if not overlapping or has_cjk(theme.term):
            shown.append(theme)
        elif _says_more(theme, overlapping):
            at = shown.index(overlapping[0])
            shown = [s for s in shown[:at] if s not in overlapping] + [theme] + [
                s for s in shown[at:] if s not in overlapping]
            holding = {word: [s for s in found if s not in overlapping] for word, found in holding.items()}
        else:
            continue
        for word in own:
            holding.setdefault(word, []).append(theme)
    return shown


def _says_more(phrase: Theme, better: list[Theme]) -> bool:
    """Whether `phrase` holds all the words of the `better` themes, more than any one of them, in at least
    PHRASE_SHARE of the posts of each."""
    parts = set(phrase.term.split())
    return all(parts > set(t.term.split()) and phrase.count >= PHRASE_SHARE * t.count for t in better) and (
        parts >= set().union(*(t.term.split() for t in better)))


def theme_terms(found: Iterable[dict[str, object] | Theme]) -> list[str]:
    """The terms of a list of themes (records or their JSON objects), in order."""
    return [t.term if isinstance(t, Theme) else str(t["term"]) for t in found]
