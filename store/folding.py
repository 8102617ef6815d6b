"""Accent folding for search: the letters SQLite's FTS5 tokenizer (unicode61) folds, for PostgreSQL to fold alike;
and the full-width forms of a search's ASCII letters and digits, which neither index folds."""

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


# Full-width forms (Ｂｒａｎｄ, １２３, as Japanese and Chinese keyboards type them): both indexes lower-case them but keep
# them apart from ASCII, and the stored text stays as written. A search is read in NFKC ("ＡＣＭＥ" is "acme"), and
# each of its ASCII words also looks for its full-width twin: the index needs no rebuild and no function of ours.
_WIDE = {code: code + 0xFEE0 for code in [*range(ord("0"), ord("9") + 1), *range(ord("a"), ord("z") + 1)]}


def nfkc(text: str) -> str:
    """`text` in NFKC: full-width letters and digits as ASCII, half-width katakana as katakana."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def full_width(text: str) -> str:
    """`text` lower-cased with its ASCII letters and digits full-width ("Acme 123" -> "ａｃｍｅ １２３"), as the
    indexes hold a word typed so; `text` itself when it has none."""
    return text.lower().translate(_WIDE)
