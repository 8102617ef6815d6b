"""A post that names two configured brands ("left Acme for Bolt") is stored for each brand that collected it."""

import json
import sqlite3
from datetime import datetime, timedelta, timezone

from brandpulse.collectors.base import Mention
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.sentiment.base import Classification
from brandpulse.store import mentions as store_mentions
from brandpulse.store import open_db
from brandpulse.store.migrations import SCHEMA_VERSION
from brandpulse.store.queries import MentionFilter, iter_mentions
from tests.conftest import write_config
from tests.local_http import Reply
from tests.store_versions import insert_post, postgres_store_at, sqlite_store_at

NOW = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
BRANDS = """
brands:
  - name: Acme
    keywords: [acme]
  - name: Bolt
    keywords: [bolt]
"""


def _post(brand, external_id="t1", text="left Acme for Bolt, the refund never came"):
    return Mention(source="twitter", external_id=external_id, text=text, created_at=NOW, brand=brand)


def _brands(db, external_id="t1"):
    return [row[0] for row in db.execute("SELECT brand FROM mentions WHERE external_id = ? ORDER BY id",
                                         [external_id]).fetchall()]


def test_a_post_is_stored_once_per_brand_and_once_without_one(store_target):
    db = open_db(store_target)

    first = store_mentions.save_mentions(db, [_post("Acme"), _post(None)], NOW)
    again = store_mentions.save_mentions(db, [_post("Bolt"), _post("Acme"), _post(None)], NOW)

    assert (first.new, again.new, again.duplicate) == (2, 1, 2)
    assert _brands(db) == ["Acme", None, "Bolt"]
    found = iter_mentions(db, MentionFilter(search="refund", brand="Bolt"), ("brand", "external_id"))
    assert [(row["brand"], row["external_id"]) for row in found] == [("Bolt", "t1")]
    db.close()


def test_the_bulk_path_keeps_one_row_per_brand_too(store_target):
    db = open_db(store_target)
    posts = [f"p{n}" for n in range(store_mentions.BULK_ROWS + 50)]

    first = store_mentions.save_mentions(db, [_post("Acme", p) for p in posts], NOW)
    second = store_mentions.save_mentions(db, [_post(b, p) for p in posts for b in ("Acme", "Bolt")], NOW)

    assert (first.new, second.new, second.duplicate) == (len(posts), len(posts), len(posts))
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 2 * len(posts)
    db.close()


def _schema_6_sqlite(path):
    db = sqlite_store_at(path, 6)
    db.execute(insert_post("Acme", "left Acme for Bolt, the refund never came", "2026-11-20T12:00:00Z"))
    db.close()


def test_a_schema_6_sqlite_store_upgrades_keeping_its_rows_ids_and_search_then_stores_the_second_brands_copy(
        db_path):
    _schema_6_sqlite(db_path)

    db = open_db(db_path)
    saved = store_mentions.save_mentions(db, [_post("Acme"), _post("Bolt")], NOW)

    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (saved.new, saved.duplicate) == (1, 1)
    assert db.execute("SELECT id, brand FROM mentions ORDER BY id").fetchall() == [(1, "Acme"), (2, "Bolt")]
    assert db.execute("SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH 'refund'").fetchall() == [(1,), (2,)]
    triggers = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert triggers >= {"mentions_fts_insert", "mentions_fts_delete", "mentions_fts_update"}
    db.close()


def test_a_schema_6_postgresql_store_upgrades_then_stores_the_second_brands_copy(pg_url):
    postgres_store_at(pg_url, 6, insert_post("Acme", "left Acme for Bolt", "2026-11-20T12:00:00Z"))

    db = open_db(pg_url)
    saved = store_mentions.save_mentions(db, [_post("Acme"), _post("Bolt")], NOW)

    assert (saved.new, saved.duplicate) == (1, 1)
    assert _brands(db) == ["Acme", "Bolt"]
    db.close()


def test_a_feed_entry_naming_two_brands_is_collected_for_both_and_counts_for_each(tmp_path, server):
    entry = ("<item><guid>e1</guid><title>Left Acme for Bolt: Acme charged me twice</title>"
             "<pubDate>Fri, 20 Nov 2026 12:00:00 GMT</pubDate></item>")
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{entry}</channel></rss>'
    server.route("/rss", Reply(200, feed.encode(), {"Content-Type": "application/rss+xml"}))
    config = load_config(write_config(tmp_path / "config.yaml",
                                      BRANDS + f'collectors:\n  - {{type: feed, url: "{server.url}/rss"}}\n'))
    pipeline = Pipeline(config, tmp_path / "db.sqlite")

    first, second = pipeline.collect(NOW), pipeline.collect(NOW + timedelta(minutes=15))

    assert (first.new, second.new) == (2, 0)
    assert _brands(pipeline.open(), f"{server.url}/rss#e1") == ["Acme", "Bolt"]


def test_an_imported_post_without_a_brand_is_stored_for_every_brand_it_names(tmp_path, invoke):
    config = write_config(tmp_path / "config.yaml", BRANDS)
    lines = ['{"source": "x", "id": "1", "text": "left Acme for Bolt", "created_at": "2026-11-20T12:00:00Z"}',
             '{"source": "x", "id": "2", "text": "Acme only", "created_at": "2026-11-20T12:00:00Z"}',
             '{"source": "x", "id": "3", "text": "no brand here", "created_at": "2026-11-20T12:00:00Z"}',
             '{"source": "x", "id": "4", "text": "Acme, not Bolt", "brand": "Acme", '
             '"created_at": "2026-11-20T12:00:00Z"}']
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    first = invoke("--config", config, "ingest", tmp_path / "in.jsonl", "--no-classify")
    again = invoke("--config", config, "ingest", tmp_path / "in.jsonl", "--no-classify")

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    rows = sqlite3.connect(tmp_path / "brandpulse.db").execute(
        "SELECT external_id, brand FROM mentions ORDER BY external_id, brand").fetchall()
    # A brand given in the line is the line's word: id 4 names Bolt but was written for Acme alone.
    assert rows == [("1", "Acme"), ("1", "Bolt"), ("2", "Acme"), ("3", None), ("4", "Acme")]
    assert "0 new" in again.output


# Posts stored for both brands that name one of them (Bolt's collector found them by a word not among its
# keywords): read whole, one reading for both copies. A post naming both is read per brand (test_brand_targets.py).
SHARED = ["Acme never refunded me", "Acme was worse than I thought", "Acme lost my parcel", "tried Acme, no idea yet"]


def _both_brands(texts, first=0):
    """Import lines storing each of `texts` for Acme and for Bolt, one copy after the other."""
    return [{"source": "x", "id": str(n), "text": text, "brand": brand, "created_at": "2026-11-20T12:00:00Z"}
            for n, text in enumerate(texts, first) for brand in ("Acme", "Bolt")]


def test_a_post_stored_for_two_brands_is_classified_once_and_counts_alike_for_both(tmp_path, invoke, monkeypatch):
    # Batches of two after one post of Acme alone: the two copies of each shared post (stored one after the other)
    # fall into different batches, which the model reads with other neighbours (activations are quantized per batch).
    monkeypatch.setattr("brandpulse.pipeline.CLASSIFY_BATCH", 2)
    config = write_config(tmp_path / "config.yaml", BRANDS)
    lines = [json.dumps(line) for line in [
        {"source": "x", "id": "0", "text": "Acme app crashed twice today, so annoying", "brand": "Acme",
         "created_at": "2026-11-20T12:00:00Z"}, *_both_brands(SHARED, 1)]]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = invoke("--config", config, "ingest", tmp_path / "in.jsonl")

    assert result.exit_code == 0, result.output
    assert "9 new, 0 duplicate, 0 invalid line(s) skipped, 9 classified" in result.output
    rows = sqlite3.connect(tmp_path / "brandpulse.db").execute(
        """SELECT external_id, brand, label, p_negative, p_neutral, p_positive, score, complaint, category, model, lang
           FROM mentions WHERE external_id <> '0' ORDER BY external_id, brand""").fetchall()
    acme, bolt = rows[0::2], rows[1::2]
    assert [(a[1], b[1]) for a, b in zip(acme, bolt)] == [("Acme", "Bolt")] * len(SHARED)
    # Was: each copy read in its own batch, so the same post had other probabilities (and at times another label or
    # category) for Acme than for Bolt, and the model read it twice.
    assert [a[2:] for a in acme] == [b[2:] for b in bolt]


def _reading(db, mention_id, model="m", version="1"):
    classification = Classification("negative", (0.8, 0.15, 0.05), model, version, complaint=0.9)
    return store_mentions.ClassifiedMention(mention_id, "en", classification, "detractor")


def test_a_reading_saved_for_one_copy_of_a_post_is_given_to_its_copies_still_to_read(store_target):
    db = open_db(store_target)
    store_mentions.save_mentions(db, [_post("Acme"), _post("Bolt"), _post(None), _post("Acme", "t2", "other text"),
                                      _post("Bolt", "t2", "edited text")], NOW)
    first = store_mentions.pending_classification(db, 1)[0]

    assert store_mentions.save_classifications(db, [_reading(db, first.id)], NOW) == 3

    rows = db.execute("SELECT external_id, brand, label, score, model FROM mentions ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("t1", "Acme", "negative", -0.75, "m"), ("t1", "Bolt", "negative", -0.75, "m"),
                                        ("t1", None, "negative", -0.75, "m"), ("t2", "Acme", None, None, None),
                                        ("t2", "Bolt", None, None, None)]  # another text is another reading
    # A copy read by this model already keeps its reading; one read by another model gets the new one.
    db.execute("UPDATE mentions SET score = -0.5 WHERE brand = 'Bolt'")
    db.execute("UPDATE mentions SET model = 'old' WHERE brand IS NULL")
    assert store_mentions.save_classifications(db, [_reading(db, first.id)], NOW) == 2
    assert [r[0] for r in db.execute("SELECT score FROM mentions WHERE external_id = 't1' ORDER BY id")] == [
        -0.75, -0.5, -0.75]
    db.close()


def test_on_postgresql_a_copy_another_worker_holds_is_left_to_it_without_waiting(pg_url):
    db, worker = open_db(pg_url), open_db(pg_url)
    store_mentions.save_mentions(db, [_post("Acme"), _post("Bolt")], NOW)
    first, second = store_mentions.pending_classification(db, 2)
    db.execute("SET lock_timeout = '3s'")  # waiting on the worker's row would fail here instead of hanging

    with store_mentions.claim_pending(worker, 1, after_id=first.id) as held:
        assert [p.id for p in held] == [second.id]
        assert store_mentions.save_classifications(db, [_reading(db, first.id)], NOW) == 1

    assert db.execute("SELECT label FROM mentions ORDER BY id").fetchall() == [("negative",), (None,)]
    db.close()
    worker.close()


def test_a_post_stored_for_two_brands_is_rescored_once_and_counts_alike_for_both(tmp_path, invoke, monkeypatch):
    # As above, the copies of each shared post fall into different pages of two; rescore reads their model's
    # complaint probability again (stored before the model gave one).
    lines = [{"source": "x", "id": "0", "text": "Acme app crashed twice today, so annoying", "brand": "Acme",
              "created_at": "2026-11-20T12:00:00Z"}, *_both_brands(SHARED, 1)]
    config, store = _read_before_the_complaint_head(tmp_path, invoke, monkeypatch, lines)

    result = invoke("--config", config, "sentiment", "rescore")

    assert result.exit_code == 0, result.output
    assert "9 mention(s) re-classified" in result.output
    rows = store.execute(
        """SELECT external_id, brand, label, p_negative, p_neutral, p_positive, score, complaint, category, model, lang
           FROM mentions WHERE external_id <> '0' ORDER BY external_id, brand""").fetchall()
    acme, bolt = rows[0::2], rows[1::2]
    # Was: the copy the rescored one was given kept its own page's reading, other probabilities for Bolt than Acme.
    assert all(a[7] is not None for a in acme)
    assert [a[2:] for a in acme] == [b[2:] for b in bolt]


def test_a_rescored_reading_is_given_to_the_copies_rescore_would_read_again_on_both_backends(store_target):
    db = open_db(store_target)
    store_mentions.save_mentions(db, [_post("Acme"), _post("Bolt"), _post(None), _post("Cora")], NOW)
    first, *copies = [p.id for p in store_mentions.pending_classification(db, 4)]
    unscored = store_mentions.ClassifiedMention(copies[0], "en", None, "unscored")
    old = store_mentions.ClassifiedMention(copies[1], "en", Classification("neutral", (0.2, 0.6, 0.2), "m", "1"),
                                           "passive")
    imported = "UPDATE mentions SET label = 'positive', provenance = 'imported', classified_at = ? WHERE id = ?"
    store_mentions.save_classifications(db, [unscored, old], NOW)  # before a model read it, or gave complaints
    db.execute(imported, ["2026-11-20T13:00:00Z", copies[2]])

    assert store_mentions.save_classifications(db, [_reading(db, first)], NOW) == 3

    rows = db.execute("SELECT label, complaint, provenance FROM mentions ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("negative", 0.9, "model")] * 3 + [("positive", None, "imported")]
    db.close()


def test_a_copy_stored_after_its_post_was_read_takes_that_reading_instead_of_another(tmp_path, invoke):
    config = write_config(tmp_path / "config.yaml", BRANDS)
    others = ["Acme app crashed twice today, so annoying", "love the new Acme rocket", "Acme support is slow",
              "meh, Acme", "Acme delivered early!", "Acme charged me twice, refund please"]

    def lines(texts, brand=None):
        return "\n".join(json.dumps({"source": "x", "id": str(n), "text": text, "created_at": "2026-11-20T12:00:00Z",
                                     **({"brand": brand} if brand else {})}) for n, text in texts) + "\n"

    # Read for Acme first, among other posts; then stored for Bolt too (another collector's run, or the import of
    # the same lines for Bolt), and read alone, with other neighbours.
    (tmp_path / "acme.jsonl").write_text(lines(enumerate([*others, *SHARED]), "Acme"), encoding="utf-8")
    (tmp_path / "all.jsonl").write_text(lines(list(enumerate([*others, *SHARED]))[len(others):], "Bolt"),
                                        encoding="utf-8")
    first = invoke("--config", config, "ingest", tmp_path / "acme.jsonl")
    second = invoke("--config", config, "ingest", tmp_path / "all.jsonl")

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert f"{len(SHARED)} new, 0 duplicate, 0 invalid line(s) skipped, {len(SHARED)} classified" in second.output
    rows = sqlite3.connect(tmp_path / "brandpulse.db").execute(
        """SELECT external_id, brand, label, p_negative, p_neutral, p_positive, score, complaint, category, model, lang
           FROM mentions WHERE CAST(external_id AS INTEGER) >= ? ORDER BY external_id, brand""",
        [len(others)]).fetchall()
    acme, bolt = rows[0::2], rows[1::2]
    assert [(a[1], b[1]) for a, b in zip(acme, bolt)] == [("Acme", "Bolt")] * len(SHARED)
    # Was: the Bolt copies were read again, in another batch, and got other probabilities than Acme's.
    assert [a[2:] for a in acme] == [b[2:] for b in bolt]


def test_rescore_stopped_by_ctrl_c_says_how_far_it_got_and_a_second_run_goes_on(tmp_path, invoke, monkeypatch):
    from brandpulse.pipeline import Pipeline

    lines = [{"source": "x", "id": str(n), "text": f"Acme order {n} never came", "brand": "Acme",
              "created_at": "2026-11-20T12:00:00Z"} for n in range(6)]
    config, store = _read_before_the_complaint_head(tmp_path, invoke, monkeypatch, lines)
    read, pages = Pipeline._classify_and_save, []

    def interrupted_at_the_third_page(self, *args):
        pages.append(1)
        if len(pages) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the third page is read
        return read(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(Pipeline, "_classify_and_save", interrupted_at_the_third_page)
        stopped = invoke("--config", config, "sentiment", "rescore")
    again = invoke("--config", config, "sentiment", "rescore")

    # Was: 'Aborted!', saying nothing of the four mentions already saved.
    assert stopped.exit_code == 130
    assert "Stopped: 4 mention(s) re-classified and saved; `brandpulse sentiment rescore` goes on" in stopped.stderr
    assert again.exit_code == 0 and "2 mention(s) re-classified" in again.output
    assert store.execute("SELECT count(*) FROM mentions WHERE complaint IS NULL").fetchone()[0] == 0


def _read_before_the_complaint_head(tmp_path, invoke, monkeypatch, lines):
    """The config and a connection to a store of `lines` (JSON objects) ingested and classified, their complaint
    probabilities then removed, as a model before the head left them; classify pages hold two mentions."""
    config = write_config(tmp_path / "config.yaml", BRANDS)
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "in.jsonl").exit_code == 0
    store = sqlite3.connect(tmp_path / "brandpulse.db")
    with store:
        store.execute("UPDATE mentions SET complaint = NULL")
    monkeypatch.setattr("brandpulse.pipeline.CLASSIFY_BATCH", 2)
    return config, store
