"""A configured sentiment model that cannot be loaded holds up only its own language (real SQLite stores, the bundled
model for English, a German model whose folder is missing), is retried at the next pass and is found by `check`."""

import json

import pytest

from brandpulse.sentiment import load_classifier
from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.language import LanguageDetector
from brandpulse.sentiment.router import LanguageRouter
from brandpulse.store import open_db
from tests.conftest import write_config

GERMAN = ["Das Paket ist immer noch nicht angekommen, sehr enttäuschend.",
          "Der Kundendienst antwortet seit zwei Wochen nicht auf meine Nachrichten.",
          "Die Maschine ist nach drei Tagen kaputt gegangen, ich will mein Geld zurück."]
ENGLISH = ["acme my order never arrived and nobody answers", "acme thanks for the quick help today"]
MISSING = "./no-such-model"


def _config(folder, de_model: str):
    return write_config(folder / "config.yaml", "brands: [{name: Acme, keywords: [acme]}]\n"
                                                f"sentiment: {{models: {{en: bundled, de: '{de_model}'}}}}\n")


def _mentions(texts) -> str:
    return "".join(json.dumps({"source": "feed", "id": str(n), "brand": "Acme", "created_at": "2026-03-02T10:00:00Z",
                               "text": text}) + "\n" for n, text in enumerate(texts))


def _rows(db_path):
    db = open_db(db_path)
    try:
        return db.execute("SELECT text, lang, label, classified_at IS NOT NULL FROM mentions ORDER BY id").fetchall()
    finally:
        db.close()


@pytest.mark.slow
def test_a_model_that_cannot_load_holds_up_only_its_language_until_it_is_fixed(tmp_path, monkeypatch, invoke):
    monkeypatch.chdir(tmp_path)
    # Batches of two: the German mentions, oldest, fill whole batches, and the English ones behind them still pass.
    monkeypatch.setattr("brandpulse.pipeline.CLASSIFY_BATCH", 2)
    _config(tmp_path, MISSING)
    db_path = tmp_path / "brandpulse.db"

    result = invoke("--db", db_path, "ingest", "-", input=_mentions(GERMAN + ENGLISH))

    assert result.exit_code == 1
    assert "5 new, 0 duplicate, 0 invalid line(s) skipped, 2 classified" in result.stdout
    looked_at = tmp_path / MISSING  # a path, beside the config file
    assert (f"3 text(s) in 'de' left unclassified, kept for the next pass: sentiment model '{looked_at}': not a folder"
            in result.stderr)
    rows = _rows(db_path)
    assert [(lang, label is not None, done) for _, lang, label, done in rows[3:]] == [("en", True, 1), ("en", True, 1)]
    assert [(label, done) for _, _, label, done in rows[:3]] == [(None, 0)] * 3  # kept, not marked unscored
    status = json.loads(invoke("--db", db_path, "status", "--format", "json").output)
    assert status["backlog"]["unclassified"] == 3

    _config(tmp_path, "bundled")  # the operator fixes the model; the next pass classifies what was left
    again = invoke("--db", db_path, "run", "--once", "--only", "classify")

    assert again.exit_code == 0, again.output
    assert [(lang, label is not None, done) for _, lang, label, done in _rows(db_path)[:3]] == [("de", True, 1)] * 3


@pytest.mark.slow
def test_run_once_still_fires_alerts_and_records_the_classify_error(demo_dir, invoke):
    config = (demo_dir / "config.yaml").read_text(encoding="utf-8")
    (demo_dir / "config.yaml").write_text(
        config.replace("  model: bundled", f"  models: {{en: bundled, de: '{MISSING}'}}\n  model: bundled"),
        encoding="utf-8")
    german = json.dumps({"source": "feed", "id": "de-1", "brand": "Pinebrook Coffee", "text": GERMAN[0],
                         "created_at": "2026-03-02T10:00:00Z"})
    assert invoke("ingest", "--no-classify", "-", input=german + "\n").exit_code == 0

    result = invoke("run", "--once")

    assert result.exit_code == 1
    assert "420 classified, 1 waiting to be classified" in result.stdout
    assert "Alerts:     1 fired" in result.stdout and len(list((demo_dir / "outbox").glob("*-alert-1.eml"))) == 1
    assert "1 text(s) in 'de' left unclassified" in result.stderr
    status = json.loads(invoke("status", "--format", "json").output)
    (classify,) = [job for job in status["jobs"] if job["job"] == "classify"]
    assert "left unclassified" in classify["last_error"] and status["backlog"]["unclassified"] == 1


def test_check_loads_each_configured_model(tmp_path, monkeypatch, invoke):
    monkeypatch.chdir(tmp_path)
    _config(tmp_path, MISSING)

    result = invoke("check", "--format", "json")

    outcomes = {o["name"]: o for o in json.loads(result.output[result.output.index("["):])}
    assert result.exit_code == 1
    assert outcomes["model en"]["ok"] and outcomes["model en"]["message"].startswith("brandpulse-minilm-tweeteval ")
    assert not outcomes["model de"]["ok"] and "not a folder" in outcomes["model de"]["message"]


def test_classify_names_the_language_whose_model_failed(tmp_path, monkeypatch, invoke):
    monkeypatch.chdir(tmp_path)
    _config(tmp_path, MISSING)

    english = invoke("classify", input="\n".join(ENGLISH) + "\n")  # the German model is never needed
    german = invoke("classify", input=f"{ENGLISH[0]}\n{GERMAN[0]}\n{ENGLISH[1]}\n")

    assert english.exit_code == 0 and [json.loads(line)["lang"] for line in english.stdout.splitlines()] == ["en"] * 2
    assert german.exit_code == 1 and "1 text(s) in 'de' not classified: sentiment model" in german.stderr
    # The English lines around it are still classified, and the German one keeps its place with its error.
    rows = [json.loads(line) for line in german.stdout.splitlines()]
    assert [(r["lang"], r["label"] is not None) for r in rows] == [("en", True), ("de", False), ("en", True)]
    assert rows[1]["category"] is None and "not a folder" in rows[1]["error"]


def test_a_model_that_failed_is_loaded_again_after_retry_failed():
    attempts = []

    def load(spec):
        attempts.append(spec)
        if len(attempts) == 1:
            raise SentimentError("not in the offline cache yet")
        return load_classifier()

    router = LanguageRouter({"de": "some/german-model"}, load, LanguageDetector())

    first = router.classify([GERMAN[0], GERMAN[1]])
    second = router.classify([GERMAN[0]])  # no second attempt within the same pass
    router.retry_failed()
    third = router.classify([GERMAN[0]])

    assert [(s.lang, s.classification, s.error) for s in first + second] == [
        ("de", None, "not in the offline cache yet")] * 3
    assert attempts == ["some/german-model"] * 2
    assert third[0].error is None and third[0].classification.label in ("negative", "neutral", "positive")


def test_a_damaged_model_folder_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch, invoke):
    from tests.test_sentiment_model import _tiny

    folder = _tiny(tmp_path / "german", {0: "negativ", 1: "neutral", 2: "positiv"})
    weights = next(folder.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:1000])  # cut short, as by a full disk
    monkeypatch.chdir(tmp_path)
    _config(tmp_path, str(folder))

    result = invoke("classify", input=GERMAN[0] + "\n")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"1 text(s) in 'de' not classified: cannot load sentiment model '{folder}': SafetensorError" in result.stderr
