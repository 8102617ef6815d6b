"""A post naming two configured brands is read, for each, in the clauses that name it ("left Acme for Bolt, Acme
never refunded me" is a detractor of Acme, not of Bolt); a post naming one is read as before."""

import json

import pytest

from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.sentiment import Classification
from brandpulse.sentiment.targets import (
    BrandPost, BrandTargets, BrandTerms, BrandText, brand_texts, opposed, turned)
from brandpulse.store import open_db, transaction
from tests.conftest import write_config

BRANDS = """
brands:
  - name: Acme
    keywords: [acme]
  - name: Bolt
    keywords: [bolt, "@boltmobile"]
    exclusions: ["usain bolt"]
"""
TARGETS = BrandTargets([BrandTerms("Acme", ("acme",)), BrandTerms("Bolt", ("bolt", "@boltmobile"), ("usain bolt",))])
LEFT = "left Acme for Bolt, Acme never refunded me"
FINE = "Bolt is fine I guess, Acme was worse"
SINGLE = ["Acme app crashed twice today, so annoying", "love the new Acme rocket", "Bolt support is slow",
          "meh, Acme", "Bolt delivered early!"]


def test_each_brand_of_a_post_naming_two_is_given_the_clauses_that_name_it():
    # "left Acme" is also Bolt's, the other side of the switch; Acme is read in its own clauses, having some.
    assert TARGETS.passages(LEFT) == {"Acme": "left Acme Acme never refunded me", "Bolt": "left Acme for Bolt"}
    assert TARGETS.passages("Acme dropped my calls. @BoltMobile never has, not once.") == {
        "Acme": "Acme dropped my calls.", "Bolt": "@BoltMobile never has, not once."}


def test_a_sentence_ending_inside_a_quote_or_brackets_ends_there():
    # Was: no sentence break after '."', so both brands read the whole post.
    assert TARGETS.passages('My mum said "Acme lost my parcel again." Bolt never did.') == {
        "Acme": 'My mum said "Acme lost my parcel again."', "Bolt": "Bolt never did."}
    assert TARGETS.passages("(Acme is awful.) Bolt is fine")["Bolt"] == "Bolt is fine"


def test_clauses_that_cannot_be_told_apart_are_read_whole_for_each_brand():
    both = "Acme vs Bolt: both lost my parcel"
    assert TARGETS.passages(both) == {"Acme": both, "Bolt": both}
    assert TARGETS.passages("Acme and Bolt went down. Ugh.") == {"Acme": "Acme and Bolt went down. Ugh.",
                                                                 "Bolt": "Acme and Bolt went down. Ugh."}


NESTED = BrandTargets([BrandTerms("Acme", ("acme",)), BrandTerms("Acme Pay", ("acme pay",)),
                       BrandTerms("Bolt", ("bolt",))])


def test_a_clause_of_nothing_but_a_name_holding_another_is_read_with_the_next_one():
    # "Acme Pay" is no more than brand names, as "Acme" is: both brands' opinion is in the clause after it.
    both = "Acme Pay vs Bolt: both lost my parcel"
    assert NESTED.passages(both) == {"Acme": both, "Acme Pay": both, "Bolt": both}


def test_a_brand_named_inside_another_brands_name_is_read_where_it_is_named_alone():
    # "Acme" of "Acme Pay" speaks of Acme Pay: Acme's own clause is the second, not the whole post.
    post = "Acme Pay is great but Acme support is awful"
    assert NESTED.passages(post) == {"Acme": "but Acme support is awful", "Acme Pay": "Acme Pay is great"}
    # Named only inside the longer name, it is read there, as before.
    assert NESTED.passages("Love Acme Pay. Bolt is awful") == {
        "Acme": "Love Acme Pay.", "Acme Pay": "Love Acme Pay.", "Bolt": "Bolt is awful"}


def test_a_brand_named_in_a_web_or_mail_address_is_read_where_it_is_named_in_words():
    # Was: the second sentence was Acme's too, for the address in it, so Acme read the whole post.
    post = "Acme is down again. Bolt works fine here https://downdetector.com/status/acme"
    assert TARGETS.passages(post) == {"Acme": "Acme is down again.", "Bolt": post[20:]}
    mail = "Acme never answers. Bolt replied same day, write to help@acme.com if you dare"
    assert TARGETS.passages(mail)["Acme"] == "Acme never answers."
    assert TARGETS.passages("Acme lost it. Bolt found it, see bolt.co/acme")["Acme"] == "Acme lost it."
    # Named only in an address, it is read there, as before.
    assert TARGETS.passages("Bolt is awful. Switching: https://acme.com/plans") == {
        "Acme": "Switching: https://acme.com/plans", "Bolt": "Bolt is awful."}


def test_the_tags_a_post_opens_or_closes_with_claim_no_clause_of_a_brand_named_in_words():
    # Was: Acme read the whole post, Bolt's praise included, for the #Acme closing it.
    post = "Acme lost my parcel again, Bolt would never #Acme #Bolt"
    assert TARGETS.passages(post) == {"Acme": "Acme lost my parcel again", "Bolt": "Bolt would never #Acme #Bolt"}
    # Was: Bolt read the whole reply, for the handles it opens with.
    reply = "@Acme @BoltMobile Acme lost my parcel, Bolt found it"
    assert TARGETS.passages(reply) == {"Acme": "@Acme @BoltMobile Acme lost my parcel", "Bolt": "Bolt found it"}
    # Named only in tags, a brand is read there, as before.
    assert TARGETS.passages("Love #Bolt, hate #Acme") == {"Acme": "hate #Acme", "Bolt": "Love #Bolt"}


def test_a_post_naming_one_brand_or_an_excluded_one_is_read_whole():
    assert TARGETS.passages("Acme app crashed, so annoying") == {}
    assert TARGETS.passages("Acme is as fast as Usain Bolt") == {}
    assert brand_texts([BrandPost(SINGLE[0], "Acme"), BrandPost(SINGLE[0], "Bolt")], TARGETS) == [None, None]


def test_every_copy_of_a_post_naming_two_brands_gets_a_text_of_its_own():
    posts = [BrandPost(LEFT, "Acme"), BrandPost(LEFT, "Bolt"), BrandPost(LEFT, None), BrandPost(LEFT, "Cora")]
    assert brand_texts(posts, TARGETS) == [BrandText("left Acme Acme never refunded me"),
                                           BrandText("left Acme for Bolt"), BrandText(LEFT), BrandText(LEFT)]


BETTER = "Bolt is so much better than Acme, no contest"


def test_a_brand_named_only_as_the_other_side_of_a_comparison_is_read_opposite_to_the_one_compared_with():
    # Was: Acme read in "than Acme" alone, a neutral reading of a post that runs Acme down.
    assert TARGETS.readings(BETTER) == {"Acme": BrandText(BETTER, opposite=True, side="negative"),
                                        "Bolt": BrandText(BETTER, side="positive")}
    for post, first in [("switched from Acme to Bolt, never looking back", "switched from Acme to Bolt"),
                        ("Unlike Acme, Bolt actually answers. Acme support is a joke", "Unlike Acme, Bolt actually"),
                        ("I'd take Bolt over Acme any day. Dropped calls though", "I'd take Bolt over Acme any day."),
                        ("Ditched Acme for @BoltMobile, zero fees", "Ditched Acme for @BoltMobile, zero fees")]:
        readings = TARGETS.readings(post)
        assert readings["Bolt"].text.startswith(first) and not readings["Bolt"].opposite, post
    assert TARGETS.readings("switched from Acme to Bolt, never looking back")["Acme"] == BrandText(
        "switched from Acme to Bolt, never looking back", opposite=True, side="negative")
    assert TARGETS.readings("I'd take Bolt over Acme any day. Dropped calls though")["Acme"].opposite


def test_a_compared_brand_with_clauses_of_its_own_is_read_in_them():
    post = "Unlike Acme, Bolt actually answers. Acme support is a joke"
    assert TARGETS.readings(post)["Acme"] == BrandText("Unlike Acme Acme support is a joke")


def test_comparison_words_compare_nothing_without_a_brand_on_each_side_in_one_sentence():
    for post in ["Acme and Bolt are both pricier than last year", "Acme is great. Over Bolt's dead body",
                 "I went to the shop. From Acme to Bolt, all down today", "Got a text from Acme about Bolt's outage",
                 "Acme could learn from Bolt's mistakes", "Acme is no joke, Bolt is ok",
                 "Bolt put my patience to shame, Acme is fine", "Bolt is better than ever and Acme too"]:
        assert not any(reading.opposite for reading in TARGETS.readings(post).values()), post


def test_a_comparison_naming_one_brand_is_read_whole():
    for post in ["Acme is better than ever", "switched from Acme to a cheaper plan", "unlike Acme, I hate waiting"]:
        assert TARGETS.readings(post) == {} and brand_texts([BrandPost(post, "Acme")], TARGETS) == [None]


def test_an_opposite_reading_swaps_negative_and_positive_and_complains_of_nothing():
    reading = Classification("positive", (0.1, 0.2, 0.7), "m", "1", complaint=0.8)
    assert opposed(reading) == Classification("negative", (0.7, 0.2, 0.1), "m", "1", complaint=0.0)
    assert opposed(Classification("neutral", (0.3, 0.4, 0.3), "m", "1")).label == "neutral"


def test_a_shared_reading_is_read_again_only_where_the_brands_clauses_differ():
    assert TARGETS.reads_apart(LEFT, "Acme", {"Bolt"}) and TARGETS.reads_apart(LEFT, "Bolt", {"Acme"})
    # The same text, read the opposite way, is another reading.
    unlike = "Unlike Acme, Bolt actually answers"
    assert TARGETS.reads_apart(unlike, "Acme", {"Bolt"}) and not TARGETS.reads_apart(unlike, "Bolt", {"Acme"})
    # A brand put on a side is read so, not as the whole post.
    assert TARGETS.reads_apart(BETTER, "Acme", {"Bolt"}) and TARGETS.reads_apart(BETTER, "Bolt", {"Acme"})
    assert not TARGETS.reads_apart("Acme vs Bolt: both lost my parcel", "Acme", {"Bolt"})
    assert not TARGETS.reads_apart(SINGLE[0], "Acme", {"Bolt"})


def _ingest(tmp_path, invoke, texts, *args, db=None):
    config = write_config(tmp_path / "config.yaml", BRANDS)
    lines = [json.dumps({"source": "x", "id": str(n), "text": text, "created_at": "2026-11-20T12:00:00Z"})
             for n, text in enumerate(texts)]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = db or tmp_path / "brandpulse.db"
    result = invoke("--config", config, "--db", target, "ingest", tmp_path / "in.jsonl", *args)
    assert result.exit_code == 0, result.output
    return config, open_db(target)


def _categories(store, text):
    return dict(store.execute("SELECT brand, category FROM mentions WHERE text = ? ORDER BY brand", [text]).fetchall())


def test_the_copies_of_a_post_naming_two_brands_get_the_category_its_text_gives_each(tmp_path, invoke):
    _, store = _ingest(tmp_path, invoke, [LEFT, FINE, *SINGLE])

    # Was: one reading of the whole post for both, Bolt a detractor of Acme's refund.
    assert _categories(store, LEFT) == {"Acme": "detractor", "Bolt": "passive"}
    assert _categories(store, FINE) == {"Acme": "detractor", "Bolt": "promoter"}


def test_the_other_side_of_a_comparison_is_stored_with_the_opposite_reading(tmp_path, invoke):
    _, store = _ingest(tmp_path, invoke, [BETTER])
    rows = {brand: (label, probs) for brand, label, *probs in store.execute(
        "SELECT brand, label, p_negative, p_neutral, p_positive FROM mentions WHERE text = ?", [BETTER])}

    # Was: Acme read in "than Acme", Bolt in "Bolt is so much better no contest".
    assert rows["Acme"][1] == rows["Bolt"][1][::-1] and rows["Bolt"][0] == "positive", rows
    assert rows["Acme"][0] == "negative"


def test_posts_naming_one_brand_get_the_probabilities_the_batch_read_whole_gives(tmp_path, invoke):
    config, store = _ingest(tmp_path, invoke, [LEFT, *SINGLE, FINE])
    texts = [text for (text,) in store.execute("SELECT text FROM mentions ORDER BY id")]
    whole = Pipeline(load_config(config), tmp_path / "brandpulse.db").router().classify(texts)
    expected = {text: s.classification.probs for text, s in zip(texts, whole) if text in SINGLE}

    rows = store.execute("SELECT text, p_negative, p_neutral, p_positive FROM mentions").fetchall()
    assert {text: tuple(probs) for text, *probs in rows if text in SINGLE} == expected


def test_rescore_gives_each_copy_of_a_post_naming_two_brands_its_own_reading_on_both_backends(
        tmp_path, invoke, store_target):
    config, store = _ingest(tmp_path, invoke, [LEFT, FINE, *SINGLE], db=store_target)
    with transaction(store):  # as a store read before this: the reading of the Acme copy given to the Bolt copy
        store.execute("""UPDATE mentions SET (label, p_negative, p_neutral, p_positive, score, complaint, category)
            = (SELECT label, p_negative, p_neutral, p_positive, score, complaint, category FROM mentions a
               WHERE a.external_id = mentions.external_id AND a.brand = 'Acme')
            WHERE brand = 'Bolt' AND text IN (?, ?)""", [LEFT, FINE])
    assert _categories(store, LEFT) == {"Acme": "detractor", "Bolt": "detractor"}

    first = invoke("--config", config, "--db", store_target, "sentiment", "rescore")
    second = invoke("--config", config, "--db", store_target, "sentiment", "rescore")

    assert first.exit_code == 0 and "4 mention(s) re-classified" in first.output, first.output
    assert _categories(store, LEFT) == {"Acme": "detractor", "Bolt": "passive"}
    assert _categories(store, FINE) == {"Acme": "detractor", "Bolt": "promoter"}
    assert second.exit_code == 0 and "0 mention(s) re-classified" in second.output, second.output
    store.close()


def test_a_brand_written_in_full_width_letters_is_named_and_given_its_clause():
    text = "left ＡＣＭＥ for Ｂｏｌｔ, ＡＣＭＥ never refunded me"

    assert TARGETS.named(text) == ["Acme", "Bolt"]
    assert TARGETS.passages(text)["Bolt"] == "left ACME for Bolt"  # read in NFKC, with the brand it left


def test_brands_named_in_japanese_without_spaces_are_each_given_their_clause():
    targets = BrandTargets([BrandTerms("Acme", ("acme",)), BrandTerms("Bolt", ("ボルト",))])
    text = "Acmeは最悪、ボルトは最高"

    assert targets.named(text) == ["Acme", "Bolt"]
    assert targets.passages(text) == {"Acme": "Acmeは最悪", "Bolt": "ボルトは最高"}


def test_brands_named_in_thai_are_each_given_the_clause_a_space_sets_apart():
    targets = BrandTargets([BrandTerms("Acme", ("acme",)), BrandTerms("True", ("ทรูมูฟ",))])
    text = "ทรูมูฟสัญญาณดีมาก แต่Acmeแย่มาก"

    assert targets.passages(text) == {"Acme": "แต่Acmeแย่มาก", "True": "ทรูมูฟสัญญาณดีมาก"}


def test_a_brand_named_only_after_instead_of_ahead_of_beats_or_a_sign_is_read_opposite_to_the_one_before():
    # Was: each brand read in its own clauses ("instead of Acme and the signal is so much better" praised Acme), or
    # both in the whole post where no word split it ("Bolt beats Acme on price" made Acme a promoter).
    for post in ["Went with Bolt instead of Acme and the signal is so much better", "Use Bolt rather than Acme"]:
        readings = TARGETS.readings(post)
        assert readings == {"Acme": BrandText(post, opposite=True), "Bolt": BrandText(post)}, post
    # "ahead of", "beats" and ">" say which is the better: on sides too.
    for post in ["Bolt's app is miles ahead of Acme's", "Bolt is way ahead of the Acme app", "Bolt beats Acme on price",
                 "Honestly Bolt beats my Acme plan", "Bolt > Acme, fight me"]:
        readings = TARGETS.readings(post)
        assert readings == {"Acme": BrandText(post, opposite=True, side="negative"),
                            "Bolt": BrandText(post, side="positive")}, post


def test_never_had_that_with_a_brand_is_read_opposite_to_the_brand_before_it():
    # Was: Bolt read in "never had that with Bolt" alone, a neutral or negative reading of praise.
    post = "Acme dropped three calls today, never had that with Bolt"
    assert TARGETS.readings(post) == {"Acme": BrandText(post), "Bolt": BrandText(post, opposite=True)}
    post = "Acme lost my bag. Never had that problem with Bolt in ten years."
    assert TARGETS.readings(post) == {"Acme": BrandText(post), "Bolt": BrandText(post, opposite=True)}


def test_the_same_words_without_a_brand_right_after_them_compare_nothing():
    for post in ["Nothing beats Bolt's coverage, though Acme is cheaper",
                 "Bolt's ad is ahead of its time, Acme's is cringe",
                 "Instead of complaining about Acme, I just called Bolt", "Acme beats me, Bolt is fine",
                 "Never had that with Bolt, Acme is great",
                 "Acme lost my bag; never had that with my old bank. Bolt ok"]:
        assert not any(reading.opposite for reading in TARGETS.readings(post).values()), post
    assert TARGETS.passages("Nothing beats Bolt's coverage, though Acme is cheaper") == {
        "Acme": "though Acme is cheaper", "Bolt": "Nothing beats Bolt's coverage"}


def test_instead_of_before_a_brand_and_unlike_in_the_middle_of_a_sentence_are_left_to_clauses():
    # Measured on bench/data/brand_clauses.tsv: read opposite, they broke more readings than they fixed.
    for post in ["Instead of Acme, try Bolt, they actually answer", "Bolt, unlike Acme, actually answers the phone"]:
        assert not any(reading.opposite for reading in TARGETS.readings(post).values()), post


THREE = BrandTargets([BrandTerms("Acme", ("acme",)), BrandTerms("Bolt", ("bolt",)), BrandTerms("Dash", ("dash",))])


def test_a_post_naming_three_brands_reads_each_comparison_between_two_of_them():
    post = "Dash is better than Acme, but Bolt beats them both"
    assert THREE.readings(post) == {"Acme": BrandText("Dash is better than Acme", opposite=True, side="negative"),
                                    "Bolt": BrandText("but Bolt beats them both"),
                                    "Dash": BrandText("Dash is better than Acme", side="positive")}
    post = "Acme dropped my calls, Bolt overcharged me, Dash beats Acme"
    assert THREE.readings(post)["Acme"] == BrandText("Acme dropped my calls beats Acme")  # clauses of its own


def test_a_clause_naming_two_brands_on_one_side_of_a_comparison_is_read_opposite_for_the_other_side():
    # Was: "than Acme and Bolt" read alone for both (neutral), and "never had that with Dash" alone.
    post = "Dash is better than Acme and Bolt"
    assert THREE.readings(post) == {"Acme": BrandText(post, opposite=True, side="negative"),
                                    "Bolt": BrandText(post, opposite=True, side="negative"),
                                    "Dash": BrandText(post, side="positive")}
    post = "Had dropped calls with Acme and Bolt, never had that with Dash"
    assert THREE.readings(post) == {"Acme": BrandText(post), "Bolt": BrandText(post),
                                    "Dash": BrandText(post, opposite=True)}
    post = "Left Acme and Bolt for Dash, best decision this year"
    assert THREE.readings(post) == {"Acme": BrandText(post, opposite=True), "Bolt": BrandText(post, opposite=True),
                                    "Dash": BrandText(post)}
    post = "Unlike Acme and Bolt, Dash actually has signal"
    assert THREE.readings(post)["Acme"] == THREE.readings(post)["Bolt"] == BrandText(post, opposite=True)
    settled = THREE.readings("Switched from Acme and Bolt to Dash, never looking back")
    assert settled["Acme"].side == settled["Bolt"].side == "negative" and settled["Dash"].side == "positive"


def test_two_brands_sharing_a_clause_that_compares_nothing_keep_their_clauses():
    post = "Acme and Bolt are both pricier than last year, Dash is fine"
    assert THREE.passages(post) == {"Acme": "Acme and Bolt are both pricier than last year",
                                    "Bolt": "Acme and Bolt are both pricier than last year", "Dash": "Dash is fine"}


def test_a_brand_moved_to_after_a_complaint_is_read_opposite_to_the_complaint():
    # Was: "so I moved to Dash" read alone, neutral; the brands complained of keep their clause alone.
    post = "Acme and Bolt both raised prices, so I moved to Dash."
    assert THREE.readings(post) == {"Acme": BrandText("Acme and Bolt both raised prices", side="negative"),
                                    "Bolt": BrandText("Acme and Bolt both raised prices", side="negative"),
                                    "Dash": BrandText("Acme and Bolt both raised prices", opposite=True,
                                                      side="positive")}
    assert TARGETS.readings("Acme cancelled twice, so I booked a Bolt")["Bolt"] == BrandText(
        "Acme cancelled twice", opposite=True, side="positive")


def test_a_complaint_before_a_move_puts_the_brands_left_on_the_negative_side():
    # Was: "Streamly and Flixo both raised prices" read 0.77 neutral, for the three brands (Vidora opposite).
    raised = Classification("neutral", (0.18, 0.77, 0.05), "m", "1")
    readings = THREE.readings("Acme and Bolt both raised prices, so I moved to Dash.")
    assert [turned(readings[b], raised).label for b in ("Acme", "Bolt", "Dash")] == ["negative", "negative", "positive"]


def test_a_brand_after_so_is_read_in_its_clauses_where_it_is_no_switch_or_says_more():
    for post, bolt in [("Acme was down, so I got a refund from Bolt", "so I got a refund from Bolt"),
                       ("Acme and Bolt were both fine, so I stayed with Bolt", "Acme and Bolt were both fine, so I "
                                                                             "stayed with Bolt"),
                       ("Acme kept adding fees, so I switched to Bolt, worst mistake ever",
                        "so I switched to Bolt, worst mistake ever")]:
        assert TARGETS.readings(post)["Bolt"] == BrandText(bolt), post


def test_a_switch_after_a_complaint_without_a_comma_is_read_opposite_to_the_complaint():
    # Was: not split from the complaint, so Bolt read the whole clause and no side was given.
    post = "Acme raised prices again so I switched over to Bolt"
    assert TARGETS.readings(post) == {"Acme": BrandText("Acme raised prices again", side="negative"),
                                      "Bolt": BrandText("Acme raised prices again", opposite=True, side="positive")}
    assert TARGETS.readings("Acme raised prices and so I moved to Bolt")["Bolt"] == BrandText(
        "Acme raised prices", opposite=True, side="positive")
    # Not a switch: the words after "so I" name no brand right after the verb; or the switch's clause says more.
    assert TARGETS.passages("Acme was down so I got a refund from Bolt") == {
        "Acme": "Acme was down so I got a refund", "Bolt": "from Bolt"}
    assert TARGETS.readings("Acme kept crashing so I switched to Bolt and I regret it") == {
        "Acme": BrandText("Acme kept crashing"), "Bolt": BrandText("so I switched to Bolt and I regret it")}


def test_a_comparison_whose_words_say_the_better_brand_puts_them_on_sides():
    # Was: no side, so "Bolt is way cheaper than Acme and Dash" (read 0.45 neutral) rated no brand.
    for post, better, worse in [("Bolt is way cheaper than Acme", "Bolt", "Acme"),
                                ("Bolt makes a better flat white than Acme", "Bolt", "Acme"),
                                ("Bolt is slower than Acme at rush hour", "Acme", "Bolt"),
                                ("Bolt is more reliable than the Acme plan", "Bolt", "Acme"),
                                ("I'd take Bolt over Acme", "Bolt", "Acme"),
                                ("Bolt over Acme any day", "Bolt", "Acme")]:
        readings = TARGETS.readings(post)
        assert {b: r.side for b, r in readings.items()} == {better: "positive", worse: "negative"}, post
    # Words that do not say which is the better, or deny it, give no side.
    for post in ["Bolt is no better than Acme", "Bolt isn't much cheaper than Acme", "Bolt is busier than Acme",
                 "Bolt lasts longer than Acme", "Bolt won over Acme's customers"]:
        assert not any(r.side for r in TARGETS.readings(post).values()), post


BEATS = "Bolt beats Acme on price every single time"
NEVER = "Acme dropped three calls today, never had that with Bolt"


def test_the_new_comparisons_are_stored_opposite_and_posts_naming_one_brand_keep_their_probabilities(tmp_path, invoke):
    config, store = _ingest(tmp_path, invoke, [BEATS, *SINGLE, NEVER])
    texts = [text for (text,) in store.execute("SELECT text FROM mentions ORDER BY id")]
    whole = Pipeline(load_config(config), tmp_path / "brandpulse.db").router().classify(texts)
    expected = {text: s.classification.probs for text, s in zip(texts, whole) if text in SINGLE}
    rows = store.execute("SELECT text, brand, p_negative, p_neutral, p_positive FROM mentions").fetchall()
    probs = {(text, brand): tuple(p) for text, brand, *p in rows}

    assert {text: p for (text, _), p in probs.items() if text in SINGLE} == expected
    # Was: Acme read in the whole post, which praises Bolt; Bolt in "never had that with Bolt" alone.
    assert probs[BEATS, "Acme"] == pytest.approx(probs[BEATS, "Bolt"][::-1], abs=0.05)
    assert probs[NEVER, "Bolt"] == pytest.approx(probs[NEVER, "Acme"][::-1], abs=0.05)


def test_a_brand_read_opposite_in_the_whole_post_mirrors_the_other_brands_probabilities_exactly(tmp_path, invoke):
    _, store = _ingest(tmp_path, invoke, [BEATS, *SINGLE, NEVER])
    probs = {(text, brand): tuple(p) for text, brand, *p in store.execute(
        "SELECT text, brand, p_negative, p_neutral, p_positive FROM mentions WHERE text = ?", [BEATS])}

    # Was: Acme's read again in a batch of its own: (0.004, ..., 0.637) against Bolt's (0.646, ..., 0.004).
    assert probs[BEATS, "Acme"] == probs[BEATS, "Bolt"][::-1]


SETTLED = "Switched from Acme to Bolt, never looking back"


def test_a_switch_the_post_keeps_to_puts_the_brand_left_on_the_negative_side_and_the_other_on_the_positive():
    # Was: no side; the model reads "never looking back" negative, so Bolt was a detractor and Acme a promoter.
    assert TARGETS.readings(SETTLED) == {"Acme": BrandText(SETTLED, opposite=True, side="negative"),
                                         "Bolt": BrandText(SETTLED, side="positive")}
    for post in ["Moved from Acme to Bolt last year, not going back.", "Left Acme for Bolt!! no regrets",
                 "Ditched Acme for Bolt. Haven't looked back since."]:
        assert {b: r.side for b, r in TARGETS.readings(post).items()} == {"Acme": "negative", "Bolt": "positive"}, post


def test_a_switch_regretted_or_not_said_to_be_kept_is_left_to_the_model():
    # Measured: the model reads regret right, and putting every switch on sides broke each regretted one.
    for post in ["Switched from Acme to Bolt and I regret it, should have stayed", "Switched from Acme to Bolt",
                 "Switched from Acme to Bolt. Never going back to Acme",
                 "Switched from Acme to Bolt. Ugh. Not going back.",
                 "Acme is fine, not going back. Switched from Acme to Bolt",
                 "Went with Bolt instead of Acme, no regrets"]:
        assert not any(r.side for r in TARGETS.readings(post).values()), post


def test_a_side_gives_the_larger_of_negative_and_positive_to_that_side():
    read_negative = Classification("negative", (0.7, 0.24, 0.06), "m", "1", complaint=0.6)
    assert turned(BrandText("t", side="positive"), read_negative) == Classification(
        "positive", (0.06, 0.24, 0.7), "m", "1", complaint=0.0)
    assert turned(BrandText("t", opposite=True, side="negative"), read_negative) == Classification(
        "negative", (0.7, 0.24, 0.06), "m", "1", complaint=0.0)
    assert turned(BrandText("t", opposite=True), read_negative) == opposed(read_negative)


def test_a_neutral_reading_of_a_brand_on_a_side_takes_that_side():
    # Was: kept neutral, so "Acme could learn a thing or two from Bolt" (0.71 neutral) rated neither brand.
    neutral = Classification("neutral", (0.3, 0.6, 0.1), "m", "1", complaint=0.2)
    assert turned(BrandText("t", side="positive"), neutral) == Classification(
        "positive", (0.1, 0.3, 0.6), "m", "1", complaint=0.0)
    assert turned(BrandText("t", side="negative"), neutral) == Classification(
        "negative", (0.6, 0.3, 0.1), "m", "1", complaint=0.2)
    assert turned(BrandText("t"), neutral) == neutral


def test_a_settled_switch_is_stored_with_its_sides_and_posts_naming_one_brand_keep_their_probabilities(
        tmp_path, invoke):
    one = "switched from Acme to a cheaper plan, never looking back"
    config, store = _ingest(tmp_path, invoke, [SETTLED, *SINGLE, one])
    texts = [text for (text,) in store.execute("SELECT text FROM mentions ORDER BY id")]
    whole = Pipeline(load_config(config), tmp_path / "brandpulse.db").router().classify(texts)
    expected = {text: s.classification.probs for text, s in zip(texts, whole) if text in [*SINGLE, one]}
    rows = store.execute("SELECT text, brand, label, p_negative, p_neutral, p_positive FROM mentions").fetchall()

    assert {text: tuple(p) for text, _, _, *p in rows if text in [*SINGLE, one]} == expected
    labels = {brand: (label, tuple(p)) for text, brand, label, *p in rows if text == SETTLED}
    assert labels["Acme"][0] == "negative" and labels["Bolt"][0] == "positive", labels
    assert labels["Acme"][1] == labels["Bolt"][1][::-1]


def test_a_korean_post_naming_two_brands_with_particles_glued_to_them_is_read_per_brand():
    targets = BrandTargets([BrandTerms("Pinebrook", ("파인브룩",)), BrandTerms("Kumo", ("쿠모페이",))])

    assert targets.named("파인브룩에서 쿠모페이로 결제했는데, 쿠모페이가 또 오류") == ["Pinebrook", "Kumo"]


def test_a_clause_naming_no_brand_cut_off_by_a_turning_word_is_read_with_the_brand_after_it():
    # Was: "Not going back" was Bolt's, cut from "to Acme", so Acme read "Left Acme to Acme".
    assert TARGETS.passages("Left Acme for Bolt. Not going back to Acme, Bolt is ok") == {
        "Acme": "Left Acme Not going back to Acme", "Bolt": "Left Acme for Bolt. Bolt is ok"}
    post = "Switched from Acme to Bolt. Never going back to Acme, the ads were unbearable"
    assert TARGETS.passages(post) == {"Acme": "Switched from Acme Never going back to Acme, the ads were unbearable",
                                      "Bolt": "Switched from Acme to Bolt."}
    # A clause naming a brand, or set apart by a comma, keeps its break.
    assert TARGETS.passages("Acme was slow, later I went to Bolt") == {"Acme": "Acme was slow",
                                                                       "Bolt": "later I went to Bolt"}


def test_comparisons_that_say_the_side_of_each_brand_put_them_there():
    # Was: each brand read in its own clauses ("from Bolt" alone, neutral) or both in the whole post.
    for post, favoured, disfavoured in [
            ("Acme could learn a thing or two from Bolt", "Bolt", "Acme"),
            ("I'd rather pay more for Bolt than fly Acme again", "Bolt", "Acme"),
            ("Bolt puts Acme to shame", "Bolt", "Acme"), ("Acme is no Bolt", "Bolt", "Acme"),
            ("Honestly Acme's support puts Bolt's to shame", "Acme", "Bolt")]:
        readings = TARGETS.readings(post)
        assert {b: r.side for b, r in readings.items()} == {favoured: "positive", disfavoured: "negative"}, post
        assert {r.text for r in readings.values()} == {post} and sum(r.opposite for r in readings.values()) == 1, post
    # "not Acme" after a verb of choosing: each brand in its own clause, on its side; after another, no comparison.
    assert TARGETS.readings("go with Bolt, not Acme") == {"Acme": BrandText("not Acme", side="negative"),
                                                        "Bolt": BrandText("go with Bolt", side="positive")}
    assert not any(r.side or r.opposite for r in TARGETS.readings("Bolt, not Acme, lost my parcel").values())


SHAME = "Bolt puts Acme to shame"


def test_a_comparison_saying_the_sides_is_stored_so_and_posts_naming_one_brand_keep_their_probabilities(
        tmp_path, invoke):
    config, store = _ingest(tmp_path, invoke, [SHAME, *SINGLE])
    texts = [text for (text,) in store.execute("SELECT text FROM mentions ORDER BY id")]
    whole = Pipeline(load_config(config), tmp_path / "brandpulse.db").router().classify(texts)
    expected = {text: s.classification.probs for text, s in zip(texts, whole) if text in SINGLE}
    rows = store.execute("SELECT text, brand, label, p_negative, p_neutral, p_positive FROM mentions").fetchall()

    assert {text: tuple(p) for text, _, _, *p in rows if text in SINGLE} == expected
    # Was: both read in the whole post, which the model reads negative: Bolt a detractor.
    labels = {brand: (label, tuple(p)) for text, brand, label, *p in rows if text == SHAME}
    assert labels["Acme"][0] == "negative" and labels["Bolt"][0] == "positive", labels
    assert labels["Acme"][1] == labels["Bolt"][1][::-1]


CARGO = BrandTargets([BrandTerms("Acme", ("acme",)), BrandTerms("Bolt", ("bolt",)), BrandTerms("Cargo", ("cargo",))])


def test_two_brands_named_in_one_clause_share_it_and_a_third_gets_its_own():
    assert CARGO.passages("Both Acme and Bolt lost my parcel, Cargo delivered on time") == {
        "Acme": "Both Acme and Bolt lost my parcel", "Bolt": "Both Acme and Bolt lost my parcel",
        "Cargo": "Cargo delivered on time"}
    assert CARGO.passages("Acme and Bolt are awful, Cargo is fine") == {
        "Acme": "Acme and Bolt are awful", "Bolt": "Acme and Bolt are awful", "Cargo": "Cargo is fine"}
