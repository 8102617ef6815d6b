"""Accent folding for search: the letters SQLite's FTS5 tokenizer (unicode61) folds, for PostgreSQL to fold alike."""

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
