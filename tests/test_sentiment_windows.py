import math

import numpy as np
import pytest

from brandpulse.sentiment import load_classifier
from brandpulse.sentiment.windows import combine_windows, read_windows


def test_a_text_longer_than_the_limit_keeps_its_last_windows():
    owners = [0, 0, 0, 0, 0, 1, 2, 2]
    assert read_windows(owners, 3) == [False, False, True, True, True, True, True, True]
    assert read_windows(owners, 8) == [True] * 8
    assert read_windows([], 3) == []


def test_one_window_text_keeps_its_row_and_the_complaint_column():
    probs = np.array([[0.2, 0.5, 0.3, 0.7], [0.1, 0.1, 0.8, math.nan]])
    rows = combine_windows(probs, [12, 40], [0, 1], 2)
    assert rows[0] == pytest.approx(probs[0])
    assert rows[1][:3] == pytest.approx(probs[1][:3])
    assert math.isnan(rows[1][3])


def test_neutral_windows_dilute_a_verdict_less_than_their_length_alone_would():
    story = [0.05, 0.9, 0.05]  # a window that only tells the story
    verdict = [0.1, 0.1, 0.8]
    probs = np.array([story, verdict])
    (row,) = combine_windows(probs, [100, 20], [0, 0], 1)
    # weights: 100 tokens x polarity 0.1 = 10, 20 tokens x polarity 0.9 = 18
    expected = (10 * probs[0] + 18 * probs[1]) / 28
    assert row == pytest.approx(expected)
    by_length = (100 * probs[0] + 20 * probs[1]) / 120
    assert row[2] - row[0] > by_length[2] - by_length[0]


def test_all_neutral_windows_still_give_a_mean():
    probs = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    (row,) = combine_windows(probs, [5, 7], [0, 0], 1)
    assert row == pytest.approx([0.0, 1.0, 0.0])


def test_a_long_review_is_judged_by_its_ending_too():
    bundled = load_classifier(max_windows=2)
    story = "The package arrives on Tuesday and the box is brown. " * 60
    (plain, ending) = bundled.classify([story, story + "I hate it, worst purchase ever, I want a refund."])
    assert ending.score < plain.score - 0.05
