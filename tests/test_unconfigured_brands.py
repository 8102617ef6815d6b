from datetime import datetime, timedelta, timezone

import pytest

from brandpulse.collectors.base import Mention
from brandpulse.store.stats import Only, unconfigured_brands
from tests.conftest import write_config
from tests.store_seed import mention, seed

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A config naming only Acme, and a store holding Acme, Pinebrook Coffee, Northwind and brandless mentions."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRANDPULSE_CONFIG", raising=False)
    monkeypatch.delenv("BRANDPULSE_DB", raising=False)
    write_config(tmp_path / "config.yaml", "brands: [{name: Acme, keywords: [acme]}]\n")
    old = NOW - timedelta(days=20)
    seed(tmp_path / "brandpulse.db", [
        mention(1, "acme is great", NOW - timedelta(hours=2), "positive", brand="Acme"),
        *[mention(10 + i, f"pinebrook {i}", NOW - timedelta(hours=3), "negative") for i in range(3)],
        mention(20, "northwind lost my bag", old, "negative", brand="Northwind"),
        Mention("jsonl", "30", "about nobody", NOW - timedelta(hours=1), brand=None, label="neutral"),
    ])
    return tmp_path


def test_the_store_counts_mentions_of_brands_outside_the_configured_ones(setup):
    from brandpulse.store import open_db

    db = open_db(setup / "brandpulse.db", read_only=True)
    try:
        assert unconfigured_brands(db, ["Acme"]) == {"Pinebrook Coffee": 3, None: 1, "Northwind": 1}
        assert unconfigured_brands(db, ["Acme"], since=NOW - timedelta(days=1)) == {"Pinebrook Coffee": 3, None: 1}
        assert unconfigured_brands(db, ["Acme", "Pinebrook Coffee", "Northwind"], until=NOW - timedelta(days=2)) == {}
    finally:
        db.close()


def test_the_unconfigured_counts_take_the_stats_filters_on_both_backends(store_target):
    from brandpulse.store import open_db

    seed(store_target, [
        mention(1, "acme is great", NOW - timedelta(hours=2), "positive", brand="Acme"),
        mention(2, "pinebrook in german", NOW - timedelta(hours=3), "negative", lang="de"),
        mention(3, "pinebrook on reddit", NOW - timedelta(hours=3), "positive", source="reddit", lang="en-GB"),
        mention(4, "northwind on reddit", NOW - timedelta(hours=3), "negative", brand="Northwind", source="Reddit"),
    ])
    db = open_db(store_target, read_only=True)
    try:
        assert unconfigured_brands(db, ["Acme"], only=Only(("reddit", "Reddit"))) == {
            "Northwind": 1, "Pinebrook Coffee": 1}
        assert unconfigured_brands(db, ["Acme"], only=Only(lang="de")) == {"Pinebrook Coffee": 1}
        assert unconfigured_brands(db, ["Acme"], only=Only(lang="en", category="promoter")) == {"Pinebrook Coffee": 1}
        assert unconfigured_brands(db, ["Acme"], only=Only(category="passive")) == {}
    finally:
        db.close()


@pytest.mark.parametrize("args", [("--source", "jsonl"), ("--lang", "de"), ("--category", "promoter")])
def test_stats_note_counts_only_the_other_brands_mentions_its_filters_select(setup, invoke, args):
    result = invoke("stats", *args, "--format", "csv")

    # Was: 'Pinebrook Coffee' (3 mentions), 'Northwind' (1 mention) whatever --source or --lang selected.
    assert result.exit_code == 0
    assert "Pinebrook Coffee" not in result.stderr and "Northwind" not in result.stderr
    assert ("1 mention(s) in the store belong to no brand" in result.stderr) == (args[1] == "jsonl")


def test_stats_shows_configured_brands_and_names_the_others_on_stderr(setup, invoke):
    result = invoke("stats", "--format", "csv")

    assert result.exit_code == 0
    assert [line.split(",")[0] for line in result.stdout.splitlines()[1:]] == ["Acme"]
    assert "the store also holds 'Pinebrook Coffee' (3 mentions), 'Northwind' (1 mention)" in result.stderr
    assert "Pass --brand NAME" in result.stderr and "1 mention(s) in the store belong to no brand" in result.stderr
    assert "leaves them out (--no-brand counts them)" in result.stderr


def test_stats_of_an_unconfigured_brand_asked_by_name_shows_it_without_a_note(setup, invoke):
    result = invoke("stats", "--brand", "Northwind", "--format", "csv")

    assert result.stdout.splitlines()[1].startswith("Northwind,") and result.stderr == ""


def test_stats_with_only_the_configured_brand_in_the_window_says_nothing_more(setup, invoke):
    (setup / "config.yaml").write_text("brands: [{name: Acme, keywords: [acme]}, {name: Pinebrook Coffee, "
                                       "keywords: [pinebrook]}]\n", encoding="utf-8")

    result = invoke("stats", "--since", "2d", "--format", "csv")

    assert "Northwind" not in result.stderr and "belong to no brand" in result.stderr
    assert {line.split(",")[0] for line in result.stdout.splitlines()[1:]} == {"Acme", "Pinebrook Coffee"}


def test_stats_without_a_config_file_shows_every_brand_in_the_store(setup, invoke):
    (setup / "config.yaml").unlink()

    result = invoke("--db", setup / "brandpulse.db", "stats", "--format", "csv")

    assert result.stderr == ""
    assert {line.split(",")[0] for line in result.stdout.splitlines()[1:]} >= {"Acme", "Pinebrook Coffee", "Northwind"}


def test_backtest_names_the_brands_in_the_window_it_does_not_evaluate(setup, invoke):
    result = invoke("alerts", "backtest", "--since", "1d")

    assert result.exit_code == 0 and result.stdout == ""
    assert "alerts backtest covers the brands configured in config.yaml" in result.stderr
    assert "'Pinebrook Coffee' (3 mentions)" in result.stderr and "Northwind" not in result.stderr
    assert "Add them under `brands:`" in result.stderr


def test_backtest_of_one_configured_brand_adds_no_note(setup, invoke):
    result = invoke("alerts", "backtest", "--since", "1d", "--brand", "Acme")

    assert result.exit_code == 0 and result.stderr == ""
