import itertools
import random

from brandpulse.alerts.neardup import near_duplicates, normalise, representatives
from tests.insight_streams import FLOOD, complaint


def test_openers_handles_tags_links_numbers_and_case_do_not_make_a_text_different():
    original = "My card was charged twice for order 1234, please fix it"
    copies = [
        f"RT @bob: {original} https://t.co/abc #fail",
        "@acme @acmehelp MY CARD WAS CHARGED TWICE FOR ORDER 99, please fix it!!",
        "my card was charged twice for order 5678 please fix it #acme",
    ]

    assert {normalise(c) for c in copies} == {normalise(original)}
    assert all(near_duplicates(original, c) for c in copies)


def test_one_changed_word_is_still_a_copy_but_two_complaints_on_one_template_are_not():
    assert near_duplicates("my order from acme never arrived and nobody answers the phone at all",
                           "my order from acme never arrived and nobody answers the email at all")
    assert not near_duplicates("my order from acme never arrived", "my order from acme arrived broken")


def test_a_flood_is_one_group_and_distinct_complaints_stay_apart():
    rng = random.Random(3)
    distinct = [complaint(rng) for _ in range(40)]
    flood = [FLOOD.format(who=f"bot{k}", n=k) for k in range(25)]
    mentions = [{"text": t, "rank": i} for i, t in enumerate(distinct[:10] + flood + distinct[10:])]

    listed = representatives(mentions, 100)

    assert [m["rank"] for m in listed] == [*range(11), *range(35, 65)]
    assert [m["similar"] for m in listed] == [0] * 10 + [24] + [0] * 30


def test_listed_mentions_are_one_per_group_with_their_counts_and_no_pair_is_a_near_duplicate():
    rng = random.Random(4)
    texts = [FLOOD.format(who=f"bot{k}", n=k) for k in range(30)] + [complaint(rng) for _ in range(30)]
    rng.shuffle(texts)
    mentions = [{"text": t, "rank": i} for i, t in enumerate(texts)]

    listed = representatives(mentions, 8)

    assert len(listed) == 8
    assert [m["rank"] for m in listed] == sorted(m["rank"] for m in listed)  # the first of each group, in order
    flood = [m for m in listed if "burned my desk" in m["text"]]
    assert len(flood) == 1 and flood[0]["similar"] == 29
    for a, b in itertools.combinations(listed, 2):
        assert not near_duplicates(a["text"], b["text"])


def test_a_near_copy_further_down_adds_to_the_earlier_groups_count():
    base = "one two three four five six seven eight nine ten eleven twelve"
    near = "one two three four five six seven eight nine ten eleven thirteen"
    assert near_duplicates(base, near)

    listed = representatives([{"text": base}, {"text": "something else entirely here"}, {"text": near}], 5)

    assert [m["similar"] for m in listed] == [1, 0]


def test_empty_input_and_texts_without_words():
    assert representatives([], 5) == []
    wordless = [{"text": ""}, {"text": "https://t.co/x"}, {"text": None}]
    assert representatives(wordless, 3, lambda m: m["text"] or "") == [{"text": "", "similar": 2}]
