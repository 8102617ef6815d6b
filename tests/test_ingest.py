import json
import sqlite3
from datetime import datetime, timezone

from brandpulse.collectors.base import Mention
from brandpulse.store import mentions as store_mentions
from brandpulse.store import open_db


def _line(**fields):
    return json.dumps(fields)


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = dict(source="forum", id="1", text="Pinebrook beans are great", created_at="2026-03-01T10:00:00Z", label="positive")


def test_ingest_keeps_valid_lines_and_reports_invalid_ones_by_line_number(demo_dir, invoke):
    source = _write(demo_dir / "in.jsonl", [
        _line(**GOOD),
        "{not json",
        _line(**{**GOOD, "id": "2", "created_at": "yesterday"}),
        _line(**{**GOOD, "id": "3", "rating": 9}),
        _line(source="forum", id="4", created_at="2026-03-01T10:00:00Z"),
        _line(**{**GOOD, "id": "5", "label": "meh"}),
        _line(**{**GOOD, "id": "6", "text": "Pinebrook app crashed", "label": "negative", "rating": 2}),
        _line(**{**GOOD, "id": "7", "text": " \n\t "}),
        _line(**{**GOOD, "id": "8", "created_at": "2099-01-01T00:00:00Z"}),
        '{"source": "forum", "id": "9", "text": "x", "created_at": "2026-03-01T10:00:00Z", "rating": NaN}',
        _line(**{**GOOD, "id": "11", "text": "\u200b\u0000\ufeff", "label": "positive"}),  # nothing visible either
    ])

    result = invoke("ingest", source, "--no-classify")

    assert result.exit_code == 1
    assert "line 2: not valid JSON" in result.output
    assert "line 3: created_at 'yesterday' is not an ISO 8601 timestamp" in result.output
    assert "line 4: rating must be from 1 to 5" in result.output
    assert "line 5: missing required field(s): text" in result.output
    assert "line 6: label must be one of" in result.output
    assert "line 8: text is blank" in result.output
    assert "line 9: created_at 2099-01-01T00:00:00+00:00 is in the future" in result.output
    assert "line 10: rating must be an integer from 1 to 5, got nan" in result.output
    assert "line 11: text is blank (nothing visible in it)" in result.output
    rows = sqlite3.connect(demo_dir / "brandpulse.db").execute(
        "SELECT external_id, label, provenance, category FROM mentions ORDER BY external_id").fetchall()
    assert rows == [("1", "positive", "imported", "promoter"), ("6", "negative", "imported", "detractor")]


def test_ingest_reads_a_file_saved_with_a_byte_order_mark(demo_dir, invoke):
    source = demo_dir / "in.jsonl"
    source.write_text("\ufeff" + _line(**GOOD) + "\n", encoding="utf-8")

    result = invoke("ingest", source, "--no-classify")

    assert result.exit_code == 0 and "1 new" in result.output


def test_ingest_refuses_a_utf16_file_saying_how_to_convert_it(demo_dir, invoke):
    source = demo_dir / "in.jsonl"
    source.write_text(_line(**GOOD) + "\n", encoding="utf-16")  # as Windows tools often save it

    result = invoke("ingest", source, "--no-classify")

    assert result.exit_code == 2 and "is UTF-16" in result.output and "iconv -f UTF-16 -t UTF-8" in result.output


def test_ingest_is_idempotent_on_source_and_id(demo_dir, invoke):
    source = _write(demo_dir / "in.jsonl", [_line(**GOOD), _line(**{**GOOD, "source": "blog"})])

    first = invoke("ingest", source, "--no-classify")
    second = invoke("ingest", source, "--no-classify")

    assert "2 new, 0 duplicate" in first.output
    assert "0 new, 2 duplicate" in second.output


def test_ingest_assigns_brands_from_keywords_and_honours_exclusions(demo_dir, invoke):
    source = _write(demo_dir / "in.jsonl", [
        _line(**{**GOOD, "id": "a", "text": "Loving my #pinebrook cold brew"}),
        _line(**{**GOOD, "id": "b", "text": "Golf at Pinebrook Park today"}),
        _line(**{**GOOD, "id": "c", "text": "Something else", "brand": "Other Co"}),
    ])

    result = invoke("ingest", source, "--no-classify")

    assert "1 matched no brand" in result.output
    brands = dict(sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT external_id, brand FROM mentions"))
    assert brands == {"a": "Pinebrook Coffee", "b": None, "c": "Other Co"}


def test_ingest_classifies_unlabelled_lines_but_keeps_imported_labels(demo_dir, invoke):
    source = _write(demo_dir / "in.jsonl", [
        _line(source="x", id="1", text="Worst service ever, I want a refund.", created_at="2026-03-01T10:00:00+01:00"),
        _line(**{**GOOD, "id": "2", "text": "Worst service ever, I want a refund.", "label": "positive"}),
    ])

    invoke("ingest", source)

    rows = dict((r[0], r[1:]) for r in sqlite3.connect(demo_dir / "brandpulse.db").execute(
        "SELECT external_id, label, provenance, model, created_at FROM mentions"))
    assert rows["1"][:2] == ("negative", "model") and rows["1"][2]
    assert rows["1"][3] == "2026-03-01T09:00:00Z"
    assert rows["2"][:3] == ("positive", "imported", None)


def test_imported_labels_get_a_language_too_and_keep_the_one_given(demo_dir, invoke):
    source = _write(demo_dir / "in.jsonl", [
        _line(**{**GOOD, "id": "1", "text": "Worst service ever, I want a refund.", "label": "negative"}),
        _line(**{**GOOD, "id": "2", "text": "Der Kundenservice ist eine Katastrophe, ich warte seit Wochen.",
                 "label": "negative"}),
        _line(**{**GOOD, "id": "3", "text": "Worst service ever", "label": "negative", "lang": "en-GB"}),
    ])

    invoke("ingest", source, "--no-classify")

    langs = dict(sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT external_id, lang FROM mentions"))
    assert langs == {"1": "en", "2": "de", "3": "en-GB"}


def test_an_imported_tag_of_no_language_is_replaced_by_the_detected_one(demo_dir, invoke):
    german = "Der Kundenservice ist eine Katastrophe, ich warte seit Wochen."
    source = _write(demo_dir / "in.jsonl", [
        _line(**{**GOOD, "id": "1", "text": german, "label": "negative", "lang": "xx"}),
        _line(**{**GOOD, "id": "2", "text": german, "lang": "ge"}),
        _line(**{**GOOD, "id": "3", "text": german, "lang": "pt-BR"}),  # a language, kept as the collector wrote it
    ])

    invoke("ingest", source)

    langs = dict(sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT external_id, lang FROM mentions"))
    assert langs == {"1": "de", "2": "de", "3": "pt-BR"}


ESCAPED = "Pinebrook &amp; Jerry&#39;s: 5 &lt; 6 &#x2014; R&amp;D"


def test_ingest_with_unescape_html_reads_an_html_escaped_export_and_search_finds_its_words(demo_dir, invoke):
    source = _write(demo_dir / "in.jsonl", [_line(**{**GOOD, "source": "twitter", "text": ESCAPED})])

    result = invoke("ingest", source, "--no-classify", "--unescape-html")

    assert result.exit_code == 0 and "HTML character references" not in result.output
    db = sqlite3.connect(demo_dir / "brandpulse.db")
    # Was stored as written: FTS, themes and the classifier read 'amp' and '&#39;' as words.
    assert db.execute("SELECT text FROM mentions").fetchall() == [("Pinebrook & Jerry's: 5 < 6 \u2014 R&D",)]
    found = invoke("query", "--search", '"Jerry\'s"', "--format", "json")
    assert "Jerry's" in found.output


def test_ingest_keeps_a_texts_references_as_written_by_default_and_says_how_to_read_them(demo_dir, invoke):
    # A line's '&amp;' may be its author's, and brandpulse's own exports are not escaped: reading them is asked for.
    source = _write(demo_dir / "in.jsonl", [_line(**{**GOOD, "text": ESCAPED}), _line(**{**GOOD, "id": "2"})])

    result = invoke("ingest", source, "--no-classify")

    assert result.exit_code == 0 and "2 new" in result.output
    assert "1 line(s) hold HTML character references in their text" in result.output
    assert "--unescape-html" in result.output
    texts = [t for (t,) in sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT text FROM mentions")]
    assert ESCAPED in texts


def test_a_brand_written_in_full_width_letters_is_matched_and_its_text_kept_as_written(demo_dir, invoke):
    text = "ＰＩＮＥＢＲＯＯＫ のコーヒー、最高です"
    source = _write(demo_dir / "in.jsonl", [_line(**{**GOOD, "id": "w", "text": text})])

    result = invoke("ingest", source, "--no-classify")

    assert "matched no brand" not in result.output
    rows = sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT brand, text FROM mentions").fetchall()
    assert rows == [("Pinebrook Coffee", text)]


def test_a_brand_named_in_japanese_or_thai_text_without_a_space_around_it_is_matched(demo_dir, invoke):
    config = demo_dir / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'keywords: [pinebrook,', 'keywords: [pinebrook, パインブルック, ไพน์บรูค,'), encoding="utf-8")
    texts = {"ja": "Pinebrookのコーヒーは最高です", "ja2": "昨日パインブルックで買ったラテが冷めてた",
             "th": "กาแฟไพน์บรูคสาขานี้อร่อยมาก", "no": "Pinebrooks are a kind of trout"}
    source = _write(demo_dir / "in.jsonl", [_line(**{**GOOD, "id": k, "text": t}) for k, t in texts.items()])

    result = invoke("ingest", source, "--no-classify")

    # Was: '4 matched no brand' (of 'Pinebrookの', the の is a letter, and so no word boundary).
    assert "1 matched no brand" in result.output
    brands = dict(sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT external_id, brand FROM mentions"))
    assert brands == {"ja": "Pinebrook Coffee", "ja2": "Pinebrook Coffee", "th": "Pinebrook Coffee", "no": None}


def test_ingest_stores_a_source_as_its_collector_writes_it_so_one_post_is_stored_once(demo_dir, invoke):
    source = _write(demo_dir / "in.jsonl", [
        _line(**{**GOOD, "source": "Twitter"}), _line(**{**GOOD, "source": "twitter"}),
        _line(**{**GOOD, "source": "TWITTER", "id": "2"}), _line(**{**GOOD, "source": "Blog", "id": "3"})])

    result = invoke("ingest", source, "--no-classify")

    assert "3 new, 1 duplicate" in result.output
    stored = sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT external_id, source FROM mentions")
    assert sorted(stored) == [("1", "twitter"), ("2", "twitter"), ("3", "blog")]
    assert "1" in invoke("query", "--source", "Twitter", "--columns", "external_id", "--format", "csv").stdout


def test_ingest_keeps_the_spelling_a_store_already_holds_for_a_source_no_collector_writes(demo_dir, invoke):
    # Imported as written before sources were folded: the same file imported again finds its posts stored.
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    db = open_db(demo_dir / "brandpulse.db")
    store_mentions.save_mentions(db, [Mention(source="Forum", external_id="1", text=GOOD["text"], created_at=now,
                                              brand="Pinebrook Coffee")], now)
    db.close()
    source = _write(demo_dir / "in.jsonl", [_line(**GOOD), _line(**{**GOOD, "source": "FORUM", "id": "2"})])

    result = invoke("ingest", source, "--no-classify")

    assert "1 new, 1 duplicate" in result.output
    stored = sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT external_id, source FROM mentions")
    assert sorted(stored) == [("1", "Forum"), ("2", "Forum")]


def test_a_brand_and_a_source_typed_in_full_width_are_stored_as_configured_on_both_backends(
        demo_dir, invoke, store_target):
    # An input method's full-width 'ＰＩＮＥＢＲＯＯＫ ＣＯＦＦＥＥ' and 'ＴＷＩＴＴＥＲ': the names `--brand` and `--source` read.
    source = _write(demo_dir / "in.jsonl", [
        _line(**{**GOOD, "brand": "pinebrook coffee", "source": "twitter"}),
        _line(**{**GOOD, "brand": "ＰＩＮＥＢＲＯＯＫ ＣＯＦＦＥＥ", "source": "ＴＷＩＴＴＥＲ"}),
        _line(**{**GOOD, "id": "2", "brand": "Ｐｉｎｅｂｒｏｏｋ Ｃｏｆｆｅｅ", "source": "Ｆｏｒｕｍ"})])

    result = invoke("--db", store_target, "ingest", source, "--no-classify")

    # Was: '3 new', the full-width copies under 'ＰＩＮＥＢＲＯＯＫ ＣＯＦＦＥＥ' and 'ｔｗｉｔｔｅｒ', out of the brand's digest.
    assert "2 new, 1 duplicate" in result.output, result.output
    db = open_db(store_target)
    stored = db.execute("SELECT external_id, source, brand FROM mentions ORDER BY external_id").fetchall()
    db.close()
    assert [tuple(row) for row in stored] == [("1", "twitter", "Pinebrook Coffee"), ("2", "forum", "Pinebrook Coffee")]
