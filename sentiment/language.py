"""Which language a mention is in: the collector's tag when it has one, else py3langid when it is sure."""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
import threading
import unicodedata
from pathlib import Path
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

# The 183 ISO 639-1 codes: a `sentiment.models` key outside them (a typo such as "ge") would never match a mention,
# and a collector's tag outside them names no language. Written out: py3langid, the one list installed, has 114.
ISO_639_1 = frozenset("""aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it
iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd
ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su
sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split())
# Withdrawn ISO 639-1 codes that tags still carry (Twitter writes "iw" for Hebrew and "in" for Indonesian).
WITHDRAWN_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
_NOISE = re.compile(r"(?<!\w)[@#]\w+|\b(?:https?://|www\.)\S+", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
# A letter or a pair of letters said again and again ("aaaaaaa", "kkkkkk", "hahahaha"): counted once, keysmash and
# laughter are not words enough to tell a language by.
_REPEATS = re.compile(r"([^\W\d_]{1,2}?)\1+")
# What is read of a long text: py3langid grows less sure as a text grows (a post repeating one German sentence 400
# times read 68% German and 2% English), and the first few sentences tell the language.
DETECTED_CHARS = 2000
# Letters outside the Latin script's blocks (Basic Latin to Latin Extended-B, IPA, Latin Extended Additional and the
# fullwidth forms): Cyrillic, Greek, Arabic, Hebrew, CJK, Hangul, Thai, Devanagari...
_NON_LATIN_LETTER = re.compile(r"[^\W\d_\u0000-\u02af\u1e00-\u1eff\uff00-\uffef]")
# ISO 639-1 languages not written in the Latin script: for these defaults, the script of a text tells nothing.
_NON_LATIN_LANGUAGES = set("am ar as ba be bg bn bo ce cv dv dz el fa gu he hi hy iu ja ka kk km kn ko ks ky lo mk "
                           "ml mn mr my ne or os pa ps ru sa sd si ta te tg th ti tt ug uk ur yi zh".split())
# py3langid 0.4 also reads 26 codes that are not ISO 639-1, so no `sentiment.models` key can name them. These are
# varieties of a language that has one, and count as it: a text's Egyptian ("arz") and Standard Arabic ("ar")
# readings add up, where split they left it unsure and sent to the default model. Nigerian Pidgin ("pcm") is
# English-based; py3langid calls English headlines so. Any other such reading counts as unsure.
# Han characters (and their compatibility forms). A text of them alone, as Japanese writes a complaint's nouns
# ("二重請求", "配送遅延"), reads as Chinese: py3langid tells Japanese by its kana.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Where the deployment reads Japanese and not Chinese, a text read as Chinese is Japanese when each of its Han
# characters is one Japanese writes (in Shift_JIS: most Simplified Chinese forms, 这 or 复, are not) and Japanese takes
# at least this share of the two readings (kanji-only Japanese phrases: 0.12 in the median; Chinese ones: 0.001).
MIN_KANJI_JAPANESE = 0.02
# Romanised Hindi ("Hinglish": "yaar mera order abhi tak nahi aaya"), which py3langid, trained on Devanagari Hindi,
# reads as English. Words of Hindi grammar written in Latin letters that are no English word (nor a common name, nor
# a word of another Latin-script language: "mein", "naam", "har", "bas", "pata", "mai" and Malay's "apa" are none of
# them here); a text is Hindi when at least `MIN_HINDI_WORDS` distinct ones make `MIN_HINDI_SHARE` of its words.
ROMANISED_HINDI = frozenset("""
nahi nahin nai nhi hai hain haii kya kyaa kyu kyun kyon mera meri mere mujhe mujhko humko humara hamara hamari tumhara
tumhe aapka aapki aapke apna apni apne abhi bahut bohot bahot bhot yaar yrr aur kuch kuchh kab kaise kaisa kaisi kitna
kitne kitni tha thi thay raha rahi rahe gaya gayi gaye aaya aayi aaye hua hui huye hue kiya kiye karna karo karke
kar diya diye liya liye wala wali wale bhi sirf lekin phir toh accha acha achha bakwas bekar bekaar paisa paise wapas
vapas jaldi koi kahan yahan wahan kyunki matlab bilkul ekdum batao dekho chahiye milega aap aaj sab baat tum kr
hota hoti hoga desh agar kaam gya baar karne karte aisa aise tere teri tera rha sath kisi kabhi yaad kaha lagta aata
sahi dekh itna uske sabse bada dete yar
""".split())
MIN_HINDI_WORDS = 2
MIN_HINDI_SHARE = 0.1
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_VARIETY_OF = {"arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh", "pcm": "en", "uzs": "uz", "sdh": "ku",
               "gug": "gn", "fuv": "ff", "kik": "ki", "hbo": "he", "grc": "el"}


# The cached model file starts with this tag and the pickle's length: a truncated copy (a full disk, a killed
# writer) is rebuilt instead of unpickled. A checksum would catch more, but costs as much as it saves.
_MAGIC = b"brandpulse-langid-1\n"
_LOAD_LOCK = threading.Lock()


def _cache_file() -> Path:
    """Where the unpacked model is cached; pickles name numpy's internal modules, so each numpy (and py3langid)
    version has its own file."""
    from importlib.metadata import version

    from brandpulse.sentiment.accel import cache_dir

    return cache_dir() / "langid" / f"py3langid-{version('py3langid')}-numpy-{version('numpy')}.pickle"


def _read_cached(path: Path) -> Any | None:
    """The identifier pickled at `path`, None when there is none or it is truncated, damaged or from another
    environment."""
    try:
        with path.open("rb") as f:
            # A pickle runs code as it loads: only one this user (or root, for a container image's cache warmed at
            # build time) wrote, in a folder no one else may write (a cache shared in /tmp could hold anyone's).
            file = os.fstat(f.fileno())
            if not all(s.st_uid in (os.getuid(), 0) and not s.st_mode & 0o002 for s in (file, path.parent.stat())):
                log.warning("the cached language model %s may have been written by another user; not reading it",
                            path)
                return None
            head = f.read(len(_MAGIC) + 8)
            length = int.from_bytes(head[len(_MAGIC) :], "big")
            if head[: len(_MAGIC)] != _MAGIC or len(head) + length != file.st_size:
                log.warning("the cached language model %s is damaged; rebuilding it", path)
                return None
            identifier = pickle.load(f)
        from py3langid.langid import LanguageIdentifier

        return identifier if isinstance(identifier, LanguageIdentifier) else None
    except FileNotFoundError:
        return None
    except Exception as exc:  # unreadable, or unpickling failed (a class moved in another version): rebuild
        log.warning("the cached language model %s cannot be read (%s); rebuilding it", path, exc)
        return None


def _write_cached(path: Path, identifier: Any) -> None:
    """Cache `identifier` at `path`, replaced whole (a unique temporary file per writer), or log why not."""
    body = pickle.dumps(identifier, protocol=pickle.HIGHEST_PROTOCOL)
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".partial", delete=False) as f:
            partial = Path(f.name)
            f.write(_MAGIC + len(body).to_bytes(8, "big") + body)
        os.replace(partial, path)
    except OSError as exc:
        log.debug("cannot cache the language model in %s: %s", path.parent, exc)
        if partial is not None:
            partial.unlink(missing_ok=True)


def _load_identifier() -> Any:
    """py3langid's identifier, from an unpacked copy in the cache when there is a good one: reading it takes 0.07 s,
    unpacking the xz archive py3langid ships 0.5 s, which is a tenth of classifying 3,000 tweets."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    path = _cache_file()
    identifier = _read_cached(path)
    if identifier is None:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        _write_cached(path, identifier)
    return identifier


def _word_letters(words: str) -> int:
    """How many letters `words` has once keysmash and laughter ("aaaaaaa", "hahahaha") are counted once."""
    return len(_LETTER.findall(_REPEATS.sub(r"\1", words)))


def language_tag(tag: str | None) -> str | None:
    """The ISO 639-1 code of a collector's tag ("en", "en-GB", "pt_BR", "zh-Hant" -> "en", "pt", "zh"; Twitter's "iw"
    -> "he"), None when it names none (as "und", "eng" or "xx" do)."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    primary = WITHDRAWN_CODES.get(primary, primary)
    # Not two letters only: a tag naming no ISO 639-1 language (Twitter's "und" or "qme", a made-up "xx") would route
    # its text to no model by name, where the text's own language is detected.
    return primary if primary in ISO_639_1 else None


def _romanised_hindi(words: str) -> bool:
    """Whether `words` is Hindi written in Latin letters: at least `MIN_HINDI_WORDS` distinct words of
    `ROMANISED_HINDI`, making at least `MIN_HINDI_SHARE` of its Latin words (English mixed in as Hinglish mixes it)."""
    found = _LATIN_WORD.findall(words.lower())
    hindi = [w for w in found if w in ROMANISED_HINDI]
    return len(set(hindi)) >= MIN_HINDI_WORDS and len(hindi) >= MIN_HINDI_SHARE * len(found)


class LanguageDetector:
    """py3langid with a guard for short texts: a text is called another language than `default` only when it has at
    least `min_letters` letters (mentions, hashtags and links left out) and the detector is either at least
    `min_confidence` sure of that language or gives `default` under `max_default` and that language at least
    `min_guess` (it may then hesitate between kindred languages: "Me encanta esta app" reads 37% Spanish, 23% Catalan,
    and well under 1% English; an English post quoting a phrase, "Pinebrook Hakuna matata", reads 23% Quechua).
    Short posts ("lol ok", "great phone") fool any detector; they stay in `default`. A text mostly in a script the default
    language is not written in (Cyrillic, CJK... for English) is never the default.

    A text left in `default` so is read again among the `likely` languages (those the deployment has models or
    collectors for) and the default alone: it is called the likely language that then takes at least `min_likely` of
    their share while the default keeps at most `max_likely_default`, from `min_likely_letters` letters on. Posts as
    short as "Pésimo servicio" or "Très bon produit" are so told from English; "chicken mcnuggets !!!" is not German.
    Where Japanese is read and Chinese is not, kanji alone ("二重請求") is Japanese (see `MIN_KANJI_JAPANESE`).
    """

    def __init__(self, default: str = "en", min_confidence: float = 0.8, min_letters: int = 10,
                 max_default: float = 0.01, min_guess: float = 0.25, likely: Iterable[str] = (),
                 min_likely: float = 0.4, max_likely_default: float = 0.2, min_likely_letters: int = 5):
        self.default = default
        self.min_confidence = min_confidence
        self.min_letters = min_letters
        self.max_default = max_default
        self.min_guess = min_guess
        self.likely = frozenset(likely) - {default}
        self.min_likely = min_likely
        self.max_likely_default = max_likely_default
        self.min_likely_letters = min_likely_letters
        self._identifier: Any = None

    def _ensure_loaded(self) -> None:
        """Load the identifier unless it is loaded."""
        if self._identifier is None:
            with _LOAD_LOCK:  # threads classifying at once load it once
                if self._identifier is None:
                    self._identifier = _load_identifier()

    def _identify(self, text: str) -> tuple[str, float, float]:
        """The best reading, its probability, and the default language's probability (varieties added up)."""
        self._ensure_loaded()
        lang, prob = self._identifier.classify(text)
        # Ranking every language costs a third more, and changes nothing when the reading is sure already or is the
        # default language (no other language's varieties can then add up to the confidence asked for).
        if lang == self.default:
            return str(lang), float(prob), float(prob)
        if len(lang) == 2 and prob >= self.min_confidence:
            return str(lang), float(prob), 1.0 - float(prob)  # at most: the default is below this, never needed
        summed = self._ranked(text)
        lang = max(summed, key=summed.__getitem__)
        return str(lang), summed[lang], summed.get(self.default, 0.0)

    def _ranked(self, text: str) -> dict[str, float]:
        """Every language's probability, a language's varieties added up (the identifier is loaded already)."""
        summed: dict[str, float] = {}
        for code, share in self._identifier.rank(text):
            code = _VARIETY_OF.get(code, code)
            summed[code] = summed.get(code, 0.0) + float(share)
        return summed

    def detect(self, text: str) -> str:
        """The ISO 639-1 code of `text`'s language, `default` when unsure; read in NFKC (English typed in
        full-width letters, "ｍｙ ｏｒｄｅｒ", read as Chinese: the letters are CJK forms to the identifier)."""
        head = text[: 4 * DETECTED_CHARS]
        words = _NOISE.sub(" ", head if head.isascii() else unicodedata.normalize("NFKC", head))[:DETECTED_CHARS]
        lang = self._detected(words)
        return "ja" if lang == "zh" and self._kanji_japanese(words) else lang

    def _kanji_japanese(self, words: str) -> bool:
        """Whether `words`, read as Chinese, is Japanese written in kanji, as a deployment reading Japanese and not
        Chinese (its default or likely languages) takes it."""
        readable = self.likely | {self.default}
        if "ja" not in readable or "zh" in readable:
            return False
        try:
            "".join(_HAN.findall(words)).encode("cp932")
        except UnicodeEncodeError:
            return False
        self._ensure_loaded()
        summed = self._ranked(words)
        japanese, chinese = summed.get("ja", 0.0), summed.get("zh", 0.0)
        return japanese >= MIN_KANJI_JAPANESE * (japanese + chinese)

    def _detected(self, words: str) -> str:
        """The language of `words` (noise left out, in NFKC), `default` when unsure."""
        letters = len(_LETTER.findall(words))
        if self._in_another_script(words, letters):
            # "最悪のサービス" or "Очень плохо" is short, but cannot be the default language: its best reading wins.
            lang, _, _ = self._identify(words)
            return lang if len(lang) == 2 else self.default
        if _romanised_hindi(words):
            # py3langid knows Hindi in Devanagari only: written in Latin letters, it read as English (or Indonesian).
            return "hi"
        if letters < self.min_letters:
            return self._likely_reading(words, letters, None)
        lang, prob, default_prob = self._identify(words)
        unsure = prob < self.min_confidence and (default_prob >= self.max_default or prob < self.min_guess)
        if len(lang) != 2 or lang == self.default or unsure:
            return self._likely_reading(words, letters, default_prob)
        # Words, or keysmash and laughter? Asked only of the few texts called foreign (it costs a tenth of detecting).
        return lang if _word_letters(words) >= self.min_letters else self.default

    def _likely_reading(self, words: str, letters: int, default_prob: float | None) -> str:
        """The likely language `words` reads as against the default alone, else the default."""
        # Restricted to fewer languages the default's share only grows: over `max_likely_default` already, it stays.
        if not self.likely or letters < self.min_likely_letters or (default_prob or 0.0) > self.max_likely_default:
            return self.default
        if _word_letters(words) < self.min_likely_letters:  # "Jajajajaja" is laughter in any language
            return self.default
        self._ensure_loaded()
        summed = self._ranked(words)
        shares = {code: summed.get(code, 0.0) for code in self.likely | {self.default}}
        total = sum(shares.values())
        best = max(sorted(self.likely), key=shares.__getitem__)
        if total > 0 and shares[best] >= self.min_likely * total and \
                shares[self.default] <= self.max_likely_default * total:
            return best
        return self.default

    def _in_another_script(self, words: str, letters: int) -> bool:
        """Whether most of the (at least two) letters are in a script the (Latin-script) default is not written in."""
        if words.isascii() or letters < 2 or self.default in _NON_LATIN_LANGUAGES:
            return False
        return 2 * len(_NON_LATIN_LETTER.findall(words)) > letters

    def language_of(self, text: str, tag: str | None) -> str:
        """The collector's tag when it names a language, else the detected language."""
        return language_tag(tag) or self.detect(text)
