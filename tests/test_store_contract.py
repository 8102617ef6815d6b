"""The store's contract, run on SQLite and on a real PostgreSQL: the same calls give the same answers."""

from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.collectors.base import Mention
from brandpulse.sentiment.base import Classification
from brandpulse.store import alerts as store_alerts
from brandpulse.store import jobs as store_jobs
from brandpulse.store import mentions as store_mentions
from brandpulse.store import outbox as store_outbox
from brandpulse.store import rescore as store_rescore
from brandpulse.store import state as store_state
from brandpulse.store import open_db
from brandpulse.store.migrations import MIGRATIONS
from brandpulse.store.pg_migrations import PG_MIGRATIONS
from brandpulse.store.queries import MentionFilter, SearchSyntaxError, iter_mentions

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
TEXTS = {
    "1": "double charged again, refund please",
    "2": "charged double for one coffee",
    "3": "refunded quickly, thanks",
    "4": "chargeback filed after no refund",
    "5": "lovely coffee and friendly staff",
}


def _found(store_target, texts, search):
    """The keys of `texts`, stored as mentions of source x, that `search` finds."""
    db = open_db(store_target)
    try:
        store_mentions.save_mentions(db, [Mention(source="x", external_id=k, text=t, created_at=NOW)
                                          for k, t in texts.items()], NOW)
        return {row["external_id"] for row in iter_mentions(db, MentionFilter(search=search), ("external_id",))}
    finally:
        db.close()


@pytest.fixture
def db(store_target):
    db = open_db(store_target)
    store_mentions.save_mentions(db, [Mention(source="x", external_id=k, text=t, created_at=NOW, brand="B")
                                      for k, t in TEXTS.items()], NOW)
    yield db
    db.close()


@pytest.mark.parametrize(("search", "expected"), [
    ("refund", {"1", "4"}),                      # whole words, no stemming on either backend
    ("Refund", {"1", "4"}),                      # case-insensitive
    ('"double charged"', {"1"}),                 # a phrase: in this order, adjacent
    ("double charged", {"1", "2"}),              # both words, anywhere
    ("charged AND coffee", {"2"}),
    ("refund OR chargeback", {"1", "4"}),
    ("refund*", {"1", "3", "4"}),                # prefix
    ("refund*chargeback", {"4"}),                # a prefix, then another word: both
    ("coffee NOT lovely", {"2"}),                # exclusion
    ("(refund OR coffee) NOT chargeback", {"1", "2", "5"}),
    ("lovely OR double NOT coffee", {"1", "5"}),  # NOT binds tighter than OR
    ("refund NOT chargeback coffee", {"1", "4"}),  # words side by side bind tighter than NOT: NOT (both)
    ('"no refund" OR "friendly staff"', {"4", "5"}),
])
def test_search_semantics_match_on_both_backends(db, search, expected):
    found = {row["external_id"] for row in iter_mentions(db, MentionFilter(search=search), ("external_id",))}

    assert found == expected


@pytest.mark.parametrize(("search", "expected"), [
    ("cafe", {"a", "b", "c"}),                   # accents fold, as FTS5's unicode61 folds them
    ("café", {"a", "b", "c"}),
    ("CAFÉ", {"a", "b", "c"}),
    ('"cafe creme"', {"b"}),
    ("naive OR cooperation", {"d"}),
    ("strasse", set()),                          # ß is a letter of its own, not an accented s, on both
    ("Łódź", {"e"}),
    ("lodz", set()),                             # Ł has no accent to drop (no decomposition), on both
])
def test_search_folds_accents_alike_on_both_backends(store_target, search, expected):
    texts = {"a": "un café noir", "b": "CAFÉ CRÈME", "c": "cafe\u0301 au lait", "d": "naïve coöperation",
             "e": "Łódź office", "f": "Straße"}

    found = _found(store_target, texts, search)

    assert found == expected


@pytest.mark.parametrize(("search", "expected"), [
    ("acme", {"a", "b", "c"}),                   # full-width letters are the ASCII word (NFKC), both ways
    ("ＡＣＭＥ", {"a", "b", "c"}),
    ("Ａｃｍｅ*", {"a", "b", "c"}),
    ('"acme 123"', {"b", "c"}),                  # a phrase in one width throughout
    ('"acme pay"', {"a"}),
    ("１２３ NOT refund", {"b"}),
    ("acme NOT (refund OR ｐａｙ)", {"b"}),
])
def test_search_folds_full_width_letters_and_digits_alike_on_both_backends(store_target, search, expected):
    texts = {"a": "ＡＣＭＥ Ｐａｙ is down", "b": "acme 123 works", "c": "ＡＣＭＥ　１２３ refund", "d": "bolt"}

    found = _found(store_target, texts, search)

    assert found == expected


@pytest.mark.parametrize(("search", "expected"), [
    ("コーヒー", {"ja", "ja2"}),                     # inside a longer run, and a run of its own
    ("最高", {"ja", "th_ja"}),
    ("退款", {"zh"}),
    ("สาขา", {"th", "th_ja"}),
    ("コーヒー pinebrook", {"ja"}),              # with an indexed word: both
    ("コーヒー NOT pinebrook", {"ja2"}),
    ("สาขา OR 退款", {"th", "zh", "th_ja"}),
    ('"PINEBROOK のコーヒー"', {"ja"}),           # a phrase holding both scripts: a substring, case aside
    ("(最高 OR 退款) AND refund*", {"zh"}),
    ("ｺｰﾋｰ", {"ja", "ja2"}),                     # half-width katakana read in NFKC
])
def test_a_chinese_japanese_or_thai_word_inside_a_longer_run_is_found_on_both_backends(store_target, search,
                                                                                      expected):
    texts = {"ja": "Pinebrook のコーヒーは最高です", "ja2": "コーヒー 美味しい", "zh": "申请退款三天了 refunds",
             "th": "สาขานี้บริการดีมาก", "th_ja": "最高のสาขา", "en": "coffee is great"}

    found = _found(store_target, texts, search)

    assert found == expected


GLUED = {"half": "ｺｰﾋｰが冷めてた", "mixed": "Ａcme Pay は遅い", "ja": "Pinebrookのコーヒーは最高です",
         "ko": "Pinebrook에서 샀어요", "th": "กาแฟPinebrookสาขานี้", "en": "pinebrook coffee", "other": "acmes"}


@pytest.mark.parametrize(("search", "expected"), [
    ("コーヒー", {"half", "ja"}),                  # stored half-width, read in NFKC
    ("ｺｰﾋｰ", {"half", "ja"}),
    ("acme", {"mixed"}),                           # mixed widths, one word
    ('"acme pay"', {"mixed"}),
    ("pinebrook", {"ja", "ko", "th", "en"}),       # a Latin word written against Japanese, Korean or Thai
    ("pinebrook NOT coffee", {"ja", "ko", "th"}),
    ('"Pinebrookのコーヒー"', {"ja"}),              # the run as written, still
    ("Pinebrook에서", {"ko"}),
    ("สาขา pinebrook", {"th"}),
])
def test_search_finds_half_width_katakana_mixed_widths_and_latin_words_glued_to_other_scripts(store_target, search,
                                                                                             expected):
    db = open_db(store_target)
    store_mentions.save_mentions(db, [Mention(source="x", external_id=k, text=t, created_at=NOW)
                                      for k, t in GLUED.items()], NOW)
    found = {row["external_id"] for row in iter_mentions(db, MentionFilter(search=search), ("external_id",))}
    text = {row["external_id"]: row["text"] for row in iter_mentions(db, MentionFilter(), ("external_id", "text"))}
    db.close()
    assert found == expected
    assert text == GLUED  # stored as written


def test_only_a_text_the_index_reads_otherwise_keeps_a_second_copy_for_search(store_target):
    db = open_db(store_target)
    texts = {"en": "refund please", "ja": "コーヒーが冷めてた！（最悪）", "th": "กาแฟเย็นแล้วครับ", "fr": "café froid",
             "wide": "ＡＣＭＥのアプリ", "glued": "Pinebrookのコーヒー"}
    store_mentions.save_mentions(db, [Mention(source="x", external_id=k, text=t, created_at=NOW)
                                      for k, t in texts.items()], NOW)

    kept = dict(db.execute("SELECT external_id, search_text FROM mentions WHERE search_text IS NOT NULL").fetchall())
    db.close()
    assert kept == {"wide": "ACME のアプリ", "glued": "Pinebrook のコーヒー"}


@pytest.mark.parametrize(("search", "expected"), [
    ("환불", {"subject", "object", "topic"}),        # the particle glued to the word
    ("파인브룩", {"at", "of"}),
    ("환불 NOT 언제", {"subject", "object"}),
    ('"이중 결제"', {"double"}),
    ("pinebrook", {"latin"}),
])
def test_a_korean_word_is_found_whatever_particle_is_glued_to_it_on_both_backends(store_target, search, expected):
    texts = {"subject": "환불이 안 돼요", "object": "환불을 해주세요", "topic": "환불은 언제", "at": "파인브룩에서 샀어요",
             "of": "파인브룩의 커피", "double": "이중 결제가 됐어요", "latin": "Pinebrook에서 샀어요", "other": "배송이 느려요"}

    found = _found(store_target, texts, search)
    assert found == expected


def _ranked(store_target, texts, search):
    """The keys of `texts`, stored in their order, that `search` finds, in relevance order."""
    db = open_db(store_target)
    try:
        store_mentions.save_mentions(db, [Mention(source="x", external_id=k, text=t, created_at=NOW)
                                          for k, t in texts.items()], NOW)
        return [row["external_id"] for row in iter_mentions(db, MentionFilter(search=search), ("external_id",),
                                                            order="relevance")]
    finally:
        db.close()


@pytest.mark.parametrize("word", ["コーヒー", "กาแฟ", "退款"])
@pytest.mark.parametrize("search", ["{}", "{} NOT 紅茶", "({} OR 紅茶茶) NOT refund"])
def test_relevance_ranks_chinese_japanese_or_thai_matches_by_how_often_and_densely_the_term_occurs(store_target, word,
                                                                                                  search):
    texts = {"long": f"{word}を買ったけど店員さんがとても遅くて三十分も待たされた、もう二度と行かないと思う",
             "thrice": f"{word}{word}と{word}", "short": f"{word}が最高", "other": "紅茶が最高"}

    ranked = _ranked(store_target, texts, search.format(word))

    assert ranked == ["thrice", "short", "long"]


def test_relevance_ranks_korean_matches_through_the_index_as_other_searches_on_both_backends(store_target):
    texts = {"dense": "환불 환불 환불이", "once": "환불은 언제 되나요 배송도 늦고 연락도 없어요", "other": "배송이 느려요"}

    assert _ranked(store_target, texts, "환불") == ["dense", "once"]


def test_near_takes_korean_terms_on_sqlite_and_is_refused_on_postgresql_as_for_any_search(store_target):
    texts = {"near": "환불은 언제 되나요", "far": "환불 요청했는데 " + "정말 " * 12 + "언제 되나요", "latin": "refund 언제"}

    if isinstance(store_target, str):
        with pytest.raises(SearchSyntaxError, match=r"NEAR\(\) is not supported on PostgreSQL; use a \"phrase\""):
            _found(store_target, texts, "NEAR(환불 언제, 3)")
    else:
        assert _found(store_target, texts, "NEAR(환불 언제, 3)") == {"near"}
        assert _found(store_target, {}, "NEAR(환불 언제, 20) OR NEAR(refund 언제)") == {"near", "far", "latin"}


@pytest.mark.parametrize("search", ["NEAR(コーヒー 最高)", "NEAR(환불 退款, 5)", "pinebrook NEAR(กาแฟ สาขา)"])
def test_near_beside_chinese_japanese_or_thai_terms_is_refused_saying_why_on_both_backends(db, search):
    with pytest.raises(SearchSyntaxError) as raised:
        list(iter_mentions(db, MentionFilter(search=search), ("id",)))

    assert str(raised.value) == (
        f"{search!r}: NEAR() is not supported beside Chinese, Japanese or Thai terms (each looked for as a substring "
        'of the text, not a word of the index); use a "phrase" (its words side by side) or AND (both anywhere in the '
        "text)")


def test_a_bulk_save_indexes_the_text_as_search_reads_it_on_both_backends(store_target):
    db = open_db(store_target)
    texts = [f"{k} pinebrook coffee" for k in range(store_mentions.BULK_ROWS)] + ["Pinebrookのｺｰﾋｰ"]
    store_mentions.save_mentions(db, [Mention(source="x", external_id=str(k), text=t, created_at=NOW)
                                      for k, t in enumerate(texts)], NOW)
    store_mentions.save_mentions(db, [Mention(source="x", external_id="one", text="Ａcmeのｺｰﾋｰ", created_at=NOW)], NOW)

    found = [row["text"] for row in iter_mentions(db, MentionFilter(search="コーヒー"), ("text",))]
    assert sorted(found) == ["Pinebrookのｺｰﾋｰ", "Ａcmeのｺｰﾋｰ"]
    assert len(list(iter_mentions(db, MentionFilter(search="pinebrook"), ("id",)))) == len(texts)
    assert [row["text"] for row in iter_mentions(db, MentionFilter(search="acme"), ("text",))] == ["Ａcmeのｺｰﾋｰ"]
    if db.dialect.name == "sqlite":
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")  # raises when out of step
        db.execute("DELETE FROM mentions WHERE external_id = 'one'")  # the delete trigger removes what was indexed
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")
    db.close()


COMPATIBILITY = {"sup": "price per m² doubled", "unit": "a 5 ㎏ bag, 3 ㎞ away", "circled": "㉑ days late, ① first",
                 "ligature": "the ﬁrst order", "bold": "𝐀𝐜𝐦𝐞 𝐏𝐚𝐲 is down", "roman": "chapter Ⅻ", "temp": "served at 5℃",
                 "plain": "m2 kg km 21 first acme xii", "trademark": "Acme™ rocks"}


@pytest.mark.parametrize(("search", "expected"), [
    ("m2", {"sup", "plain"}),                      # a superscript digit is the digit
    ("kg", {"unit", "plain"}),                     # a unit in one character is its letters
    ("㎞ OR xii", {"unit", "roman", "plain"}),     # and the search reads them so too
    ("21", {"circled", "plain"}),                  # circled numbers past 20
    ("first", {"circled", "ligature", "plain"}),  # the ﬁ ligature
    ('"acme pay"', {"bold"}),                      # mathematical bold letters, as in "fancy text" posts
    ("acme", {"bold", "plain", "trademark"}),      # ™ is not read as TM: Acme™ is still the word acme
    ("c", {"temp"}),
])
def test_search_finds_compatibility_characters_by_their_plain_form_on_both_backends(store_target, search, expected):
    db = open_db(store_target)
    store_mentions.save_mentions(db, [Mention(source="x", external_id=k, text=t, created_at=NOW)
                                      for k, t in COMPATIBILITY.items()], NOW)
    found = {row["external_id"] for row in iter_mentions(db, MentionFilter(search=search), ("external_id",))}
    shown = {row["external_id"]: row["text"] for row in iter_mentions(db, MentionFilter(), ("external_id", "text"))}
    db.close()
    assert found == expected
    assert shown == COMPATIBILITY  # stored and shown as written


def test_a_store_indexed_before_compatibility_characters_were_read_so_is_indexed_again_once(store_target):
    from brandpulse.store.migrations import SCHEMA_VERSION
    from brandpulse.store.refold import FOLDING_KEY
    from tests.store_versions import insert_post, postgres_store_at, sqlite_store_at

    # As the release before left them: at the same schema, their search_text NULL (the index read ㎏ as written).
    posts = [insert_post("B", text, external_id=key) for key, text in
             {"unit": "a 5 ㎏ bag", "glued": "Pinebrookのコーヒー", "en": "kg of coffee"}.items()]
    if isinstance(store_target, str):
        postgres_store_at(store_target, SCHEMA_VERSION, *posts, "UPDATE mentions SET search_text = 'Pinebrook のコーヒー'"
                          " WHERE external_id = 'glued'")
    else:
        old = sqlite_store_at(store_target, SCHEMA_VERSION)
        for post in posts:
            old.execute(post)
        old.execute("UPDATE mentions SET search_text = 'Pinebrook のコーヒー' WHERE external_id = 'glued'")
        old.conn.close()

    db = open_db(store_target)
    found = {row["external_id"] for row in iter_mentions(db, MentionFilter(search="kg"), ("external_id",))}
    glued = {row["external_id"] for row in iter_mentions(db, MentionFilter(search="pinebrook"), ("external_id",))}
    marked = db.execute("SELECT value FROM state WHERE key = ?", [FOLDING_KEY]).fetchone()
    if db.dialect.name == "sqlite":
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")  # the index kept in step
    db.close()
    assert found == {"unit", "en"} and glued == {"glued"}
    assert marked is not None


@pytest.mark.parametrize("search", ["㎏ 🚀", "(㎏ OR ﬁle"])
def test_a_search_error_quotes_the_search_as_typed_not_as_the_index_reads_it(db, search):
    with pytest.raises(SearchSyntaxError) as raised:
        list(iter_mentions(db, MentionFilter(search=search), ("id",)))

    assert "kg" not in str(raised.value) and "file" not in str(raised.value)


def test_the_postgresql_accent_folding_is_sqlite_fts5s_letter_for_letter():
    import sqlite3

    from brandpulse.store.folding import FOLD_DROP, FOLD_FROM, FOLD_TO

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (text)")
    conn.execute("CREATE VIRTUAL TABLE words USING fts5vocab (t, instance)")
    conn.executemany("INSERT INTO t (rowid, text) VALUES (?, ?)",
                     [(n, f"q{letter}q") for n, letter in enumerate(FOLD_FROM + FOLD_DROP)])
    folded = dict(conn.execute("SELECT doc, term FROM words").fetchall())

    assert [folded[n] for n in range(len(FOLD_FROM + FOLD_DROP))] == [f"q{letter}q" for letter in FOLD_TO] + [
        "qq"] * len(FOLD_DROP)


@pytest.mark.parametrize("search", ['"unterminated', "refund OR", "(refund", "NOT refund", ""])
def test_invalid_search_is_a_search_syntax_error(db, search):
    with pytest.raises(SearchSyntaxError):
        list(iter_mentions(db, MentionFilter(search=search), ("id",)))


def test_relevance_order_puts_the_denser_match_first(db):
    store_mentions.save_mentions(db, [Mention(source="x", external_id="6", text="refund refund refund", created_at=NOW)], NOW)

    rows = list(iter_mentions(db, MentionFilter(search="refund"), ("external_id",), order="relevance"))

    assert rows[0]["external_id"] == "6" and len(rows) == 3


def test_a_failed_batch_leaves_neither_mentions_nor_cursor(store_target):
    db = open_db(store_target)
    broken = Mention(source="x", external_id="bad", text="x", created_at=NOW)
    object.__setattr__(broken, "rating", 9)  # violates the CHECK constraint half-way through the batch

    with pytest.raises(db.errors):
        store_mentions.save_mentions(db, [Mention(source="x", external_id="ok", text="y", created_at=NOW), broken],
                                     NOW, "c:B", {"page": 2})

    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0
    assert store_state.collector_cursor(db, "c:B") is None
    db.close()


@pytest.mark.parametrize("plain", [0, 300])  # a small save, and one on the bulk path (FTS after / COPY)
def test_unstorable_characters_are_replaced_and_the_batch_kept(store_target, plain):
    db = open_db(store_target)
    texts = ["half \ud83d emoji", "nul \x00 byte"] + [f"plain {n}" for n in range(plain)]

    saved = store_mentions.save_mentions(db, [Mention(source="x", external_id=str(n), text=t, created_at=NOW)
                                              for n, t in enumerate(texts)], NOW)

    assert saved.new == len(texts)
    assert [r[0] for r in db.execute("SELECT text FROM mentions ORDER BY id LIMIT 2").fetchall()] == [
        "half \ufffd emoji", "nul \ufffd byte"]
    assert store_mentions.save_mentions(db, [Mention(source="x", external_id=str(n), text=t, created_at=NOW)
                                             for n, t in enumerate(texts)], NOW).duplicate == len(texts)
    db.close()


def test_a_mention_stored_under_a_former_id_with_its_text_is_not_stored_again(db):
    def again(text: str, brand: str = "B") -> Mention:
        return Mention(source="x", external_id="feed#1", text=text, created_at=NOW, brand=brand, former_ids=("1",))

    # "1" is stored for brand B (the fixture): an older release's id for this item, when its text is the same.
    saved = [store_mentions.save_mentions(db, [mention], NOW)
             for mention in (again(TEXTS["1"]), again("another feed's post 1"), again(TEXTS["1"], "C"))]

    assert [(s.new, s.duplicate) for s in saved] == [(0, 1), (1, 0), (1, 0)]
    assert db.execute("SELECT count(*) FROM mentions WHERE external_id = 'feed#1'").fetchone()[0] == 2


def test_amplification_only_grows_and_counts_are_plain_integers(db):
    later = [Mention(source="x", external_id="1", text=TEXTS["1"], created_at=NOW, amplification=a) for a in (7, 3)]
    for mention in later:
        store_mentions.save_mentions(db, [mention], NOW)

    assert db.execute("SELECT amplification FROM mentions WHERE external_id = '1'").fetchone()[0] == 7


def test_classifications_then_stale_ones_by_model_version(db):
    pending = store_mentions.pending_classification(db, 10)
    result = Classification(label="negative", probs=(0.8, 0.15, 0.05), model="m", model_version="1", complaint=0.9)
    store_mentions.save_classifications(
        db, [store_mentions.ClassifiedMention(p.id, "en", result, "detractor") for p in pending[:3]], NOW)
    v1, v2 = store_rescore.CurrentModel("m", "1", True), store_rescore.CurrentModel("m", "2", True)

    assert len(store_mentions.pending_classification(db, 10)) == 2
    assert store_rescore.count_stale(db, [v1], ["en"]) == 0
    assert store_rescore.count_stale(db, [v2], ["en"]) == 3
    assert [p.id for p in store_rescore.stale_classifications(db, [v2], ["en"], None, pending[0].id, 10)] == [
        p.id for p in pending[1:3]]


def test_unscored_mentions_are_classified_and_stale_once_their_language_is_covered(db):
    pending = store_mentions.pending_classification(db, 10)
    without_complaint = Classification("neutral", (0.1, 0.8, 0.1), "m", "1")
    store_mentions.save_classifications(db, [store_mentions.ClassifiedMention(pending[0].id, "de", None, "unscored"),
                                             store_mentions.ClassifiedMention(pending[1].id, "en", without_complaint,
                                                                              "passive")], NOW)

    assert [p.id for p in store_mentions.pending_classification(db, 10)] == [p.id for p in pending[2:]]
    assert db.execute("SELECT label, complaint, category, lang FROM mentions WHERE id = ?", [pending[0].id]).fetchone() == (
        None, None, "unscored", "de")
    # Not stale while no model reads German; a row lacking the complaint the model now gives is.
    assert [p.id for p in store_rescore.stale_classifications(
        db, [store_rescore.CurrentModel("m", "1", True)], ["en"], None, 0, 10)] == [pending[1].id]
    assert store_rescore.count_stale(db, [store_rescore.CurrentModel("m", "1", False)], ["en", "de"]) == 1


def test_unscored_mentions_under_a_collectors_regional_or_withdrawn_tag_are_stale_once_covered(db):
    pending = store_mentions.pending_classification(db, 10)
    tags = ["de-DE", "de_AT", "iw", "fr"]
    store_mentions.save_classifications(db, [store_mentions.ClassifiedMention(p.id, tag, None, "unscored")
                                             for p, tag in zip(pending, tags)], NOW)
    current = [store_rescore.CurrentModel("m", "1", True)]

    assert [p.lang for p in store_rescore.stale_classifications(db, current, ["en", "de", "he"], None, 0, 10)] == [
        "de-DE", "de_AT", "iw"]
    assert store_rescore.count_stale(db, current, ["en", "de"]) == 2


def test_a_blank_unscored_mention_is_never_stale_even_for_the_other_languages_model(db):
    pending = store_mentions.pending_classification(db, 10)
    store_mentions.save_classifications(db, [store_mentions.ClassifiedMention(pending[0].id, None, None, "unscored"),
                                             store_mentions.ClassifiedMention(pending[1].id, "de", None, "unscored")],
                                        NOW)
    current = [store_rescore.CurrentModel("m", "1", True)]

    assert [p.id for p in store_rescore.stale_classifications(db, current, ["en", "*"], None, 0, 10)] == [
        pending[1].id]
    assert store_rescore.count_stale(db, current, ["en", "*"]) == 1


def test_unscored_mentions_are_counted_per_language_for_status(db):
    pending = store_mentions.pending_classification(db, 10)
    scored = Classification("neutral", (0.1, 0.8, 0.1), "m", "1")
    langs = ["de", "de-AT", "fr", None, "en"]
    store_mentions.save_classifications(db, [
        store_mentions.ClassifiedMention(p.id, lang, scored if lang == "en" else None,
                                         "passive" if lang == "en" else "unscored")
        for p, lang in zip(pending, langs)], NOW)

    # The blank text (no lang) is left out: no model could read it.
    assert store_jobs.unscored_languages(db) == {"de": 2, "fr": 1}


def test_outbox_round_trip_keeps_the_message_bytes(store_target):
    db = open_db(store_target)
    first = store_outbox.enqueue(db, "alert", "B", "Subject", ["a@example.com"], b"\x00raw\xffbytes", NOW)
    second = store_outbox.enqueue(db, "digest", "B", "Digest", ["b@example.com"], b"two", NOW + timedelta(hours=1))

    assert second > first
    assert [(i.id, i.message, i.recipients) for i in store_outbox.due(db, NOW)] == [(first, b"\x00raw\xffbytes", ["a@example.com"])]
    store_outbox.mark_failed(db, first, "refused", NOW + timedelta(hours=2))
    store_outbox.mark_sent(db, second, "smtp", NOW)
    with store_outbox.claim_due(db, NOW + timedelta(hours=3)) as items:
        assert [(i.id, i.attempts) for i in items] == [(first, 1)]
    assert store_jobs.backlog(db) == {"unclassified": 0, "emails_pending": 1, "emails_failed": 0}
    db.close()


def test_job_runs_and_collector_state_accumulate(store_target):
    db = open_db(store_target)
    store_jobs.record_job_run(db, "classify", NOW, NOW + timedelta(seconds=2))
    store_jobs.record_job_run(db, "classify", NOW, NOW + timedelta(seconds=1), error="boom")
    store_state.save_collector_success(db, "feed:B", {"page": 1}, 5, NOW)
    store_state.save_collector_error(db, "feed:B", "down", NOW + timedelta(hours=1))
    store_state.save_collector_error(db, "feed:B", "still down", NOW + timedelta(hours=2))
    store_state.save_collector_success(db, "feed:B", {"page": 2}, 3, NOW + timedelta(hours=3))

    (run,) = store_jobs.job_runs(db)
    assert (run["runs"], run["failures"], run["last_outcome"], run["last_error"]) == (2, 1, "error", "boom")
    assert run["last_success_at"] == "2026-03-02T12:00:02Z" and run["last_duration_s"] == 1.0
    (state,) = store_state.collector_states(db)
    assert (state["items"], state["last_error"], state["failing_since"]) == (8, "still down", None)
    assert store_state.collector_cursor(db, "feed:B") == {"page": 2}
    db.close()


def test_every_sqlite_migration_has_its_postgresql_twin():
    assert [name for name, _ in PG_MIGRATIONS] == [step.__name__ for step in MIGRATIONS]


@pytest.mark.parametrize("made_at", [0, 6, len(MIGRATIONS) - 1, len(MIGRATIONS)])
def test_the_migrations_log_has_one_row_per_step_whether_the_store_was_made_new_or_upgraded(store_target, made_at):
    from tests.store_versions import postgres_store_at, sqlite_store_at

    if made_at and isinstance(store_target, str):
        postgres_store_at(store_target, made_at)
    elif made_at:
        sqlite_store_at(store_target, made_at).conn.close()
    db = open_db(store_target)

    rows = db.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    db.close()
    assert [tuple(row) for row in rows] == [(n, step.__name__) for n, step in enumerate(MIGRATIONS, start=1)]


def test_triage_acknowledgements_storms_and_silences(store_target):
    from brandpulse.alerts.base import Alert
    from brandpulse.store import alerts as store_alerts
    from brandpulse.store import triage as store_triage

    db = open_db(store_target)
    spike = Alert("spike", "B", NOW - timedelta(hours=1), NOW, 9.0, 2.0, 5.0, 1e-6, "9 detractors")
    first = store_alerts.record_alert(db, spike, NOW)
    update = store_alerts.record_alert(db, spike, NOW + timedelta(hours=1), storm_id=first)
    store_triage.acknowledge(db, update, "ana", "on it", NOW)
    silence = store_triage.add_silence(db, "B", "ana", NOW + timedelta(hours=4), None, NOW)

    assert [(a["id"], a["storm_id"]) for a in store_triage.list_alerts(db)] == [(update, first), (first, first)]
    assert list(store_triage.list_alerts(db, open_only=True, limit=5)) == []  # acknowledging the update owns the storm
    assert store_triage.storm_acknowledgement(db, first) == "ana"
    assert store_triage.active_silence(db, "B", NOW + timedelta(hours=1))["id"] == silence
    store_triage.lift_silence(db, silence, "bo", NOW + timedelta(hours=2))
    assert store_triage.silences(db, NOW + timedelta(hours=3)) == []
    assert store_triage.silences(db, NOW + timedelta(hours=3), active_only=False)[0]["lifted_by"] == "bo"
    db.close()


def test_spike_buckets_count_scored_mentions_only_so_unscored_ones_do_not_dilute_the_detractor_share(db):
    pending = store_mentions.pending_classification(db, 10)
    negative = Classification("negative", (0.9, 0.05, 0.05), "m", "1")
    store_mentions.save_classifications(db, [
        store_mentions.ClassifiedMention(pending[0].id, "en", negative, "detractor"),
        store_mentions.ClassifiedMention(pending[1].id, "en", negative, "detractor"),
        store_mentions.ClassifiedMention(pending[2].id, "de", None, "unscored"),
        store_mentions.ClassifiedMention(pending[3].id, "de", None, "unscored"),
    ], NOW)

    [bucket] = store_alerts.bucket_counts(db, "B", NOW, NOW + timedelta(hours=1), timedelta(hours=1))

    assert (bucket.total, bucket.detractors) == (2, 2)


def test_a_row_its_languages_model_did_not_read_is_stale(db):
    pending = store_mentions.pending_classification(db, 10)
    english = Classification("neutral", (0.1, 0.8, 0.1), "m", "1", complaint=0.1)
    store_mentions.save_classifications(db, [store_mentions.ClassifiedMention(p.id, lang, english, "passive")
                                             for p, lang in zip(pending, ["en", "de-AT", "fr", None])], NOW)
    model = store_rescore.CurrentModel("m", "1", True)

    # Read by the English model for the "*" entry, now removed: the German and French rows are stale, the English
    # one and the one from before languages were told apart are not.
    assert store_rescore.count_stale(db, [model, model], ["en", "*"]) == 0
    assert [p.lang for p in store_rescore.stale_classifications(db, [model], ["en"], None, 0, 10)] == ["de-AT", "fr"]


def test_spike_buckets_leave_out_undated_mentions_found_after_a_gap_wider_than_a_bucket(store_target):
    db = open_db(store_target)
    at = NOW + timedelta(minutes=30)
    store_mentions.save_mentions(db, [
        Mention("f", "dated", "late", at, brand="B"),
        Mention("f", "found-soon", "late", at, brand="B", dated_after=at - timedelta(minutes=15)),
        Mention("f", "found-after-outage", "late", at, brand="B", dated_after=at - timedelta(hours=8)),
    ], NOW)
    db.execute("UPDATE mentions SET category = 'detractor'")

    [bucket] = store_alerts.bucket_counts(db, "B", NOW, NOW + timedelta(hours=1), timedelta(hours=1))
    [day] = store_alerts.bucket_counts(db, "B", NOW, NOW + timedelta(days=1), timedelta(days=1))
    stored = db.execute("SELECT external_id, dated_after FROM mentions ORDER BY external_id").fetchall()
    db.close()

    assert (bucket.total, bucket.detractors) == (2, 2)  # the outage's find may belong to any hour of 8
    assert (day.total, day.detractors) == (3, 3)  # within a day-wide bucket its date is precise enough
    assert [tuple(row) for row in stored] == [("dated", None), ("found-after-outage", "2026-03-02T04:30:00Z"),
                                             ("found-soon", "2026-03-02T12:15:00Z")]


def _posts(keys, brand="B"):
    return [Mention(source="y", external_id=str(k), text=f"post {k}", created_at=NOW, brand=brand) for k in keys]


def test_posts_seen_again_use_up_no_ids_so_new_ones_are_numbered_on_as_on_sqlite(store_target):
    db = open_db(store_target)
    try:
        store_mentions.save_mentions(db, _posts(range(300)), NOW)  # a batch large enough for PostgreSQL's COPY
        again = store_mentions.save_mentions(db, _posts([*range(300), 301, 300, 301]), NOW)  # seen, and twice
        few = store_mentions.save_mentions(db, _posts([5, 6, 302, 302, 7, 303]), NOW)  # a collector's page
        other_brand = store_mentions.save_mentions(db, _posts([5], brand="C") + _posts([5], brand=None), NOW)
        rows = db.execute("SELECT external_id, brand, id FROM mentions WHERE source = 'y' ORDER BY id").fetchall()
    finally:
        db.close()
    assert (again.new, few.new, other_brand.new) == (2, 2, 2)
    assert [row[2] for row in rows] == list(range(1, 307))  # SQLite's numbering: none skipped, in the batch's order
    assert [row[0] for row in rows[:300]] == [str(k) for k in range(300)]
    assert [tuple(row) for row in rows[300:]] == [("301", "B", 301), ("300", "B", 302), ("302", "B", 303),
                                                   ("303", "B", 304), ("5", "C", 305), ("5", None, 306)]


def test_source_filter_ignores_case_and_reads_every_stored_spelling(store_target):
    # 'Twitter' and 'TWITTER': imported as written before ingest folded sources; each spelling is read.
    db = open_db(store_target)
    store_mentions.save_mentions(db, [Mention(source=source, external_id=key, text="acme", created_at=NOW, brand="B")
                                      for key, source in (("1", "twitter"), ("2", "Twitter"), ("3", "TWITTER"),
                                                          ("4", "reddit"), ("5", "twitterish"))], NOW)

    found = {name: {row["external_id"] for row in iter_mentions(db, MentionFilter(source=name), ("external_id",))}
             for name in ("Twitter", "twitter", "REDDIT", "mastodon")}
    db.close()

    assert found == {"Twitter": {"1", "2", "3"}, "twitter": {"1", "2", "3"}, "REDDIT": {"4"}, "mastodon": set()}


def test_unscored_buckets_count_each_languages_unscored_mentions_and_list_them(db):
    pending = store_mentions.pending_classification(db, 10)
    negative = Classification("negative", (0.9, 0.05, 0.05), "m", "1")
    store_mentions.save_classifications(db, [
        store_mentions.ClassifiedMention(pending[0].id, "en", negative, "detractor"),
        store_mentions.ClassifiedMention(pending[1].id, "hi", None, "unscored"),
        store_mentions.ClassifiedMention(pending[2].id, "hi", None, "unscored"),
        store_mentions.ClassifiedMention(pending[3].id, "de", None, "unscored"),
    ], NOW)

    found = store_alerts.unscored_bucket_counts(db, "B", NOW - timedelta(hours=1), NOW + timedelta(hours=1),
                                                timedelta(hours=1))

    assert {lang: [(b.total, b.detractors) for b in buckets] for lang, buckets in found.items()} == {
        "de": [(0, 0), (1, 1)], "hi": [(0, 0), (2, 2)]}
    listed = store_alerts.unscored_mentions(db, "B", "hi", NOW, NOW + timedelta(hours=1))
    assert sorted(m["id"] for m in listed) == sorted([pending[1].id, pending[2].id])
