import random
from datetime import date, datetime, timedelta, timezone

from brandpulse import digesting
from brandpulse.alerting import with_evidence
from brandpulse.alerts.background import bundled_background, in_background_language, read_background, save_background
from brandpulse.alerts.base import Alert
from brandpulse.alerts.digest import brand_digest
from brandpulse.alerts.evidence import spike_evidence
from brandpulse.alerts.themes import TOP_UP_TEXTS, background_counts, themes
from brandpulse.config import load_config
from brandpulse.store import open_db
from tests.conftest import write_config
from tests.insight_streams import TOPIC, complaint, window_texts
from tests.store_seed import mention, seed

# A bakery's first storm, two days after it was added: its history holds no detractor yet.
MOULDY = ["@pinebrook my loaf was mouldy again, second time this week", "mouldy bread from pinebrook, disgusting",
          "Opened the pinebrook sourdough and it's mouldy inside", "pinebrook why is your bread always mouldy??",
          "found mouldy spots on my pinebrook bagels, bought yesterday",
          "pinebrook customer service never answers my emails", "terrible delivery from pinebrook, two hours late",
          "pinebrook charged me twice for one loaf"]


def _terms(found):
    return [t.term for t in found]


def test_a_new_brands_storm_stands_out_against_the_general_background():
    assert themes(MOULDY, [], ["pinebrook"]) == []  # nothing to contrast with

    found = themes(MOULDY, [], ["pinebrook"], background=bundled_background())

    assert _terms(found)[:1] == ["mouldy"]
    assert found[0].count == 5 and found[0].baseline_count == 0  # the brand's own counts, not the background's


def test_a_new_brands_alert_and_digest_name_what_its_storm_is_about():
    window = [{"source": "twitter", "author": f"user{n}", "text": text, "url": None, "score": -0.8, "complaint": 0.9,
               "created_at": "2026-03-10T09:00:00Z", "category": "detractor"} for n, text in enumerate(MOULDY)]

    evidence = spike_evidence(window, [], ["pinebrook"], complaint_threshold=0.5)
    digest = brand_digest("Pinebrook", date(2026, 3, 10), window, [], [], ["pinebrook"], complaint_threshold=0.5)

    assert [t["term"] for t in evidence["themes"]][:1] == ["mouldy"]
    assert [t["term"] for t in digest.themes][:1] == ["mouldy"]


def test_a_short_history_is_topped_up_and_still_counts():
    history = ["pinebrook bread was mouldy"] * 40 + ["pinebrook delivery late"] * 20

    found = _terms(themes(MOULDY, history, ["pinebrook"], background=bundled_background()))

    assert "mouldy" not in found  # the brand's own history says mouldy bread is its usual complaint


def test_a_brand_with_enough_history_gets_the_same_themes_with_or_without_the_background():
    rng = random.Random(7)
    baseline = [complaint(rng) for _ in range(TOP_UP_TEXTS)]
    window = window_texts(rng, 150, topic_share=0.3)

    alone = themes(window, baseline, ["acme"])

    assert any(term in TOPIC for term in _terms(alone))
    assert themes(window, baseline, ["acme"], background=bundled_background()) == alone


def test_background_counts_the_texts_holding_each_stem_gram_and_leaves_out_rare_ones():
    texts = ["you charged twice", "Charging twice AGAIN", "charged, zebra", "not working", "still not working"]

    found = background_counts(texts, minimum=2)

    assert found.texts == 5
    assert found.counts[0] == {"charg": 3, "twice": 2, "work": 2}  # stems; stop words are never grams alone
    assert found.counts[1] == {"charg twice": 2, "not work": 2}  # a negation opens a phrase
    assert found.totals[0] == 8  # every unigram counted, the rare ones too (charg x3, twice x2, zebra, work x2)


def test_a_saved_background_reads_back_equal_and_the_same_counts_give_the_same_bytes(tmp_path):
    built = background_counts(["battery died again", "battery died today", "screen cracked again"] * 2)

    save_background(built, tmp_path / "a.json.gz")
    save_background(built, tmp_path / "b.json.gz")

    assert read_background(tmp_path / "a.json.gz") == built
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


# A new bakery's first German storm, classified by a German model (sentiment.models: {en: ..., de: ...}).
SCHIMMEL = ["@pinebrook das Brot war schon wieder schimmelig",
            "pinebrook hat zweimal abgebucht, das ist eine Frechheit",
            "das Brot von pinebrook ist schimmelig und keiner antwortet",
            "pinebrook antwortet nicht, das ist schlecht",
            "die Lieferung von pinebrook kam zu spät, das ist ärgerlich",
            "schimmeliges Brot von pinebrook, nie wieder", "pinebrook ist eine Abzocke"]
GERMAN_WORDS = {"das", "ist", "die", "von", "das ist", "das brot", "brot"}
STORM_START = datetime(2026, 3, 10, 9, tzinfo=timezone.utc)
CONFIG = """brands: [{name: Pinebrook, keywords: [pinebrook]}]
sentiment: {models: {en: bundled, de: bundled}}
digest: {timezone: UTC}
"""


def _store(tmp_path, texts):
    posts = [(n, text, lang) for n, (text, lang) in enumerate(texts)]
    path = seed(tmp_path / "brandpulse.db", [
        mention(n, text, STORM_START + timedelta(minutes=n), "negative", brand="Pinebrook", lang=lang)
        for n, text, lang in posts], STORM_START + timedelta(hours=1))
    return load_config(write_config(tmp_path / "config.yaml", CONFIG)), open_db(path)


def _alert_and_digest_themes(config, db):
    alert = Alert("spike", "Pinebrook", STORM_START, STORM_START + timedelta(hours=1), 7.0, 0.5, 3.0, 1e-6, "storm")
    alert_themes = with_evidence(config, db, alert).details["themes"]
    digest_themes = digesting.build(config, db, STORM_START.date(), ["Pinebrook"])["brands"][0]["themes"]
    return {t["term"] for t in alert_themes}, {t["term"] for t in digest_themes}


def test_a_new_brands_storm_in_another_language_gets_no_themes_from_the_english_background(tmp_path):
    config, db = _store(tmp_path, [(text, "de") for text in SCHIMMEL])

    alert_terms, digest_terms = _alert_and_digest_themes(config, db)

    # Was: "das" and "ist" (German function words, in no English tweet of the background) as the storm's themes.
    assert not alert_terms & GERMAN_WORDS and not digest_terms & GERMAN_WORDS, (alert_terms, digest_terms)
    db.close()


def test_in_a_mixed_storm_the_english_complaints_still_stand_out_against_the_background(tmp_path):
    config, db = _store(tmp_path, [(text, "en") for text in MOULDY] + [(text, "de-DE") for text in SCHIMMEL])

    alert_terms, digest_terms = _alert_and_digest_themes(config, db)

    assert "mouldy" in alert_terms and "mouldy" in digest_terms
    assert not alert_terms & GERMAN_WORDS and not digest_terms & GERMAN_WORDS, (alert_terms, digest_terms)
    db.close()


def test_texts_without_a_language_tag_count_as_english_as_before_languages_were_told_apart():
    found = themes(MOULDY, [], ["pinebrook"], background=bundled_background(), in_background=[True] * len(MOULDY))

    assert _terms(found)[:1] == ["mouldy"]
    assert themes(MOULDY, [], ["pinebrook"], background=bundled_background(), in_background=[False] * 8) == []
    assert in_background_language(None) and in_background_language("en_GB") and not in_background_language("eo")
