import random
from datetime import date

from brandpulse.alerts.background import bundled_background, read_background, save_background
from brandpulse.alerts.digest import brand_digest
from brandpulse.alerts.evidence import spike_evidence
from brandpulse.alerts.themes import TOP_UP_TEXTS, background_counts, themes
from tests.insight_streams import TOPIC, complaint, window_texts

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
