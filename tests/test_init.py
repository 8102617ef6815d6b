import json

import pytest

from brandpulse.config import load_config
from brandpulse.factory import CREDENTIALS
from tests.local_http import Reply


@pytest.fixture
def empty_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("BRANDPULSE_CONFIG", "BRANDPULSE_DB", *CREDENTIALS["twitter"], *CREDENTIALS["reddit"]):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_init_writes_a_commented_config_that_loads_with_the_brand_and_chosen_collectors(empty_dir, invoke):
    result = invoke("init", "--brand", 'Acme: "Rockets" #1', "--keywords", "acme, @acme ,#acme", "--twitter",
                    "--reddit", "rockets,r/space", "--feed", "https://reviews.example.com/acme.atom",
                    "--email", "ops@acme.example")

    assert result.exit_code == 0, result.output
    text = (empty_dir / "config.yaml").read_text(encoding="utf-8")
    assert text.startswith("# brandpulse configuration") and text.count("#") > 20
    config = load_config(empty_dir / "config.yaml")
    assert [(b.name, b.keywords) for b in config.brands] == [('Acme: "Rockets" #1', ["acme", "@acme", "#acme"])]
    assert [c.type for c in config.collectors] == ["twitter", "reddit", "feed"]
    assert config.collectors[1].subreddits == ["rockets", "space"]
    assert config.collectors[2].url == "https://reviews.example.com/acme.atom"
    assert config.recipients('Acme: "Rockets" #1', "alerts") == ["ops@acme.example"]
    assert config.recipients(None, "digest") == ["ops@acme.example"]
    assert config.store.path == empty_dir / "brandpulse.db"
    assert config.sentiment.complaints_are_detractors is True


def test_init_config_shows_per_language_models_in_a_line_that_loads_once_uncommented(empty_dir, invoke):
    assert invoke("init", "--brand", "Acme").exit_code == 0
    path = empty_dir / "config.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  # models: {en: bundled, de:" in text and "complaints_are_detractors: true" in text

    path.write_text(text.replace("  # models:", "  models:"), encoding="utf-8")

    assert load_config(path).sentiment.models == {"en": "bundled", "de": "/models/german-sentiment"}


def test_init_prints_the_environment_variables_the_chosen_collectors_need(empty_dir, invoke):
    result = invoke("init", "--brand", "Acme", "--twitter", "--reddit", "all")

    for variable in (*CREDENTIALS["twitter"], *CREDENTIALS["reddit"]):
        assert f"export {variable}=" in result.output
    assert "TWITTER_BEARER_TOKEN=" not in (empty_dir / "config.yaml").read_text(encoding="utf-8")


def test_init_with_only_a_feed_asks_for_no_credentials_and_keywords_default_to_the_brand(empty_dir, invoke):
    result = invoke("init", "--brand", "Acme", "--feed", "http://127.0.0.1:8/feed")

    assert "export" not in result.output and "collectors: feed" in result.output
    assert load_config(empty_dir / "config.yaml").brands[0].keywords == ["Acme"]


def test_init_writes_where_config_points(empty_dir, invoke):
    (empty_dir / "etc").mkdir()

    result = invoke("--config", empty_dir / "etc" / "mine.yaml", "init", "--brand", "Acme")

    assert result.exit_code == 0 and load_config(empty_dir / "etc" / "mine.yaml").collectors == []
    assert not (empty_dir / "config.yaml").exists()


def test_init_refuses_to_overwrite_without_force_and_keeps_the_file(empty_dir, invoke):
    (empty_dir / "config.yaml").write_text("mine: true\n", encoding="utf-8")

    refused = invoke("init", "--brand", "Acme")
    assert refused.exit_code == 1 and "config.yaml already exists; pass --force" in refused.output
    assert (empty_dir / "config.yaml").read_text(encoding="utf-8") == "mine: true\n"

    forced = invoke("init", "--brand", "Acme", "--force")
    assert forced.exit_code == 0 and load_config(empty_dir / "config.yaml").brands[0].name == "Acme"
    assert [p.name for p in empty_dir.iterdir()] == ["config.yaml"]


@pytest.mark.parametrize("args, message", [
    (["--brand", "  "], "the brand name must not be empty"),
    (["--brand", "Acme", "--keywords", " , "], "holds no keyword"),
    (["--brand", "Acme", "--feed", "ftp://example.com/feed"], "is not an http(s) URL"),
    (["--brand", "Acme", "--feed", "https:///feed.atom"], "is not an http(s) URL"),
    (["--brand", "Acme", "--reddit", "no spaces allowed"], "not a subreddit name"),
    (["--brand", "Acme", "--email", "nobody"], "is not an email address"),
    (["--brand", "Acme", "--feed", "https://me:pa55word@example.com/feed"], "must not contain a password"),
    (["--brand", "Acme", "--feed", "https://example.com/feed?password=pa55word"], "must not contain a password"),
    (["--brand", "Acme", "--feed", "https://[::1/feed"], "is not an http(s) URL"),
    ([], "Missing option '--brand'"),
])
def test_init_bad_arguments_are_usage_errors_and_write_nothing(empty_dir, invoke, args, message):
    result = invoke("init", *args)

    assert result.exit_code == 2 and message in result.output
    assert list(empty_dir.iterdir()) == []


@pytest.mark.slow
def test_init_config_is_accepted_as_written_by_check_run_once_and_status(empty_dir, invoke, server):
    server.route("/forum.rss", Reply.file("feed_forum.rss", "application/rss+xml"))
    invoke("init", "--brand", "Pinebrook", "--keywords", "pinebrook", "--twitter", "--feed", f"{server.url}/forum.rss")

    check = invoke("check")
    assert check.exit_code == 1 and not (empty_dir / "brandpulse.db").exists()
    lines = check.stdout.splitlines()
    assert [line.split(":")[0].split(maxsplit=1) for line in lines[:3]] == [
        ["twitter", "missing credentials"], ["feed", "ok"],
        ["email", "ok (no one receives the alerts of Pinebrook"]]  # written without --email
    assert lines[3].split(maxsplit=2)[:2] == ["model", "en"] and "ok (brandpulse-minilm-tweeteval" in lines[3]

    run = invoke("run", "--once")
    status = invoke("status", "--format", "json")

    assert run.exit_code == 0, run.output
    assert "3 new" in run.output  # the forum's dated posts that say pinebrook; the undated one is skipped
    report = json.loads(status.stdout)
    feed = next(c for c in report["collectors"] if c["name"] == "feed:Pinebrook")
    assert feed["last_outcome"] == "ok" and feed["items"] == 3
    assert "TWITTER_BEARER_TOKEN" in report["disabled_collectors"]["twitter"]
    assert report["backlog"]["unclassified"] == 0
