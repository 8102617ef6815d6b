from datetime import datetime, timedelta, timezone

from brandpulse.collectors.base import BrandQuery
from brandpulse.store import alerts as store_alerts
from brandpulse.store import mentions as store_mentions
from brandpulse.store import open_db
from brandpulse.store.brands import sync_brands
from tests.store_seed import category_of, mention

NOW = datetime(2026, 3, 6, 15, tzinfo=timezone.utc)
AT = NOW - timedelta(minutes=30)


def _store_with_spellings(target):
    db = open_db(target)
    store_mentions.save_mentions(db, [
        mention("t1", "refund never came", AT, "negative", brand="acme"),    # and its copy under the configured name
        mention("t1", "refund never came", AT, "negative", brand="Acme"),
        mention("t2", "charged twice, awful", AT, "negative", brand="acme"),  # and a copy under a third spelling
        mention("t2", "charged twice, awful", AT, "negative", brand="ACME"),
        mention("t3", "app crashes on login", AT, "negative", brand="ACME"),
        mention("t4", "bolt is fine", AT, "positive", brand="Bolt"),
    ], NOW, category_of=category_of)
    db.execute("UPDATE mentions SET answered_by = 'sam', answered_at = ? WHERE external_id = 't1' AND brand = 'acme'",
               ["2026-03-06T14:45:00Z"])
    return db


def test_mentions_under_another_capitalisation_fold_into_the_configured_brand_once_per_post(store_target):
    db = _store_with_spellings(store_target)

    folded = sync_brands(db, [BrandQuery("Acme", ("acme",)), BrandQuery("Bolt", ("bolt",))], NOW)

    rows = db.execute("SELECT external_id, brand, answered_by FROM mentions ORDER BY external_id").fetchall()
    assert [tuple(row) for row in rows] == [("t1", "Acme", "sam"), ("t2", "Acme", None), ("t3", "Acme", None),
                                            ("t4", "Bolt", None)]
    assert folded == 4  # t1's and t2's copies merged, t2's and t3's spellings renamed
    # What the digest and the alerts read, by `brand = ?`: every post once, the answered one counted as such.
    window = store_alerts.mentions_to_answer(db, "Acme", NOW - timedelta(hours=1), NOW)
    assert sorted((m["text"], m["answered_by"]) for m in window) == [
        ("app crashes on login", None), ("charged twice, awful", None), ("refund never came", "sam")]
    assert sum(b.detractors for b in store_alerts.bucket_counts(
        db, "Acme", NOW - timedelta(hours=1), NOW, timedelta(hours=1))) == 3
    assert sync_brands(db, [BrandQuery("Acme", ("acme",))], NOW) == 0
    db.close()
