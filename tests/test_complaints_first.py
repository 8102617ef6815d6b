"""Complaints first: which mentions are complaints, how many, and the order support reads them in."""

import pytest

from brandpulse.alerts.complaints_first import complaint_count, complaints_first, is_complaint


@pytest.mark.parametrize(("complaint", "expected"), [(0.5, True), (0.93, True), (0.4999, False), (0.0, False),
                                                     (None, False)])
def test_a_complaint_reaches_the_threshold_and_no_probability_is_none(complaint, expected):
    assert is_complaint({"complaint": complaint}, 0.5) is expected


def test_a_promoter_is_no_complaint_whatever_the_head_says():
    praise = {"text": "never disappoints, perfect", "complaint": 0.58}

    assert not is_complaint({**praise, "category": "promoter"}, 0.5)
    assert all(is_complaint({**praise, "category": c}, 0.5) for c in ("detractor", "passive", None))


def test_a_mention_without_the_field_is_no_complaint_and_the_threshold_is_the_callers():
    assert not is_complaint({"text": "unscored, from before the head"}, 0.5)
    assert is_complaint({"complaint": 0.3}, 0.25) and not is_complaint({"complaint": 0.3}, 0.35)


def test_complaints_are_counted_at_the_threshold():
    mentions = [{"complaint": p} for p in (0.9, 0.5, 0.49, None, 0.1)] + [{}]

    assert complaint_count(mentions, 0.5) == 2 and complaint_count(mentions, 0.05) == 4 and complaint_count([], 0.5) == 0


def test_a_polite_complaint_comes_before_a_rant_and_each_part_is_most_negative_first():
    rant = {"text": "worst brand ever", "score": -0.95, "complaint": 0.2}
    polite = {"text": "any update on my order? it was due on the 15th", "score": -0.1, "complaint": 0.9}
    angry_complaint = {"text": "charged twice, no refund", "score": -0.8, "complaint": 0.7}
    grumble = {"text": "meh", "score": -0.3, "complaint": None}
    unscored = {"text": "no score", "score": None, "complaint": None}

    ordered = complaints_first([rant, grumble, polite, unscored, angry_complaint], 0.5)

    assert ordered == [angry_complaint, polite, rant, grumble, unscored]


def test_ties_keep_their_order_and_the_input_is_left_as_it_was():
    mentions = [{"id": n, "score": -0.5, "complaint": 0.8 if n % 2 else 0.1} for n in range(6)]
    before = list(mentions)

    assert [m["id"] for m in complaints_first(mentions, 0.5)] == [1, 3, 5, 0, 2, 4]
    assert mentions == before
