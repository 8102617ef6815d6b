import json
from datetime import datetime, timedelta, timezone

from brandpulse.collectors.base import Mention
from brandpulse.store import mentions as store_mentions
from brandpulse.store import open_db
from brandpulse.alerts.base import Alert
from brandpulse.store.alerts import last_health_ends, record_alert
from brandpulse.store.sources import fold_alert_sources, fold_sources
from tests.store_seed import category_of

NOW = datetime(2026, 3, 6, 15, tzinfo=timezone.utc)
AT = NOW - timedelta(minutes=30)
# As the pipeline spells them (Pipeline._source_spellings): a collector's source, else the stored lower-case one.
SPELLED = {"twitter": "twitter", "forum": "forum", "blog": "Blog"}


def _post(external_id, source, brand="Acme", text="refund never came"):
    return Mention(source=source, external_id=external_id, text=text, created_at=AT, brand=brand, label="negative")


def _store_with_spellings(target):
    """Posts an older release imported as 'Twitter' (and 'TWITTER', 'Forum') beside the collectors' 'twitter'."""
    db = open_db(target)
    store_mentions.save_mentions(db, [
        _post("t1", "Twitter"), _post("t1", "twitter"),        # one post under two spellings, answered on the old
        _post("t2", "TWITTER"), _post("t2", "Twitter"),        # ... under two old spellings only
        _post("t3", "Twitter"),                                # ... under an old spelling alone
        _post("t4", "twitter"), _post("t4", "Twitter", brand="Bolt"),  # one per brand: both stay
        _post("f1", "Forum"), _post("f2", "forum"), _post("b1", "Blog"),
    ], NOW, category_of=category_of)
    db.execute("UPDATE mentions SET answered_by = 'sam', answered_at = ? WHERE external_id = 't1' AND source = "
               "'Twitter'", ["2026-03-06T14:45:00Z"])
    return db


def test_mentions_under_another_spelling_of_their_source_fold_into_one_copy_per_post_on_both_backends(store_target):
    db = _store_with_spellings(store_target)

    folded = fold_sources(db, SPELLED)

    rows = db.execute("SELECT external_id, source, brand, answered_by FROM mentions ORDER BY external_id, brand")
    assert [tuple(row) for row in rows.fetchall()] == [
        ("b1", "Blog", "Acme", None), ("f1", "forum", "Acme", None), ("f2", "forum", "Acme", None),
        ("t1", "twitter", "Acme", "sam"), ("t2", "twitter", "Acme", None), ("t3", "twitter", "Acme", None),
        ("t4", "twitter", "Acme", None), ("t4", "twitter", "Bolt", None)]
    assert folded == 6  # a copy each of t1 and t2 merged; t2, t3, t4 (Bolt) and f1 renamed
    # What a grouping by source reads (the digest's sources, per-source alerts, brandpulse sql): one row each.
    counts = db.execute("SELECT source, count(*) FROM mentions GROUP BY source ORDER BY source").fetchall()
    assert [tuple(row) for row in counts] == [("Blog", 1), ("forum", 2), ("twitter", 5)]
    assert fold_sources(db, SPELLED) == 0
    db.close()


def test_the_first_run_folds_the_spellings_so_stats_counts_each_post_once(demo_dir, invoke):
    _store_with_spellings(demo_dir / "brandpulse.db").close()

    def twitter_total():
        result = invoke("stats", "--brand", "Acme", "--source", "twitter", "--format", "json")
        return sum(row["total"] for row in json.loads(result.stdout))

    before = twitter_total()  # a read-only command leaves the store as it is
    empty = demo_dir / "none.jsonl"
    empty.write_text("", encoding="utf-8")
    assert invoke("ingest", empty, "--no-classify").exit_code == 0
    sources = invoke("sql", "SELECT DISTINCT source FROM mentions ORDER BY source", "--format", "json").stdout

    # Was: 6 (t1 and t2 twice each), and the sources 'TWITTER', 'Twitter' and 'twitter' apart.
    assert (before, twitter_total()) == (6, 4)
    assert [row["source"] for row in json.loads(sources)] == ["Blog", "forum", "twitter"]


def _alert(kind, source, hours_ago, brand=None):
    end = NOW - timedelta(hours=hours_ago)
    return Alert(kind=kind, brand=brand, window_start=end - timedelta(hours=1), window_end=end, observed=0,
                 expected=12, threshold=3, score=None, reason="no posts", source=source)


def _record_old_alerts(db):
    """Alerts an older release stored under 'Twitter' and 'TWITTER' beside the 'twitter' of those since."""
    for kind, source, hours_ago, brand in [("health", "Twitter", 5, None), ("health", "TWITTER", 3, None),
                                           ("health", "twitter", 4, None), ("spike", "Twitter", 2, "Acme"),
                                           ("health", "Forum", 1, None), ("health", "gone", 6, None)]:
        record_alert(db, _alert(kind, source, hours_ago, brand), NOW)


def test_alerts_under_another_spelling_of_their_source_fold_like_the_mentions_on_both_backends(store_target):
    db = _store_with_spellings(store_target)
    _record_old_alerts(db)
    fold_sources(db, SPELLED)  # the mentions first: no mention is stored as 'Twitter' any more

    renamed = fold_alert_sources(db, SPELLED)

    rows = db.execute("SELECT kind, source, brand FROM alerts ORDER BY id").fetchall()
    # Was: 'Twitter', 'TWITTER' and 'Forum' kept, so a health alert's cooldown and `alerts list` read three sources.
    assert [tuple(row) for row in rows] == [("health", "twitter", None), ("health", "twitter", None),
                                            ("health", "twitter", None), ("spike", "twitter", "Acme"),
                                            ("health", "forum", None), ("health", "gone", None)]
    assert renamed == 4
    # The cooldown reads the latest health alert of the source, whatever it was stored under.
    assert last_health_ends(db) == {"twitter": NOW - timedelta(hours=3), "forum": NOW - timedelta(hours=1),
                                    "gone": NOW - timedelta(hours=6)}
    assert fold_alert_sources(db, SPELLED) == 0
    db.close()


def test_the_first_run_folds_the_alerts_sources_too(demo_dir, invoke):
    db = _store_with_spellings(demo_dir / "brandpulse.db")
    _record_old_alerts(db)
    db.close()
    empty = demo_dir / "none.jsonl"
    empty.write_text("", encoding="utf-8")

    assert invoke("ingest", empty, "--no-classify").exit_code == 0
    listed = invoke("alerts", "list", "--format", "json")

    assert listed.exit_code == 0, listed.output
    assert sorted({row["source"] for row in json.loads(listed.stdout)}) == ["forum", "gone", "twitter"]


def test_mentions_and_alerts_under_a_full_width_spelling_fold_into_the_collectors_on_both_backends(store_target):
    db = _store_with_spellings(store_target)
    store_mentions.save_mentions(db, [_post("t5", "ｔｗｉｔｔｅｒ"), _post("t1", "ＴＷＩＴＴＥＲ")], NOW, category_of=category_of)
    record_alert(db, _alert("health", "ＴＷＩＴＴＥＲ", 1), NOW)

    fold_sources(db, SPELLED)
    fold_alert_sources(db, SPELLED)

    # Was: 'ｔｗｉｔｔｅｒ' and 'ＴＷＩＴＴＥＲ' kept (folded by casefold alone), which `--source twitter` reads as twitter.
    sources = db.execute("SELECT DISTINCT source FROM mentions UNION SELECT source FROM alerts").fetchall()
    assert sorted(source for (source,) in sources) == ["Blog", "forum", "twitter"]
    assert db.execute("SELECT count(*) FROM mentions WHERE external_id = 't1'").fetchone()[0] == 1
    db.close()
