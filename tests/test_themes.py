import random

import pytest

from brandpulse.alerts.themes import ThemesError, ignored_words, themes, words
from tests.insight_streams import GENERIC, OTHER_TOPIC, TOPIC, complaint, window_texts


def _terms(found):
    return [t.term for t in found]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planted_topic_is_among_the_top_three_themes_and_the_everyday_complaint_is_not(seed):
    rng = random.Random(seed)
    baseline = [complaint(rng) for _ in range(3000)]
    window = window_texts(rng, 200, topic_share=0.3, flood=40)

    top3 = _terms(themes(window, baseline, ["Acme", "@acme"]))[:3]

    assert any(term in TOPIC for term in top3), top3
    generic_words = {w for phrase in GENERIC for w in phrase.split()}
    assert not any(set(term.split()) <= generic_words for term in top3), top3


def test_a_topic_that_is_already_usual_in_the_baseline_is_not_a_theme():
    rng = random.Random(4)
    baseline = [complaint(rng, TOPIC if rng.random() < 0.3 else None) for _ in range(3000)]
    window = window_texts(rng, 300, topic_share=0.3) + [complaint(rng, OTHER_TOPIC) for _ in range(60)]

    found = _terms(themes(window, baseline, ["acme"]))

    assert any(term in OTHER_TOPIC for term in found[:2]), found
    assert not any(term in TOPIC for term in found), found


def test_a_phrase_is_kept_instead_of_parts_that_only_occur_inside_it():
    rng = random.Random(5)
    baseline = [complaint(rng) for _ in range(1000)]
    window = [complaint(rng, "refund portal timeout") for _ in range(80)] + [complaint(rng) for _ in range(80)]

    found = _terms(themes(window, baseline, ["acme"], limit=10))

    assert "refund portal timeout" in found
    assert not {"portal", "timeout", "portal timeout"} & set(found), found


def test_a_term_counts_the_mentions_that_use_it_so_one_post_repeating_it_is_no_theme():
    rng = random.Random(8)
    baseline = [complaint(rng) for _ in range(1000)]
    window = window_texts(rng, 60, topic_share=0.3) + ["acme unacceptable angry customer " * 500] * 2

    found = {t.term: t.count for t in themes(window, baseline, ["acme"], limit=10)}

    assert not {"unacceptable", "angry", "angry customer", "unacceptable angry customer"} & set(found), found
    assert any(term in TOPIC for term in found), found


def test_a_post_holding_the_text_separator_still_counts_once():
    rng = random.Random(9)
    baseline = [complaint(rng) for _ in range(500)]
    window = [complaint(rng) for _ in range(40)] + [" \ue000 ".join(["acme refund scam"] * 300)]

    assert not any("scam" in t.term for t in themes(window, baseline, ["acme"], limit=10))


def test_a_baselines_words_the_window_lacks_each_count_in_its_size():
    import numpy as np

    from brandpulse.alerts.themes import log_odds_z

    window = ["refunds"] * 5 + ["waited hours"]
    word = lambda n: "zq" + "".join(chr(97 + int(d)) for d in f"{n:03d}")  # noqa: E731  (letters only: zqaab)
    baseline = [f"{word(3 * n)} {word(3 * n + 1)} {word(3 * n + 2)}" for n in range(10)]  # 30 words

    (found,) = themes(window, baseline, ["acme"])

    assert (found.term, found.score) == ("refunds", round(float(log_odds_z(np.array([5]), np.array([0]), 7, 30)[0]), 2))


def test_themes_are_json_objects_best_first_with_counts_and_score():
    rng = random.Random(6)
    baseline = [complaint(rng) for _ in range(500)]
    window = window_texts(rng, 100, topic_share=0.5)

    found = [t.as_dict() for t in themes(window, baseline, ["acme"])]

    assert 1 <= len(found) <= 5
    assert all(set(t) == {"term", "count", "baseline_count", "score"} for t in found)
    assert [t["score"] for t in found] == sorted((t["score"] for t in found), reverse=True)
    top = found[0]
    assert top["count"] == sum(top["term"] in text.lower() for text in window)
    assert top["baseline_count"] == sum(top["term"] in text.lower() for text in baseline)


def test_urls_handles_numbers_stop_words_and_the_brands_keywords_are_never_terms():
    window = [f"RT @bob: Acme's app #{n} crashed at https://t.co/{n} the acme app crashed, pinebrook coffee"
              for n in range(30)]
    baseline = ["the weather is fine"] * 30

    found = _terms(themes(window, baseline, ["Acme", "Pinebrook Coffee"], limit=20))

    assert "app crashed" in found
    banned = {"acme", "acme's", "bob", "rt", "https", "co", "the", "pinebrook", "coffee"}
    assert not any(set(term.split()) & banned for term in found), found
    assert not any(ch.isdigit() for term in found for ch in term)
    tokens = words(["Late, again: https://x.test @bob 42 'times'"])
    assert [t for t in tokens if t != "|"] == ["late", "again", "times"] and tokens[1] == "|"
    assert ignored_words(["Pinebrook Coffee"]) >= {"pinebrook", "coffee", "pinebrook's"}


def test_an_empty_window_or_baseline_yields_no_error():
    assert themes([], ["something about nothing"]) == []
    assert _terms(themes(["battery fire again"] * 5, [])) != []
    with pytest.raises(ThemesError):
        themes(["x"], ["y"], limit=-1)


def test_forms_of_one_word_count_together_and_show_the_most_frequent_form():
    window = ["you charged me twice", "double charges again", "charged twice, fix it", "charging my card twice"] * 2
    baseline = ["the app is slow", "delivery was late"] * 20

    found = {t.term: t.count for t in themes(window, baseline, ["acme"], limit=10)}

    assert found["charged"] == 8  # charged x4, charges x2, charging x2
    assert not {"charges", "charging"} & set(found)


def test_a_negation_opens_a_phrase_but_is_never_a_term_alone_or_at_its_end():
    window = [f"the app is not working since the update #{n}" for n in range(20)] + ["card declined, no"] * 5
    baseline = ["the app is fine", "love the update", "works for me", "delivery was late", "price went up"] * 40

    found = _terms(themes(window, baseline, ["Acme"], limit=20))

    assert "not working" in found  # what the complaint says; "working" alone would say the opposite
    assert not any(term.split()[-1] in {"no", "not"} or term in {"no", "not"} for term in found), found
    assert "since" not in " ".join(found).split()


def test_emoji_and_punctuation_beyond_ascii_end_a_word_instead_of_making_it_another():
    assert words(["charged twice😡😡 ¿por qué? «remboursement» wait… don’t “refund”"]) == [
        "charged", "twice", "|", "|", "|", "por", "qué", "|", "|", "remboursement", "|", "wait", "|", "don't", "|",
        "refund", "|"]
    assert words(["café खराब"]) == ["café", "खराब"]  # letters and their marks stay whole


def test_a_storm_written_with_emoji_and_ellipses_names_its_phrase():
    rng = random.Random(12)
    baseline = [complaint(rng) for _ in range(1000)]
    endings = ["😡", "😡😡", "…", "!!", "🤬 refund", "… again"]
    window = [f"acme charged twice{rng.choice(endings)}" for _ in range(60)] + [complaint(rng) for _ in range(60)]

    found = {t.term: t.count for t in themes(window, baseline, ["acme"])}

    assert found.get("charged twice") == 60, found


# A login storm as support reads it: each post quotes what the app shows, in its own words.
SHOWN = ["invalid code", "session expired", "incorrect password", "something went wrong", "try again later",
         "account locked", "verification failed"]
OPENERS = ["the app says", "app says", "it says", "acme app says", "app just says", "now it says"]
TAILS = ["when i try to log in", "every time i log in", "i have reset my password twice", "i have tried 5 times",
         "cannot log in since this morning", "i have no access to my account", "the app keeps telling me that"]
EVERYDAY = ["worst customer service ever, my order was late", "still waiting for my refund",
            "the coffee was cold and the barista was rude", "prices went up again, not happy"]


def _login_storm(seed=7):
    rng = random.Random(seed)
    window = [f"@acme {rng.choice(OPENERS)} \"{rng.choice(SHOWN)}\" {rng.choice(TAILS)}" for _ in range(40)]
    return window, [f"@acme {rng.choice(EVERYDAY)} #{n}" for n in range(1500)]


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_a_storm_quoting_what_the_app_says_is_named_by_what_it_says_not_by_says(seed):
    window, baseline = _login_storm(seed)

    found = _terms(themes(window, baseline, ["acme"]))

    # Was: 'says', 'app', 'app says', 'log', 'try': what every post says to report, not what it reports.
    assert not [term for term in found if {"says", "say", "saying", "telling", "try", "tried", "time", "times"}
                & {term.split()[0], term.split()[-1]}], found
    assert set(found) & set(SHOWN) and "log in" in found, found


def test_a_generic_verb_may_sit_inside_a_phrase():
    window, baseline = _login_storm()

    assert "something went wrong" in _terms(themes(window, baseline, ["acme"], limit=10))


def test_a_theme_nearly_always_followed_by_a_particle_is_shown_with_it_its_count_unchanged():
    rng = random.Random(3)
    baseline = [complaint(rng) for _ in range(500)]
    window = [f"acme i can't sign up, {complaint(rng)}" for _ in range(20)] + [complaint(rng) for _ in range(20)]

    (top, *_) = themes(window, baseline, ["acme"])

    assert top.term == "can't sign up" and top.count == 20


def _spellings_storm(seed, written):
    """A window of posts each naming a compound in one of its spellings (`written`: spelling -> count)."""
    rng = random.Random(seed)
    window = [f"acme the {spelling} is broken again {n}" for spelling, count in written.items() for n in range(count)]
    return window + [complaint(rng) for _ in range(20)], [complaint(rng) for _ in range(500)]


@pytest.mark.parametrize("written, shown", [
    ({"login": 9, "log in": 6, "log-in": 3}, "login"),
    ({"sign in": 8, "signin": 5, "sign-in": 4}, "sign in"),
    ({"check out": 4, "checkout": 7}, "checkout"),
    ({"set-up": 8, "setup": 4, "set up": 3}, "set-up"),
    ({"top up": 6, "topup": 5, "top-up": 4}, "top up"),
    # The stem of "takeover" is "takeov": "take over" was not read as it.
    ({"takeover": 8, "take over": 5}, "takeover"),
])
def test_a_compound_spelled_apart_joined_or_hyphenated_is_one_theme_in_its_most_common_spelling(written, shown):
    window, baseline = _spellings_storm(4, written)

    found = {t.term: t.count for t in themes(window, baseline, ["acme"], limit=10)}

    # Was: 'login' (9) and 'log in' (6) two themes, 'log-in' read as 'log' and 'in'.
    total = sum(written.values())
    assert found.get(f"{shown} is broken") == total or found.get(shown) == total, found
    others = {s for s in written if s != shown}
    assert not [term for term in found for other in others if other in term.split() or other in term], found


def test_a_word_and_a_particle_that_are_no_compound_of_the_window_stay_as_they_were():
    rng = random.Random(2)
    baseline = [complaint(rng) for _ in range(500)]
    window = [f"acme i can't log in, {complaint(rng)}" for _ in range(20)] + [complaint(rng) for _ in range(20)]

    assert "can't log in" in _terms(themes(window, baseline, ["acme"]))


@pytest.mark.parametrize("joined, apart", [("carton", "cart on"), ("baton", "bat on"), ("martin", "mart in")])
def test_a_word_ending_in_a_particle_is_no_compound_unless_it_is_a_known_one(joined, apart):
    rng = random.Random(6)
    window = [f"acme the {joined} arrived crushed {n}" for n in range(8)]
    window += [f"acme my {apart} the site emptied itself {n}" for n in range(8)]

    found = {t.term: t.count for t in themes(window + [complaint(rng) for _ in range(20)],
                                             [complaint(rng) for _ in range(500)], ["acme"], limit=10)}

    # Was: 'cart on' (16), the two spellings of "carton" to the rule that joined any word and particle.
    assert not [count for term, count in found.items() if count > 8], found
    assert any(joined in term for term in found) and any(apart.split()[0] in term for term in found), found


def _two_brands(tmp_path):
    from brandpulse.config import load_config
    from tests.conftest import write_config

    return load_config(write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]},\n"
                                    "  {name: Zeta, keywords: [zetaphone, zeta], own_accounts: ['@ZetaHelp']}]\n"
                                    "collectors: [{type: replay, name: feed, path: demo}]\n"))


def test_a_competitor_named_in_a_storm_is_no_theme_of_either_brand(tmp_path):
    from brandpulse.alerting import keywords_of

    config = _two_brands(tmp_path)
    rng = random.Random(12)
    baseline = [complaint(rng) for _ in range(300)]
    acme = [f"acme battery dies in an hour compared to zetaphone {n}" for n in range(12)] + baseline[:20]
    zeta = [f"zetaphone screen cracked, acme is terrible #zetahelp {n}" for n in range(12)] + baseline[:20]

    acme_terms = _terms(themes(acme, baseline, keywords_of(config, "Acme"), limit=10))
    zeta_terms = _terms(themes(zeta, baseline, keywords_of(config, "Zeta"), limit=10))

    assert "battery" in " ".join(acme_terms) and "screen cracked" in zeta_terms, (acme_terms, zeta_terms)
    assert not any({"zetaphone", "compared", "acme", "zetahelp"} & set(t.split()) for t in acme_terms + zeta_terms)


def _storm(seed, phrasings):
    rng = random.Random(seed)
    window = [f"acme {text} {n}" for text, count in phrasings for n in range(count)]
    return window + [complaint(rng) for _ in range(20)], [complaint(rng) for _ in range(500)]


def test_near_synonym_phrasings_of_one_complaint_are_one_theme():
    window, baseline = _storm(3, [("charged me twice", 12), ("double charged my card", 10),
                                  ("charged again for nothing", 8), ("support line is dead", 9)])

    found = _terms(themes(window, baseline, ["acme"]))

    # Was: 'charged', 'charged me twice', 'double charged', ... one complaint filling the list.
    assert len([term for term in found if "charged" in term.split()]) == 1, found
    assert any("support line" in term for term in found), found


def test_a_phrase_most_posts_of_its_words_use_takes_their_place():
    window, baseline = _storm(3, [("my screen cracked", 14), ("screen cracked again", 10), ("cracked", 4),
                                  ("screen", 3)])

    found = _terms(themes(window, baseline, ["acme"]))

    assert found[0] == "screen cracked" and not {"screen", "cracked"} & set(found), found


def test_a_preposition_after_a_theme_is_not_shown_as_its_particle_but_a_phrasal_verbs_is():
    window, baseline = _storm(5, [("the battery dies in an hour", 12), ("my cart on the site emptied", 9),
                                  ("the phone will turn off at random", 10)])

    found = _terms(themes(window, baseline, ["acme"], limit=10))

    # Was: 'battery dies in' and 'cart on', "in" and "on" read as the particles of phrasal verbs.
    assert not [term for term in found if term.split()[-1] in ("in", "on")], found
    assert any(term.endswith("turn off") for term in found), found


def test_a_spanish_storms_themes_neither_start_nor_end_with_a_function_word():
    window, baseline = _storm(5, [("cobro duplicado en mi tarjeta", 12), ("quiero el reembolso de mi dinero", 9),
                                  ("me cobraron dos veces", 10)])

    found = _terms(themes(window, baseline, ["acme"], limit=10))

    # Was: 'cobro duplicado en', 'reembolso de', 'quiero el reembolso de'.
    assert "cobro duplicado" in found and "quiero el reembolso" in found, found
    assert not [term for term in found if {term.split()[0], term.split()[-1]} & {"en", "de", "el", "mi"}], found
