"""Extra labelled texts (`sentiment train --extra`): reviews with stars or labelled texts join the training rows."""

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from safetensors.torch import load_file

from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.labelled_texts import read_labelled, stars_label
from brandpulse.sentiment.training import train, training_texts
from tests.store_seed import mention, seed
from tests.test_sentiment_training import LABELS, TINY, _tiny_data


def _jsonl(path, *rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("stars", "label"), [(1, 0), (2, 0), (2.5, 0), (3, 1), (3.5, 1), (4, 2), (5, 2)])
def test_stars_map_to_the_sentiment_they_express(stars, label):
    assert stars_label(stars) == label


@pytest.mark.parametrize("stars", [0, 5.5, 10])
def test_a_rating_outside_one_to_five_stars_is_refused(stars):
    with pytest.raises(ValueError, match="1-5 stars"):
        stars_label(stars)


def test_labels_and_ratings_are_read_from_jsonl_csv_and_tsv(tmp_path):
    jsonl = _jsonl(tmp_path / "r.jsonl", {"text": "Love it", "rating": 5}, {"text": "Broke in a week", "rating": 1},
                   {"text": "No stars here", "rating": None}, {"text": "", "rating": 4},
                   {"text": "Fine, I guess", "label": "Neutral"})
    (tmp_path / "r.csv").write_text("\ufefftext,rating\n\"Slow, cold coffee\",2\nok,3\n", encoding="utf-8")
    (tmp_path / "r.tsv").write_text("label\ttext\npositive\tGreat app\n", encoding="utf-8")

    assert read_labelled(jsonl) == [("Love it", 2), ("Broke in a week", 0), ("Fine, I guess", 1)]
    assert read_labelled(tmp_path / "r.csv") == [("Slow, cold coffee", 0), ("ok", 1)]  # despite the byte-order mark
    assert read_labelled(tmp_path / "r.tsv") == [("Great app", 2)]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.jsonl", '{"text": "ok", "rating": 5}\n{"text": "bad", "rating": 9}\n', r"a.jsonl:2: .*1-5 stars, not 9"),
    ("b.jsonl", '{"text": "ok", "label": "angry"}\n', r"b.jsonl:1: label 'angry' is not one of negative"),
    ("c.csv", "text,rating\nfine,4\nhm,four\n", r"c.csv:3: rating 'four' is not a number"),
    ("d.jsonl", '{"text": "ok", "rating": 5}\n{"text": \n', r"d.jsonl:2: not a JSON object"),
    ("e.jsonl", '["ok", 5]\n', r"e.jsonl:1: not a JSON object"),
    ("f.jsonl", '{"text": "no stars"}\n', r"f.jsonl: no row has a text and a label"),
    ("g.txt", "ok\n", r"g.txt: expected a .jsonl, .csv or .tsv file"),
])
def test_bad_labelled_texts_are_named_with_their_line(tmp_path, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")

    with pytest.raises(SentimentError, match=message):
        read_labelled(tmp_path / name)


def test_unreadable_labelled_texts_are_named(tmp_path):
    with pytest.raises(SentimentError, match="missing.jsonl"):
        read_labelled(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.csv").write_bytes("text,rating\ncaf\xe9,5\n".encode("latin-1"))
    with pytest.raises(SentimentError, match="latin1.csv.*UTF-8"):
        read_labelled(tmp_path / "latin1.csv")


def test_extra_texts_follow_the_tweets_with_their_labels_and_are_drawn_but_never_in_dev(tmp_path):
    data = _tiny_data(tmp_path)
    alone = training_texts(data, TINY)
    dev_tweet = alone.texts[alone.dev_idx[0]]  # left out: a dev tweet is never trained on
    extra = _jsonl(tmp_path / "reviews.jsonl", {"text": "Arrived cold, @shop never replied", "rating": 1},
                   {"text": dev_tweet, "rating": 5}, {"text": "Does the job", "rating": 3})
    transfer = tmp_path / "transfer.txt"
    transfer.write_text("Does the job\nfirst day of spring\n", encoding="utf-8")

    both = training_texts(data, replace(TINY, extra=(str(extra),), transfer=str(transfer)))

    n = len(LABELS)
    assert both.texts[n:] == ["Arrived cold, @user never replied", "Does the job", "first day of spring"]
    assert both.labels == LABELS + [0, 1, -100]  # the transfer copy of an extra text is dropped: it has a label
    assert (both.train_idx, both.dev_idx) == (alone.train_idx, alone.dev_idx)
    assert both.fit_idx == alone.train_idx + [n, n + 1, n + 2]


@pytest.mark.slow
def test_training_with_extra_texts_records_them_and_changes_the_run(tmp_path):
    data = _tiny_data(tmp_path)
    extra = _jsonl(tmp_path / "reviews.jsonl", *({"text": f"Broke after {i} days, no refund", "rating": 1}
                                                 for i in range(8)))
    lines = []
    train(data, tmp_path / "plain.safetensors", TINY, progress=str)
    meta = train(data, tmp_path / "extra.safetensors", replace(TINY, extra=(str(extra),)), progress=lines.append)

    assert meta["recipe"]["extra"] == (str(extra),)
    assert meta["data"].endswith("dev split, and reviews.jsonl")
    assert any("8 extra labelled texts" in line for line in lines)
    assert not load_file(str(tmp_path / "extra.safetensors"))["head.weight"].equal(
        load_file(str(tmp_path / "plain.safetensors"))["head.weight"])


def test_a_bad_extra_file_stops_training_before_it_starts(tmp_path, invoke):
    data = _tiny_data(tmp_path)
    bad = _jsonl(tmp_path / "bad.jsonl", {"text": "meh", "rating": "lots"})

    result = invoke("sentiment", "train", "--data", data, "--extra", bad, "--out", tmp_path / "w.safetensors")

    assert result.exit_code != 0
    assert "bad.jsonl:1: rating 'lots' is not a number" in result.output
    assert not (tmp_path / "w.safetensors").exists()


def test_the_store_exports_its_rated_reviews_as_extra_texts(tmp_path, invoke):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    store = seed(tmp_path / "store.db", [
        mention(1, "Crashes every time I open it", now - timedelta(hours=1), "negative", source="appstore", rating=1),
        mention(2, "Does what it says", now - timedelta(hours=2), "neutral", source="appstore", rating=3),
        mention(3, "a tweet without stars", now - timedelta(hours=3), "positive"),
    ])

    result = invoke("--db", store, "query", "--columns", "text,rating", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    (tmp_path / "reviews.jsonl").write_text(result.stdout, encoding="utf-8")

    assert read_labelled(tmp_path / "reviews.jsonl") == [("Crashes every time I open it", 0), ("Does what it says", 1)]
