import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from brandpulse.store.queries import MENTION_COLUMNS
from tests.store_seed import mention, seed

METADATA = Path(__file__).resolve().parent.parent / "datasette-metadata.yml"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
PARAMS = {"search": {"q": "refund"}}


@pytest.fixture
def metadata():
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["brandpulse"]


@pytest.fixture
def conn(tmp_path):
    today = NOW.replace(hour=0, minute=0, second=0)
    path = seed(tmp_path / "brandpulse.db", [
        mention(1, "double charged, I want a refund", today + (NOW - today) / 2, "negative"),
        mention(2, "refund arrived, thanks", today - timedelta(days=1), "positive"),
        mention(3, "slow delivery", today - timedelta(days=2), "negative", brand="Northwind"),
    ])
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


def test_metadata_describes_only_tables_and_columns_that_exist(metadata, conn):
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}

    assert set(metadata["tables"]) <= tables
    assert set(metadata["tables"]["mentions"]["columns"]) == set(MENTION_COLUMNS)
    for table, spec in metadata["tables"].items():
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert set(spec.get("columns", {})) <= columns, table


def test_negative_today_lists_only_todays_negative_mentions(metadata, conn):
    rows = conn.execute(metadata["queries"]["negative_today"]["sql"]).fetchall()

    assert [r["text"] for r in rows] == ["double charged, I want a refund"]


def test_nss_by_day_gives_one_row_per_brand_and_day(metadata, conn):
    rows = [dict(r) for r in conn.execute(metadata["queries"]["nss_by_day"]["sql"])]

    assert [(r["brand"], r["total"], r["nss"]) for r in rows] == [
        ("Northwind", 1, -100.0), ("Pinebrook Coffee", 1, 100.0), ("Pinebrook Coffee", 1, -100.0)]


def test_search_query_uses_the_full_text_index(metadata, conn):
    rows = conn.execute(metadata["queries"]["search"]["sql"], PARAMS["search"]).fetchall()

    assert [r["text"] for r in rows] == ["refund arrived, thanks", "double charged, I want a refund"]


def test_metadata_names_every_column_of_the_mentions_key(metadata, conn):
    key = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'idx_mentions_key'").fetchone()[0]
    columns = metadata["tables"]["mentions"]["columns"]

    # Was: "unique together with source", while a post naming two brands is stored once for each.
    assert all(name in key for name in ("source", "external_id", "brand"))
    assert "with source and brand" in columns["external_id"] and "once for each" in columns["brand"]
