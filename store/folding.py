"""Accent folding for search: the letters SQLite's FTS5 tokenizer (unicode61) folds, for PostgreSQL to fold alike;
and the text both indexes read: in NFKC, split where Latin letters meet a script written without spaces."""

import re
import unicodedata

# FTS5 reads "café", "CAFÉ" and "cafe" plus a combining acute accent as the word "cafe"; PostgreSQL's "simple"
# parser keeps the accents. These tables, read off unicode61 (remove_diacritics 1) letter by letter, are what
# translate() gives PostgreSQL's tsvector and its searches, so that both backends find the same posts. Fixed
# text, not computed at import: the stored tsvector was built with it (pg_migrations m009).
FOLD_FROM = (
    "µÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄą"
    "ĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐ"
    "őŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǦǧǨǩǪ"
    "ǫǰǴǵǸǹȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȮȯȲȳςϐϑϕϖϰϱϵḀḁḂḃḄḅḆḇ"
    "ḊḋḌḍḎḏḐḑḒḓḘḙḚḛḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḰḱḲḳḴḵḶḷḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṔṕṖṗ"
    "ṘṙṚṛṞṟṠṡṢṣṪṫṬṭṮṯṰṱṲṳṴṵṶṷṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẠạẢảẸ"
    "ẹẺẻẼẽỈỉỊịỌọỎỏỤụỦủỲỳỴỵỶỷỸỹι"
)
FOLD_TO = (
    "μaaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaa"
    "ccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnooooo"
    "orrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzsoouuaaiioouuggkko"
    "ojggnnaaaaeeeeiiiioooorrrruuuusstthhaaeeooyyσβθφπκρεaabbbbbb"
    "ddddddddddeeeeffgghhhhhhhhhhiikkkkkkllllllmmmmmmnnnnnnnnpppp"
    "rrrrrrssssttttttttuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwysaaaae"
    "eeeeeiiiioooouuuuyyyyyyyyι"
)
# Combining accents (U+0300 ...), which unicode61 drops from the word: translate() deletes what FOLD_TO lacks.
FOLD_DROP = (
    "\u0300\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u0309\u030a\u030b\u030c\u030f\u0311\u031b\u0323"
    "\u0324\u0325\u0326\u0327\u0328\u032d\u032e\u0330\u0331"
)

_TABLE = str.maketrans(FOLD_FROM, FOLD_TO, FOLD_DROP)


def fold(text: str) -> str:
    """`text` with its accents folded as the search index folds them ("Café" -> "Cafe")."""
    return text.translate(_TABLE)


# Letters of the scripts written without spaces: Thai, Lao, Myanmar, Khmer, kana, Chinese characters, halfwidth
# katakana (before NFKC). Neither index splits a run of them into words (store/unspaced.py).
UNSPACED_LETTERS = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                    "\uf900-\ufaff\uff66-\uff9f")
# Those and Hangul, which Korean glues its particles to: a Latin word written against them ("Pinebrookのコーヒー",
# "Pinebrook에서") is a word of its own to the index.
_GLUED = UNSPACED_LETTERS + "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
# Korean syllables: Korean is written with spaces but glues its particles to the word ("환불이", "파인브룩에서"), so a
# Korean term of a search is looked for in the index as a prefix: 환불 finds 환불이 and 환불을 (and compounds, 환불금).
HANGUL = re.compile("[\uac00-\ud7a3]")
_LATIN = "0-9A-Za-z\u00c0-\u024f\u1e00-\u1eff"
_SCRIPT_BOUNDARY = re.compile(f"[{_LATIN}](?=[{_GLUED}])|[{_GLUED}](?=[{_LATIN}])")
_LATIN_LETTER = re.compile(f"[{_LATIN}]")  # looked for first: a tenth of the time of looking for a boundary
# The letters and digits keyboards and input methods type in a width of their own: full-width Latin letters and
# digits, half-width katakana and Hangul; also CJK compatibility ideographs. And the compatibility forms of letters
# and digits that stand for the plain ones: superscripts and subscripts (x², m³, H₂O), ª and º, ligatures (ﬁ, ĳ, ǆ),
# modifier letters (ʰ, ᵃ), fractions and Roman numerals (½, Ⅻ), ℃, ℉ and ℓ, circled and parenthesised numbers and
# letters (①, ㉑, ⓐ, ⑴), enclosed CJK and CJK compatibility forms (㈱, ㋀, units such as ㎏ and ㎞, ㍿), the
# mathematical letters of "bold" or "script" text (𝐀𝐜𝐦𝐞, 𝓐𝓬𝓶𝓮) and squared letters (🄰). The index reads them in NFKC,
# so that `kg` finds ㎏ (`5kg` 5㎏) and `m2` finds m². Not ™, ℠ or ℡: in NFKC they are letters (TM), which glue to
# the word before them ("Acme™" as the word acmetm, no longer found by acme). Only them: NFKC of a whole Japanese
# post changes its full-width punctuation (！, ？), which the index skips anyway, and the store would keep a second
# copy of most Japanese posts for nothing. Stores indexed under a narrower set are read again (store/refold.py):
# FOLDING names this set.
_WIDTH_FORMS = re.compile("[\u00aa\u00b2\u00b3\u00b9\u00ba\u00bc-\u00be\u0132\u0133\u013f\u0140\u01c4-\u01cc"
                          "\u01f1-\u01f3\u02b0-\u02b8\u02e0-\u02e4\u1d2c-\u1d6a\u1d78\u1d9b-\u1dbf\u2070-\u209c"
                          "\u2103\u2109\u2113\u2150-\u217f\u2460-\u24ff\u3200-\u33ff\uf900-\ufaff\ufb00-\ufb06"
                          "\ufb13-\ufb17\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uffdc\U0001d400-\U0001d7ff"
                          "\U0001f100-\U0001f16c]+")
# What `searchable` writes, named: stored search_text written under another is written again (store/refold.py).
FOLDING = "2: compatibility letters and digits"


def nfkc(text: str) -> str:
    """`text` in NFKC: full-width letters and digits as ASCII, half-width katakana as katakana."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def name_key(name: str) -> str:
    """What two spellings of a brand's or a source's name share when they are one name: `name` ignoring case and
    width ("ＡＣＭＥ", "acme" and "Acme" are "acme"), in NFKC so that a full-width name typed by an input method is
    the name."""
    # NFKC again after casefold: casefold may give letters NFKC writes otherwise (the Unicode NFKC_Casefold idea).
    return unicodedata.normalize("NFKC", nfkc(name).casefold()) if not name.isascii() else name.casefold()


def _nfkc_of(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group())


def searchable(text: str) -> str:
    """`text` as the search indexes read it: its letters and digits typed in a width of their own in NFKC ("Ａcme"
    is "Acme", "ｺｰﾋｰ" is "コーヒー"), and a space after a Latin letter or digit written against a letter of Chinese,
    Japanese, Thai, Korean... and before one written after it ("Pinebrook のコーヒー")."""
    if text.isascii():
        return text
    text = _WIDTH_FORMS.sub(_nfkc_of, text)
    return _SCRIPT_BOUNDARY.sub(r"\g<0> ", text) if _LATIN_LETTER.search(text) else text


def search_text(text: str) -> str | None:
    """What `mentions.search_text` holds for `text`: `searchable(text)`, None when that is the text itself (an
    English or a Japanese post without Latin words nor width forms, most of them), so that the store keeps no second
    copy of it."""
    shadow = searchable(text)
    return None if shadow == text else shadow
