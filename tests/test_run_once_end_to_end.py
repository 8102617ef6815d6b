import email
import sqlite3
from email import policy

import pytest


@pytest.mark.slow
def test_run_once_stores_classified_demo_mentions_and_writes_the_spike_alert_email(demo_dir, invoke):
    result = invoke("run", "--once")

    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(demo_dir / "brandpulse.db")
    total, unclassified = conn.execute("SELECT count(*), sum(category IS NULL) FROM mentions").fetchone()
    assert total > 300 and unclassified == 0
    categories = dict(conn.execute("SELECT category, count(*) FROM mentions GROUP BY category").fetchall())
    assert set(categories) == {"promoter", "passive", "detractor"}
    assert conn.execute("SELECT count(*) FROM mentions WHERE text LIKE '%Pinebrook Park%'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM alerts WHERE kind = 'spike'").fetchone()[0] == 1
    storm_rows = conn.execute(
        "SELECT count(*) FROM mentions WHERE category = 'detractor' AND text LIKE '%charge%'"
    ).fetchone()[0]
    assert storm_rows >= 10

    emails = list((demo_dir / "outbox").glob("*.eml"))
    assert len(emails) == 1
    message = email.message_from_bytes(emails[0].read_bytes(), policy=policy.default)
    assert "Negative spike: Pinebrook Coffee" in message["Subject"]
    assert message["To"] == "support@example.com"
    assert "double" in message.get_body(("plain",)).get_content()
    assert message.get_body(("html",)) is not None
    assert "1 fired" in result.output and "outbox" in result.output
    # The summary's columns (promoters, passives, detractors, unscored) add up to the brand's mentions; its
    # complaints are those the head reads that are no promoters, the storm's among them.
    [row] = [line.split() for line in result.output.splitlines() if line.startswith("Pinebrook Coffee")]
    mentions, promoters, passives, detractors, unscored, complaints = map(int, row[2:8])
    assert mentions == total == promoters + passives + detractors + unscored
    assert complaints == conn.execute(
        "SELECT count(*) FROM mentions WHERE category <> 'promoter' AND complaint >= 0.5").fetchone()[0] >= 10


@pytest.mark.slow
def test_second_run_once_adds_no_duplicates_and_no_second_alert(demo_dir, invoke):
    invoke("run", "--once")
    result = invoke("run", "--once")

    assert "0 new" in result.output
    conn = sqlite3.connect(demo_dir / "brandpulse.db")
    assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == conn.execute(
        "SELECT count(DISTINCT source || ':' || external_id) FROM mentions").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1
    assert len(list((demo_dir / "outbox").glob("*.eml"))) == 1


@pytest.mark.slow
def test_mentions_an_older_model_classified_are_named_with_the_command_that_updates_them(demo_dir, invoke):
    first = invoke("run", "--once")
    with sqlite3.connect(demo_dir / "brandpulse.db") as conn:  # as a store classified before an upgrade
        conn.execute("UPDATE mentions SET model_version = 'an-older-one', complaint = NULL WHERE id <= 7")
    second = invoke("run", "--once")
    rescored = invoke("sentiment", "rescore")
    third = invoke("run", "--once")

    assert "Stale:" not in first.output and rescored.exit_code == 0, rescored.output
    assert "Stale:      7 stored mention(s) were classified by another model or version" in second.output
    assert "Stale:" not in third.output


@pytest.mark.slow
def test_the_outbox_folder_set_in_the_environment_replaces_the_one_beside_the_config(demo_dir, invoke, monkeypatch):
    # A service's config folder is read-only (/etc/brandpulse): its emails go to its state directory instead.
    (demo_dir / "etc").mkdir()
    (demo_dir / "config.yaml").rename(demo_dir / "etc" / "config.yaml")
    monkeypatch.setenv("BRANDPULSE_CONFIG", str(demo_dir / "etc" / "config.yaml"))
    monkeypatch.setenv("BRANDPULSE_OUTBOX_DIR", "state/outbox")  # relative to the working directory, as --db is

    result = invoke("run", "--once")

    assert result.exit_code == 0, result.output
    assert len(list((demo_dir / "state" / "outbox").glob("*.eml"))) == 1
    assert not (demo_dir / "etc" / "outbox").exists() and not (demo_dir / "outbox").exists()
    assert f"{demo_dir / 'state' / 'outbox'}" in result.output


@pytest.mark.slow
def test_run_once_exits_1_when_its_alert_could_not_be_delivered_and_keeps_it_for_a_retry(demo_dir, invoke,
                                                                                         monkeypatch):
    (demo_dir / "not-a-folder").write_text("a file where the outbox folder should be")
    monkeypatch.setenv("BRANDPULSE_OUTBOX_DIR", str(demo_dir / "not-a-folder" / "outbox"))

    result = invoke("run", "--once")

    # Was: exit 0, so cron told nobody that the storm's alert went nowhere.
    assert result.exit_code == 1 and "1 fired" in result.output
    assert "Error: 1 message(s) not delivered (" in result.output
    assert result.output.rstrip().endswith("they wait in the outbox for a retry")
    outbox = sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT status FROM outbox").fetchall()
    assert outbox == [("pending",)]


@pytest.mark.slow
def test_run_once_names_an_alerts_window_on_the_digest_zones_wall_clock_as_its_email_does(demo_dir, invoke):
    from brandpulse.alerts.base import from_iso, wall_clock

    config = demo_dir / "config.yaml"
    config.write_text(config.read_text().replace("  timezone: UTC ", "  timezone: America/Los_Angeles "))

    result = invoke("run", "--once")

    (start,) = sqlite3.connect(demo_dir / "brandpulse.db").execute("SELECT window_start FROM alerts").fetchone()
    (eml,) = (demo_dir / "outbox").glob("*.eml")
    body = email.message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    shown = wall_clock(from_iso(start), "America/Los_Angeles")  # '2026-12-05 08:00 America/Los_Angeles'
    # Was: 'spike Pinebrook Coffee 2026-12-05 16:00Z: ...' beside an email saying 08:00 America/Los_Angeles.
    assert f"  spike Pinebrook Coffee {shown}: 18 detractor mentions" in result.output
    assert f"Window: {shown.removesuffix(' America/Los_Angeles')} to " in body
