from datetime import datetime, timedelta, timezone

from brandpulse.alerts.base import Alert
from brandpulse.collectors.base import BrandQuery
from brandpulse.store import alerts as store_alerts
from brandpulse.store import mentions as store_mentions
from brandpulse.store import open_db
from brandpulse.store.alerts import record_alert
from brandpulse.store.brands import fold_alert_brands, sync_brands
from brandpulse.store.triage import active_silence, add_silence, list_alerts
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


def _spike(brand, hours_ago):
    end = NOW - timedelta(hours=hours_ago)
    return Alert(kind="spike", brand=brand, window_start=end - timedelta(hours=1), window_end=end, observed=9,
                 expected=2, threshold=3, score=4.5, reason="detractor spike")


def test_alerts_and_silences_under_another_spelling_fold_into_the_configured_brand_on_both_backends(store_target):
    db = _store_with_spellings(store_target)
    for brand, hours_ago in [("acme", 5), ("ＡＣＭＥ", 4), ("Acme", 3), ("Zeta", 2)]:  # Zeta: not configured, stays
        record_alert(db, _spike(brand, hours_ago), NOW)
    add_silence(db, "acme", "sam", NOW + timedelta(hours=2), None, NOW - timedelta(hours=1))

    sync_brands(db, [BrandQuery("Acme", ("acme",)), BrandQuery("Bolt", ("bolt",))], NOW)

    # Was: 'acme' and 'ＡＣＭＥ' kept, so `alerts list --brand Acme` showed one alert of three, and the silence, set
    # before the upgrade, muted no alert of Acme.
    assert [a["brand"] for a in list_alerts(db, brand="Acme")] == ["Acme", "Acme", "Acme"]
    assert sorted(brand for (brand,) in db.execute("SELECT DISTINCT brand FROM alerts").fetchall()) == ["Acme", "Zeta"]
    assert active_silence(db, "Acme", NOW) is not None
    assert fold_alert_brands(db, ["Acme", "Bolt"]) == 0
    db.close()
