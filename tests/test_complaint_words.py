import math

import numpy as np

from brandpulse.sentiment import complaint_words
from brandpulse.sentiment.complaint_words import WordHead, terms, tfidf, vocabulary_of
from brandpulse.sentiment.complaints import Example, HeadRecipe, fit_words
from brandpulse.sentiment.normalize import normalize

TEXTS = ["still waiting for my refund", "my refund came, thanks", "waiting for the bus", "@acme still waiting!!"]


def test_terms_are_lowercased_words_then_adjacent_pairs_with_mentions_and_links_as_placeholders():
    # As the network reads them (sentiment.normalize): any @handle is "@user", any link "http".
    assert terms(normalize("@acme Still WAITING, OK? http://x.co/a")) == [
        "user", "still", "waiting", "ok", "http", "user still", "still waiting", "waiting ok", "ok http"]


def test_the_vocabulary_keeps_terms_seen_in_enough_texts_and_rows_have_unit_length():
    vocabulary, idf = vocabulary_of(TEXTS, min_df=2)

    assert sorted(vocabulary) == ["for", "my", "my refund", "refund", "still", "still waiting", "waiting",
                                  "waiting for"]
    rows = tfidf([*TEXTS, "nothing known here"], vocabulary, idf)
    assert np.allclose(np.linalg.norm(rows[:4], axis=1), 1.0) and not rows[4].any()
    # Rarer terms weigh more: "still" (2 texts) over "waiting" (3 texts) in the last text.
    assert rows[3, vocabulary["still"]] > rows[3, vocabulary["waiting"]]


def test_a_head_reads_texts_as_its_tfidf_rows_times_its_weights():
    vocabulary, idf = vocabulary_of(TEXTS, min_df=1)
    coef = np.linspace(-1, 1, len(vocabulary))
    words = WordHead(vocabulary, idf, coef, 0.25)
    texts = [*TEXTS, "refund refund refund still", "nothing known"]

    assert np.allclose(words.logits(texts), tfidf(texts, vocabulary, idf) @ coef + 0.25)


def test_the_word_half_learns_complaint_words():
    texts = ["where is my refund", "refund never arrived", "no refund yet", "love the new menu", "great menu today",
             "menu looks tasty"]
    examples = [Example(i < 3, "food", t) for i, t in enumerate(texts)]

    words = fit_words(texts, examples, HeadRecipe(word_c=10.0, min_df=1))

    assert words.logits(["refund please"])[0] > 0 > words.logits(["menu please"])[0]


def test_the_combined_probability_averages_both_logits_and_moves_the_threshold_to_half():
    words = WordHead({"refund": 0}, np.array([1.0]), np.array([2.0]), 0.0, shift=math.log(0.3 / 0.7))

    # The network says 0.3 (logit -0.85) and the words say nothing: exactly at the shifted threshold.
    assert math.isclose(words.complaint([0.3 ** 2 / (0.3 ** 2 + 0.7 ** 2)], ["hello"])[0], 0.5, rel_tol=1e-6)
    # The word "refund" adds its logit (2) halved.
    plain, refund = words.complaint([0.5, 0.5], ["hello", "refund"])
    assert math.isclose(math.log(refund / (1 - refund)) - math.log(plain / (1 - plain)), 1.0, rel_tol=1e-6)


def test_a_saved_head_loads_back_with_the_same_readings(tmp_path):
    vocabulary, idf = vocabulary_of(TEXTS, min_df=1)
    words = WordHead(vocabulary, idf, np.linspace(-1, 1, len(vocabulary)), 0.25, shift=-0.4)
    path = tmp_path / "head.safetensors"

    complaint_words.save(path, np.ones(384), 0.5, words, {"name": "test"})
    loaded = complaint_words.load(path)

    assert loaded.vocabulary == vocabulary
    assert np.allclose(loaded.complaint([0.2, 0.7], TEXTS[:2]), words.complaint([0.2, 0.7], TEXTS[:2]), atol=1e-6)
    assert (tmp_path / "head.json").exists()


def test_a_damaged_head_file_is_a_clear_error(tmp_path):
    import pytest

    from brandpulse.sentiment.base import SentimentError

    path = tmp_path / "head.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")

    with pytest.raises(SentimentError, match="head.safetensors is unreadable.*train-complaints"):
        complaint_words.load(path)


def test_loading_the_model_with_a_damaged_head_names_the_file(tmp_path):
    import hashlib
    import json
    import shutil

    import pytest

    from brandpulse.sentiment.base import SentimentError
    from brandpulse.sentiment.classifier import _load_bundled, bundled_weights

    weights = tmp_path / "encoder.safetensors"
    shutil.copy(bundled_weights(), weights)
    shutil.copy(bundled_weights().with_suffix(".json"), weights.with_suffix(".json"))
    (tmp_path / "encoder.complaint.safetensors").write_bytes(b"truncated")
    (tmp_path / "encoder.complaint.json").write_text(
        json.dumps({"encoder_sha256": hashlib.sha256(weights.read_bytes()).hexdigest()[:12]}), encoding="utf-8")

    with pytest.raises(SentimentError, match="encoder.complaint.safetensors is unreadable"):
        _load_bundled("cpu", "onnx", 32, 128, 8, weights=weights)
