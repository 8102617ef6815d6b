import json
from datetime import datetime, timezone

import pytest

from brandpulse.collectors.base import Mention
from brandpulse.sentiment import LABELS, Classification, load_classifier
from brandpulse.sentiment.base import SentimentError
from brandpulse.store import open_db
from brandpulse.store.mentions import ClassifiedMention, save_classifications, save_mentions
from tests.test_complaints_languages import GERMAN

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def bundled():
    return load_classifier()


# nlptown/bert-base-multilingual-uncased-sentiment's labels
STAR_LABELS = {i: f"{i + 1} star" + ("s" if i else "") for i in range(5)}


def _tiny(path, id2label: dict[int, str]):
    """A randomly initialised 1-layer BERT classifier with these labels, saved as a Hugging Face folder."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from brandpulse.sentiment.network import base_path

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=len(id2label),
                        id2label=id2label, label2id={name: i for i, name in id2label.items()})
    BertForSequenceClassification(config).save_pretrained(path)
    AutoTokenizer.from_pretrained(base_path()).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny random classifier whose labels are in an unusual order."""
    return _tiny(tmp_path_factory.mktemp("tiny"), {0: "POS", 1: "NEG", 2: "NEU"})


def _model_probs(path, text: str) -> list[float]:
    """The folder's own probabilities for `text`, straight from transformers."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    network = AutoModelForSequenceClassification.from_pretrained(path).eval()
    with torch.inference_mode():
        return torch.softmax(network(**AutoTokenizer.from_pretrained(path)(text, return_tensors="pt")).logits[0],
                             -1).tolist()


def test_sanity_sentences_get_the_obvious_labels(bundled):
    results = bundled.classify(["I love this, thank you so much!", "The package arrives on Tuesday.",
                                "Worst service ever, I want a refund."])
    assert [r.label for r in results] == ["positive", "neutral", "negative"]
    for r in results:
        assert sum(r.probs) == pytest.approx(1, abs=1e-5)
        assert r.confidence > 0.5


def test_emoji_alone_carry_their_sentiment(bundled):
    # Read as [UNK] both would be the same neutral text; spelt out, the model reads them.
    results = bundled.classify(["😍😍", "@user 😡😡"])
    assert [r.label for r in results] == ["positive", "negative"]


def test_every_result_records_model_name_and_version(bundled):
    (result,) = bundled.classify(["ok"])
    assert result.model == "brandpulse-minilm-tweeteval"
    assert result.model_version.startswith("1+")


def test_long_review_is_read_in_windows_without_error(bundled):
    review = "The staff were rude and the order was wrong. " * 400
    (result,) = bundled.classify([review])
    assert result.label == "negative"


def test_empty_input_and_empty_text(bundled):
    assert bundled.classify([]) == []
    assert bundled.classify([""])[0].label in LABELS


def test_pluggable_model_probabilities_follow_its_id2label(tiny_model):
    classifier = load_classifier(str(tiny_model), device="cpu")
    text = "some words for a random model"
    (result,) = classifier.classify([text])
    p = _model_probs(tiny_model, text)
    # The model's order is POS, NEG, NEU; ours is negative, neutral, positive.
    assert result.probs == pytest.approx((p[1], p[2], p[0]), abs=1e-5)
    assert result.model == str(tiny_model)


@pytest.mark.parametrize("id2label, sums", [
    (STAR_LABELS, ((0, 1), (2,), (3, 4))),
    ({0: "NEGATIVE", 1: "POSITIVE"}, ((0,), (), (1,))),  # an SST-2 model: no neutral
])
def test_star_and_two_class_models_add_up_to_our_three_labels(tmp_path, id2label, sums):
    path = _tiny(tmp_path / "model", id2label)
    texts = ["some words for a random model", "and a few more, for another reading"]

    results = load_classifier(str(path), device="cpu").classify(texts)

    for text, result in zip(texts, results):
        p = _model_probs(path, text)
        assert result.probs == pytest.approx(tuple(sum(p[i] for i in group) for group in sums), abs=1e-5)
        assert result.label == ("negative", "neutral", "positive")[max(range(3), key=lambda k: result.probs[k])]


def test_pluggable_model_caps_windows_of_a_long_text_keeping_its_end(tiny_model):
    from transformers import AutoTokenizer

    classifier = load_classifier(str(tiny_model), device="cpu", max_length=16, max_windows=3)
    windows, owners = classifier._windows(["word " * 500 + "finally", "short"])
    assert owners == [0, 0, 0, 1]
    assert all(len(w) <= 16 for w in windows)
    assert AutoTokenizer.from_pretrained(tiny_model).convert_tokens_to_ids("finally") in windows[2]


def test_unknown_model_names_the_model_and_the_way_out():
    from brandpulse.sentiment import SentimentError

    with pytest.raises(SentimentError, match="(?s)no-such/model.*bundled"):
        load_classifier("no-such/model")


def test_eval_needs_no_config_file_and_prints_metrics_confusion_and_throughput(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.yaml here: the bundled model's defaults apply
    monkeypatch.delenv("BRANDPULSE_CONFIG", raising=False)
    (tmp_path / "t.txt").write_text("I love it!\nIt is Tuesday.\nI hate it.\n", encoding="utf-8")
    (tmp_path / "l.txt").write_text("2\n1\n0\n", encoding="utf-8")

    result = invoke("sentiment", "eval", "--text", tmp_path / "t.txt", "--labels", tmp_path / "l.txt")

    assert result.exit_code == 0
    assert "macro-recall 100.00" in result.output
    assert "confusion" in result.output and "texts/s" in result.output


def test_eval_reads_another_training_of_the_bundled_network_with_weights(tmp_path, invoke, monkeypatch):
    import hashlib

    from brandpulse.sentiment.training import Recipe, train
    from tests.test_sentiment_training import _tiny_data

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRANDPULSE_CONFIG", raising=False)
    weights = tmp_path / "run.safetensors"
    train(_tiny_data(tmp_path), weights, Recipe(layers=1, epochs=0.5, eval_every=1, batch_size=4, max_length=16),
          progress=lambda line: None)
    (tmp_path / "t.txt").write_text("I love it!\nIt is Tuesday.\nI hate it.\n", encoding="utf-8")
    (tmp_path / "l.txt").write_text("2\n1\n0\n", encoding="utf-8")
    files = ("--text", tmp_path / "t.txt", "--labels", tmp_path / "l.txt")

    result = invoke("sentiment", "eval", *files, "--weights", weights)
    elsewhere = invoke("sentiment", "eval", *files, "--weights", weights, "--model", "some/other-model")

    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    assert f"model brandpulse-minilm-tweeteval 1+{digest} on 3 texts" in result.output
    assert elsewhere.exit_code == 2 and "--weights" in elsewhere.output and "another model" in elsewhere.output


def test_eval_with_weights_that_are_not_a_weights_file_says_so(tmp_path, invoke, monkeypatch):
    import numpy as np
    from safetensors.numpy import save_file

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRANDPULSE_CONFIG", raising=False)
    (tmp_path / "t.txt").write_text("I love it!\n", encoding="utf-8")
    (tmp_path / "l.txt").write_text("2\n", encoding="utf-8")
    files = ("--text", tmp_path / "t.txt", "--labels", tmp_path / "l.txt")
    (tmp_path / "t.json").write_text("{}", encoding="utf-8")  # metadata beside a file that is not weights
    lone = tmp_path / "lone.safetensors"  # weights without the metadata training writes beside them
    save_file({"w": np.zeros(2, dtype=np.float32)}, str(lone))

    not_weights = invoke("sentiment", "eval", *files, "--weights", tmp_path / "t.txt")
    no_meta = invoke("sentiment", "eval", *files, "--weights", lone)

    assert not_weights.exit_code == 1 and "Traceback" not in not_weights.output
    assert "t.txt is not a weights file (safetensors" in not_weights.output
    assert no_meta.exit_code == 1 and "has no readable metadata lone.json beside it" in no_meta.output


def test_rescore_reclassifies_other_models_output_but_keeps_imported_labels(demo_dir, db_path, invoke, tiny_model):
    config = (demo_dir / "config.yaml").read_text(encoding="utf-8")
    (demo_dir / "config.yaml").write_text(config.replace("model: bundled", f"model: {tiny_model}"), encoding="utf-8")
    db = open_db(db_path)
    old = Classification("positive", (0.1, 0.1, 0.8), "old-model", "0")
    save_mentions(db, [Mention("jsonl", str(i), f"text {i}", NOW) for i in range(3)], NOW)
    save_mentions(db, [Mention("jsonl", "imported", "labelled at source", NOW, label="negative")], NOW)
    ids = [row[0] for row in db.execute("SELECT id FROM mentions WHERE provenance IS NULL ORDER BY id")]
    save_classifications(db, [ClassifiedMention(i, "en", old, "promoter") for i in ids], NOW)
    db.close()

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert result.exit_code == 0
    assert "3 mention(s) re-classified" in result.output
    db = open_db(db_path)
    rows = db.execute("SELECT model, provenance FROM mentions ORDER BY id").fetchall()
    assert rows == [(str(tiny_model), "model")] * 3 + [(None, "imported")]
    db.close()
    assert "0 mention(s)" in invoke("--db", db_path, "sentiment", "rescore").output


@pytest.mark.parametrize("text, complaint", [
    ("any update on my order? it was due on the 15th", True),  # a polite question
    ("@AcmeFoods my can of beans had a piece of glass in it", True),  # a defect stated flatly
    ("@AcmeHelp my card was charged twice for the same order", True),
    ("I love this, thank you so much!", False),
    ("@AcmeHelp hi, do you ship to Canada?", False),
])
def test_complaint_head_catches_complaints_whatever_their_tone(bundled, text, complaint):
    (result,) = bundled.classify([text])
    assert bundled.complaint_head
    assert (result.complaint >= 0.5) is complaint


def test_identical_texts_in_a_batch_get_identical_results(bundled):
    first, other, again = bundled.classify(["my order is late", "thanks a lot", "my order is late"])
    assert first == again and first != other


def test_rescore_fills_the_complaint_of_rows_classified_before_the_head(demo_dir, db_path, invoke, bundled):
    db = open_db(db_path)
    save_mentions(db, [Mention("jsonl", "1", "@AcmeFoods my card was charged twice for the same order", NOW)], NOW)
    (fresh,) = bundled.classify(["@AcmeFoods my card was charged twice for the same order"])
    without_head = Classification(fresh.label, fresh.probs, fresh.model, fresh.model_version)
    save_classifications(db, [ClassifiedMention(1, "en", without_head, "passive")], NOW)
    db.close()

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert "1 mention(s) re-classified" in result.output
    db = open_db(db_path)
    complaint, category = db.execute("SELECT complaint, category FROM mentions").fetchone()
    db.close()
    assert complaint >= 0.5 and category == "detractor"
    assert "0 mention(s)" in invoke("--db", db_path, "sentiment", "rescore").output


def test_unscored_mentions_are_rescored_once_a_model_reads_their_language(demo_dir, db_path, invoke, tiny_model):
    german = "Das Paket ist immer noch nicht angekommen, sehr enttäuschend."
    db = open_db(db_path)
    save_mentions(db, [Mention("jsonl", "1", german, NOW)], NOW)
    db.close()
    config = (demo_dir / "config.yaml").read_text(encoding="utf-8")
    (demo_dir / "config.yaml").write_text(config.replace("  model: bundled", f"  models: {{en: bundled, de: '{tiny_model}'}}"),
                                         encoding="utf-8")
    db = open_db(db_path)
    save_classifications(db, [ClassifiedMention(1, "de", None, "unscored")], NOW)
    db.close()

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert "1 mention(s) re-classified" in result.output
    db = open_db(db_path)
    assert db.execute("SELECT lang, model, category != 'unscored', complaint FROM mentions").fetchone() == (
        "de", str(tiny_model), 1, None)
    db.close()
    # A model without a complaint head leaves complaint null, and that is not stale.
    assert "0 mention(s)" in invoke("--db", db_path, "sentiment", "rescore").output


def test_a_rated_review_stored_unscored_is_rescored_once_a_model_reads_its_language(demo_dir, db_path, invoke,
                                                                                     tiny_model):
    german = "Das Paket ist immer noch nicht angekommen, sehr enttäuschend."
    db = open_db(db_path)
    save_mentions(db, [Mention("jsonl", "1", german, NOW, rating=2)], NOW)
    # Read without a model, as before `de` had one: the stars gave its category, so it is no `unscored`.
    save_classifications(db, [ClassifiedMention(1, "de", None, "detractor")], NOW)
    db.close()
    config = (demo_dir / "config.yaml").read_text(encoding="utf-8")
    models = f"  models: {{en: bundled, de: '{tiny_model}'}}"
    (demo_dir / "config.yaml").write_text(config.replace("  model: bundled", models), encoding="utf-8")

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert "1 mention(s) re-classified" in result.output
    db = open_db(db_path)
    assert db.execute("SELECT model, label IS NOT NULL, provenance FROM mentions").fetchone() == (
        str(tiny_model), 1, "model")
    db.close()


def test_onnx_export_is_calibrated_once_and_the_choice_cached(bundled):
    from brandpulse.sentiment.accel import PRECISIONS, cache_dir

    choices = [json.loads(p.read_text()) for p in (cache_dir() / "sentiment").glob(f"*{bundled.version.split('+')[1]}*.json")]
    assert choices and all(c["chosen"] in PRECISIONS and set(c["texts_per_s"]) == set(PRECISIONS) for c in choices)


def test_batches_run_in_parallel_sessions_give_the_results_of_one_at_a_time(bundled):
    import os

    from brandpulse.sentiment.accel import MAX_SESSIONS

    texts = [f"order {n} arrived {'late again, refund me' if n % 3 else 'early, thanks!'} #{n}" for n in range(100)]
    pool = bundled._forward
    sessions = pool.parallel
    assert sessions == min(os.cpu_count() or 1, MAX_SESSIONS)  # one single-threaded ONNX session per core

    together = bundled.classify(texts)  # 4 batches of 32, up to `parallel` at once
    pool.parallel = 1
    try:
        one_at_a_time = bundled.classify(texts)
    finally:
        pool.parallel = sessions
    assert together == one_at_a_time


def _models_config(folder, models: str) -> None:
    config = (folder / "config.yaml").read_text(encoding="utf-8")
    (folder / "config.yaml").write_text(config.replace("  model: bundled", f"  models: {models}\n  model: bundled"),
                                        encoding="utf-8")


FRENCH = "Le service client ne répond jamais à mes messages depuis deux semaines."


def test_the_star_entry_reads_every_language_without_its_own_model(demo_dir, invoke, tmp_path):
    stars = _tiny(tmp_path / "stars", STAR_LABELS)
    _models_config(demo_dir, f"{{en: bundled, '*': '{stars}'}}")

    result = invoke("classify", input=f"any update on my order? it was due on the 15th\n{GERMAN}\n{FRENCH}\n")

    assert result.exit_code == 0, result.output
    english, german, french = [json.loads(line) for line in result.stdout.splitlines()]
    # English goes to the bundled model (it gives a complaint probability), the others to the star model (none).
    assert english["lang"] == "en" and english["complaint"] is not None
    assert [(r["lang"], r["label"] is not None, r["complaint"]) for r in (german, french)] == [("de", True, None),
                                                                                               ("fr", True, None)]
    check = invoke("check", "--format", "json")
    names = [o["name"] for o in json.loads(check.output[check.output.index("["):]) if o["name"].startswith("model")]
    assert names == ["model en", "model other languages"]


def test_rescore_scores_unscored_mentions_once_a_star_entry_covers_them(demo_dir, db_path, invoke, tmp_path):
    lines = "".join(json.dumps({"source": "feed", "id": str(n), "brand": "Pinebrook Coffee", "text": text,
                                "created_at": "2026-03-02T10:00:00Z"}) + "\n" for n, text in enumerate([GERMAN, FRENCH]))
    assert invoke("--db", db_path, "ingest", "-", input=lines).exit_code == 0  # English only: both unscored
    stars = _tiny(tmp_path / "stars", STAR_LABELS)
    _models_config(demo_dir, f"{{en: bundled, '*': '{stars}'}}")

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert result.exit_code == 0, result.output
    assert "2 mention(s) re-classified" in result.output
    db = open_db(db_path)
    rows = db.execute("SELECT lang, model, category != 'unscored' FROM mentions ORDER BY id").fetchall()
    db.close()
    assert rows == [("de", str(stars), 1), ("fr", str(stars), 1)]


def test_models_config_takes_a_star_but_no_other_non_language_key(demo_dir, invoke):
    _models_config(demo_dir, "{en: bundled, '**': bundled}")

    result = invoke("classify", input="hello\n")

    assert result.exit_code == 2 and "'**' is not an ISO 639-1 language code" in result.output


def test_a_model_folder_without_config_json_is_named_as_such(tmp_path):
    (tmp_path / "german").mkdir()

    with pytest.raises(SentimentError, match=r"german': a folder without config.json \(a local model is a folder"):
        load_classifier(str(tmp_path / "german"), device="cpu")


def test_rescore_moves_a_language_to_the_model_now_named_for_it(demo_dir, db_path, invoke, tmp_path):
    lines = json.dumps({"source": "feed", "id": "1", "brand": "Pinebrook Coffee", "text": GERMAN,
                        "created_at": "2026-03-02T10:00:00Z"}) + "\n"
    stars, german = _tiny(tmp_path / "stars", STAR_LABELS), _tiny(tmp_path / "de", {0: "NEG", 1: "NEU", 2: "POS"})
    config = (demo_dir / "config.yaml").read_text(encoding="utf-8")
    _models_config(demo_dir, f"{{en: bundled, '*': '{stars}'}}")
    assert invoke("--db", db_path, "ingest", "-", input=lines).exit_code == 0  # read by the "*" model
    (demo_dir / "config.yaml").write_text(config, encoding="utf-8")
    _models_config(demo_dir, f"{{en: bundled, de: '{german}', '*': '{stars}'}}")

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert "1 mention(s) re-classified" in result.output, result.output
    db = open_db(db_path)
    assert db.execute("SELECT lang, model FROM mentions").fetchone() == ("de", str(german))
    db.close()


def test_check_loads_several_hugging_face_models_at_once(demo_dir, tmp_path):
    import os
    import subprocess
    import sys

    labels = {0: "negative", 1: "neutral", 2: "positive"}
    folders = {lang: _tiny(tmp_path / lang, labels) for lang in ("de", "fr", "es", "it")}
    _models_config(demo_dir, "{" + ", ".join(f"{lang}: '{path}'" for lang, path in folders.items()) + "}")

    # A fresh interpreter, as a user runs it: transformers not imported yet when the probes start together.
    result = subprocess.run([sys.executable, "-m", "brandpulse", "check", "--format", "json"], capture_output=True,
                            text=True, env={**os.environ, "BRANDPULSE_CONFIG": str(demo_dir / "config.yaml")})

    outcomes = json.loads(result.stdout[result.stdout.index("["):])
    models = {o["name"]: o["reason"] for o in outcomes if o["name"].startswith("model")}
    assert models == {f"model {lang}": None for lang in folders}, result.stdout


def test_a_local_model_retrained_in_place_makes_its_rows_stale(demo_dir, db_path, invoke, tmp_path):
    import torch
    from transformers import AutoModelForSequenceClassification

    german = _tiny(tmp_path / "de", {0: "negative", 1: "neutral", 2: "positive"})
    _models_config(demo_dir, f"{{en: bundled, de: '{german}'}}")
    lines = json.dumps({"source": "feed", "id": "1", "brand": "Pinebrook Coffee", "text": GERMAN,
                        "created_at": "2026-03-02T10:00:00Z"}) + "\n"
    assert invoke("--db", db_path, "ingest", "-", input=lines).exit_code == 0
    network = AutoModelForSequenceClassification.from_pretrained(german)
    with torch.no_grad():
        network.classifier.bias.add_(1.0)  # fine-tuned again, saved over the old weights
    network.save_pretrained(german)

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert "1 mention(s) re-classified" in result.output, result.output
    assert "0 mention(s)" in invoke("--db", db_path, "sentiment", "rescore").output


def test_a_model_folder_without_its_tokenizer_files_is_refused_not_read_as_all_unknown(tmp_path):
    folder = _tiny(tmp_path / "de", {0: "NEG", 1: "NEU", 2: "POS"})
    for path in folder.glob("tokenizer*"):  # a partial copy: config.json and the weights alone
        path.unlink()

    with pytest.raises(SentimentError, match=r"de': its tokenizer reads every word as unknown.*tokenizer.json"):
        load_classifier(str(folder), device="cpu")


def test_a_long_text_fits_the_windows_of_a_model_with_fewer_positions_than_max_length(tiny_model):
    # The tiny network places 64 tokens; its tokenizer (MiniLM's) says 512 and sentiment.max_length is 128.
    classifier = load_classifier(str(tiny_model), device="cpu", max_length=128)

    (long, short) = classifier.classify(["word " * 2000 + "finally", "short"])

    assert long.label in LABELS and short.label in LABELS


def test_rescore_reclassifies_the_other_languages_when_one_languages_model_cannot_be_loaded(demo_dir, db_path, invoke,
                                                                                             tiny_model, tmp_path):
    _models_config(demo_dir, f"{{en: '{tiny_model}', de: '{tmp_path / 'missing-german'}'}}")
    db = open_db(db_path)
    old = Classification("positive", (0.1, 0.1, 0.8), "old-model", "0")
    save_mentions(db, [Mention("jsonl", "1", "great coffee", NOW), Mention("jsonl", "2", GERMAN, NOW)], NOW)
    save_classifications(db, [ClassifiedMention(1, "en", old, "promoter"), ClassifiedMention(2, "de", old, "promoter")],
                         NOW)
    db.close()

    result = invoke("--db", db_path, "sentiment", "rescore")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"1 mention(s) re-classified with en: {tiny_model}" in result.output
    assert "1 text(s) in 'de' not classified: sentiment model" in result.output and "missing-german" in result.output
    db = open_db(db_path)
    assert db.execute("SELECT model FROM mentions ORDER BY id").fetchall() == [(str(tiny_model),), ("old-model",)]
    db.execute("DELETE FROM mentions WHERE id = 2")
    db.commit()
    db.close()
    again = invoke("--db", db_path, "sentiment", "rescore")  # no German mention is due, yet its model is broken
    assert again.exit_code == 1 and "the model for 'de' cannot be loaded: sentiment model" in again.output
