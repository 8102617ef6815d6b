import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest

from brandpulse.alerts.base import Alert
from brandpulse.alerts.chat import ChatMessage
from brandpulse.channels import queue_chat, resolve_channels
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.store import transaction
from tests.alert_streams import CONFIG, HOUR, START, stream
from tests.conftest import write_config
from tests.local_http import LocalServer, Reply
from tests.test_alerts_pipeline import STORM_HOUR
from tests.test_hardening_outages import _free_port

NOW = START + 5 * 24 * HOUR
OK = Reply(200, b"{}", {"Content-Type": "application/json"})
CHANNELS = """
channels:
  - {name: support, url_env: BP_TEST_SUPPORT_URL, kinds: [alerts, health]}
  - {name: other-brand, url_env: BP_TEST_OTHER_URL, kinds: [alerts], brands: [Globex]}
  - {name: marketing, url_env: BP_TEST_MARKETING_URL, kinds: [digest]}
"""


@pytest.fixture
def hooks():
    server = LocalServer()
    yield server
    server.close()


def _url(server, path, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"json://{server.url.split('://')[1]}/{path}" + (f"?{query}" if query else "")


def _bodies(server, path):
    return [json.loads(body) for method, p, body in server.requests if p.split("?")[0] == f"/{path}"]


def _outbox(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT channel, status, attempts, next_attempt_at, last_error FROM outbox ORDER BY id").fetchall()
    finally:
        conn.close()


SUPPORT_ONLY = CHANNELS.split("  - {name: other")[0]


def _pipeline(tmp_path, invoke, storm, extra=CHANNELS):
    text = CONFIG.format(extra=extra).replace("brands:\n", "brands:\n  - {name: Globex, keywords: [globex]}\n", 1)
    config = write_config(tmp_path / "config.yaml", text)
    (tmp_path / "mentions.jsonl").write_text(stream(5, storm=storm), encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "mentions.jsonl", "--no-classify").exit_code == 0
    return Pipeline(load_config(config), tmp_path / "brandpulse.db")


def test_a_spike_alert_is_one_outbox_row_per_channel_and_the_endpoint_gets_a_short_json_message(
        tmp_path, invoke, monkeypatch, hooks):
    hooks.route("/support/t0ken-abcdef", OK)
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", _url(hooks, "support/t0ken-abcdef"))
    monkeypatch.setenv("BP_TEST_OTHER_URL", _url(hooks, "other"))
    monkeypatch.setenv("BP_TEST_MARKETING_URL", _url(hooks, "marketing"))
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (4, 16)})

    (alert,) = pipeline.evaluate_alerts(NOW)
    queued = [row[0] for row in _outbox(pipeline.db_path)]
    report = pipeline.deliver(NOW)

    assert queued == ["email", "support"]  # not the other brand's channel, not the digest channel
    assert "channel support" in report.sent and len(report.sent) == 2 and report.failed == 0
    (body,) = _bodies(hooks, "support/t0ken-abcdef")
    assert body["title"] == "Negative spike: Acme"
    lines = body["message"].splitlines()
    assert lines[0].startswith("16 detractor mentions between 14:00 and 15:00 UTC on 2026-03-06, usually 1.0")
    mentions = [line for line in lines if line[:2] in ("1.", "2.", "3.", "4.")]
    # The 16 detractors are one complaint up to its tag number: one line, its copies counted (10 of them by id).
    assert len(mentions) == 1 and re.search(r"\(\+15 similar: (#\d+, ){10}\.\.\.\) https://example\.test/", mentions[0])
    assert lines[-1].startswith("Alert #1;") and len(body["message"]) < 1000


def _one_alert_queued_for(urls: dict[str, str], tmp_path, monkeypatch) -> Pipeline:
    """A pipeline with one channel per name in `urls` (its URL in the environment) and one alert queued for each."""
    variables = {name: f"BP_TEST_{name.upper().replace('-', '_')}_URL" for name in urls}
    for name, url in urls.items():
        monkeypatch.setenv(variables[name], url)
    names = "\n".join(f"  - {{name: {name}, url_env: {variable}}}" for name, variable in variables.items())
    text = f"brands: [{{name: Acme, keywords: [acme]}}]\nchannels:\n{names}\n"
    pipeline = Pipeline(load_config(write_config(tmp_path / "c.yaml", text)), tmp_path / "b.db")
    db = pipeline.open()
    with transaction(db):
        queue_chat(db, pipeline.channels, "alerts", "Acme", ChatMessage("Negative spike: Acme", "9 detractors"), NOW)
    db.close()
    return pipeline


def test_down_failing_and_slow_endpoints_keep_the_message_and_retry_with_backoff_until_it_is_delivered_once(
        tmp_path, monkeypatch, hooks):
    down_port = _free_port()
    hooks.route("/ok", OK)
    hooks.route("/error", Reply(500, b"oops"), OK)
    hooks.route("/slow", Reply(hang=True), OK)
    urls = {"ok": _url(hooks, "ok"), "error": _url(hooks, "error"), "slow": _url(hooks, "slow", rto="0.3", cto="1"),
            "down": f"json://127.0.0.1:{down_port}/down"}
    pipeline = _one_alert_queued_for(urls, tmp_path, monkeypatch)

    first = pipeline.deliver(NOW)
    rows = {row[0]: row for row in _outbox(pipeline.db_path)}
    too_early = pipeline.deliver(NOW + timedelta(seconds=59))
    second = pipeline.deliver(NOW + timedelta(seconds=60))

    assert (first.sent, first.failed) == (["channel ok"], 3)
    assert {n: rows[n][1:4] for n in ("error", "slow", "down")} == {
        n: ("pending", 1, "2026-03-07T00:01:00Z") for n in ("error", "slow", "down")}
    assert "500" in rows["error"][4] and str(down_port) not in rows["down"][4]
    assert (too_early.sent, too_early.failed) == ([], 0)
    assert sorted(second.sent) == ["channel error", "channel slow"] and second.failed == 1
    assert [len(_bodies(hooks, p)) for p in ("ok", "error", "slow")] == [1, 2, 2]

    # The endpoint comes back while no brandpulse runs; a new process (same store) delivers, and only that.
    back = LocalServer(port=down_port)
    back.route("/down", OK)
    try:
        restarted = Pipeline(load_config(tmp_path / "c.yaml"), tmp_path / "b.db")
        later = [restarted.deliver(NOW + timedelta(minutes=m)).sent for m in range(2, 30)]
    finally:
        back.close()
    assert [sent for sent in later if sent] == [["channel down"]]
    assert len(_bodies(back, "down")) == 1 and [len(_bodies(hooks, p)) for p in ("ok", "error", "slow")] == [1, 2, 2]
    assert {row[1] for row in _outbox(tmp_path / "b.db")} == {"sent"}
    assert _bodies(back, "down")[0]["title"] == "Negative spike: Acme"


def test_a_channel_whose_variable_is_unset_is_disabled_with_one_log_line_and_gets_nothing(
        tmp_path, invoke, monkeypatch):
    monkeypatch.delenv("BP_TEST_SUPPORT_URL", raising=False)
    pipeline = _pipeline(tmp_path, invoke, {STORM_HOUR: (4, 16)}, extra=SUPPORT_ONLY)

    pipeline.evaluate_alerts(NOW)
    pipeline.deliver(NOW)
    result = invoke("--config", tmp_path / "config.yaml", "status", "--format", "json")
    status = json.loads(result.stdout)

    ran = invoke("--config", tmp_path / "config.yaml", "run", "--once", "--only", "deliver")

    disabled = [line.split(": ", 1)[1] for line in ran.stderr.splitlines() if "disabled" in line]
    assert disabled == ["channel support disabled: set BP_TEST_SUPPORT_URL in the environment to enable it"]
    # The start-up log line is the service's (`run`): status says it in its report, not again on stderr.
    assert "disabled" not in result.stderr
    assert status["channels"][0]["disabled"] == "set BP_TEST_SUPPORT_URL in the environment to enable it"
    assert [row[0] for row in _outbox(pipeline.db_path)] == ["email"]
    text = invoke("--config", tmp_path / "config.yaml", "status").stdout
    assert ("Channel support (alerts, health; every brand): disabled: set BP_TEST_SUPPORT_URL in the environment to "
            "enable it; 0 message(s) waiting, 0 given up") in text
    assert status["channels"][0] | {"disabled": None} == {
        "name": "support", "kinds": ["alerts", "health"], "brands": None, "url_env": "BP_TEST_SUPPORT_URL",
        "enabled": False, "disabled": None, "pending": 0, "failed": 0}


@pytest.mark.parametrize("url", ["slack://", "nosuchservice://tok-5ecret-Z9/abc", "not a url tok-5ecret-Z9"])
def test_a_url_apprise_cannot_parse_is_a_config_error_naming_the_channel_and_not_the_url(
        tmp_path, invoke, monkeypatch, url):
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", url)
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=SUPPORT_ONLY))

    result = invoke("--config", config, "alerts", "list")

    assert result.exit_code == 2
    assert f"invalid configuration in {config}:\n  channels.0: channel support: the URL in BP_TEST_SUPPORT_URL" in result.output
    assert "5ecret" not in result.output and url not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7",
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7",
    "https://prod-12.westeurope.logic.azure.com:443/workflows/0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFG",
    "mmost://chat.example.com/4b8e7c2a9d3f1e6b5a0c8d7e9f",
])
def test_slack_and_teams_webhook_urls_as_their_services_give_them_are_accepted(tmp_path, monkeypatch, url):
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", url)

    config = load_config(write_config(tmp_path / "config.yaml", CONFIG.format(extra=SUPPORT_ONLY)))

    assert resolve_channels(config)[0].url == url


@pytest.mark.parametrize("entry, message", [
    ("{name: email, url_env: X}", "the name 'email' is taken"),
    ("{name: a, url_env: X, kinds: [pager]}", "channels.0.kinds.0: Input should be 'alerts', 'health' or 'digest'"),
    # Was: '(top level): channel a names ...', naming no key.
    ("{name: a, url_env: X, brands: [Nope]}", "\n  channels.0.brands: channel a names unknown brand(s): Nope"),
    ("{name: a, url: 'slack://x/y/z'}", "channels.0.url: unknown key"),
    ("{name: a, url_env: X, brands: []}", "channels.0.brands: List should have at least 1 item"),  # not "every brand"
])
def test_channel_entries_are_validated_at_start_up(tmp_path, invoke, entry, message):
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=f"channels: [{entry}]"))

    result = invoke("--config", config, "status")

    assert result.exit_code == 2 and message in result.output


def test_health_alerts_and_digests_reach_the_channels_whose_kinds_ask_for_them(tmp_path, invoke, monkeypatch):
    from brandpulse import alerting, digesting

    for name in ("SUPPORT", "OTHER", "MARKETING"):
        monkeypatch.setenv(f"BP_TEST_{name}_URL", f"json://127.0.0.1:1/{name.lower()}")
    pipeline = _pipeline(tmp_path, invoke, {})
    silent = Alert("health", None, NOW - HOUR, NOW, 0, 12.0, 0, 1e-6, "twitter yielded nothing in 6h", source="twitter")
    failing = Alert("health", "Globex", NOW - HOUR, NOW, 0, 0, 0, None, "collector x failing", source="x:Globex")
    db = pipeline.open()
    with transaction(db):
        alerting.record(pipeline.config, db, silent, NOW, [], pipeline.channels)
        alerting.record(pipeline.config, db, failing, NOW, [], pipeline.channels)
    queued = digesting.queue(pipeline.config, db, (NOW - HOUR).date(), ["Acme"], NOW, channels=pipeline.channels)
    rows = db.execute("SELECT kind, channel, subject, message FROM outbox WHERE channel != 'email' ORDER BY id").fetchall()
    db.close()

    assert queued == ["Acme"]
    assert [r[:3] for r in rows] == [
        ("alert", "support", "Collector health: twitter"), ("alert", "support", "Collector health: x:Globex"),
        ("digest", "marketing", "Daily digest 2026-03-06 (UTC): Acme")]
    assert rows[0][3].decode().startswith("twitter yielded nothing in 6h.\nAlert #1;")
    assert "Net sentiment:" in rows[2][3].decode()


@pytest.mark.slow
def test_messages_queued_while_the_endpoint_was_down_go_out_from_a_new_brandpulse_process(tmp_path, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", f"json://127.0.0.1:{port}/support/t0ken-abcdef")
    config = write_config(tmp_path / "config.yaml", CONFIG.format(extra=SUPPORT_ONLY))
    pipeline = Pipeline(load_config(config), tmp_path / "b.db")
    db = pipeline.open()
    with transaction(db):
        for n in range(3):
            queue_chat(db, pipeline.channels, "alerts", "Acme", ChatMessage(f"spike {n}", "body"), NOW)
    db.close()
    assert pipeline.deliver(NOW).failed == 1  # down: the first fails, the two others wait for the next run

    server = LocalServer(port=port)
    server.route("/support/t0ken-abcdef", OK)
    try:
        env = {**os.environ, "BRANDPULSE_CONFIG": str(config), "BRANDPULSE_DB": str(tmp_path / "b.db")}
        runs = [subprocess.run([sys.executable, "-c", "from brandpulse.cli import cli; cli()", "run", "--once"], env=env, capture_output=True,
                               text=True, timeout=120) for _ in range(2)]
    finally:
        server.close()

    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert [b["title"] for b in _bodies(server, "support/t0ken-abcdef")] == ["spike 0", "spike 1", "spike 2"]
    assert "t0ken-abcdef" not in runs[0].stdout + runs[0].stderr
    assert {row[1] for row in _outbox(tmp_path / "b.db")} == {"sent"}


def test_a_probe_sends_one_message_to_a_resolved_channel_and_a_disabled_one_says_which_variable_to_set(
        tmp_path, monkeypatch, hooks):
    from brandpulse.alerts.base import DeliveryError
    from brandpulse.channels import send_message

    hooks.route("/probe", OK)
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", _url(hooks, "probe"))
    monkeypatch.delenv("BP_TEST_MARKETING_URL", raising=False)
    config = load_config(write_config(tmp_path / "c.yaml", CONFIG.format(extra=CHANNELS.replace(
        "  - {name: other-brand, url_env: BP_TEST_OTHER_URL, kinds: [alerts], brands: [Globex]}\n", ""))))
    support, marketing = resolve_channels(config)

    assert send_message(support, "brandpulse test", "hello") == "channel support"
    assert _bodies(hooks, "probe")[0]["message"] == "hello"
    with pytest.raises(DeliveryError, match="channel marketing is disabled: set BP_TEST_MARKETING_URL"):
        send_message(marketing, "brandpulse test", "hello")


def test_a_message_for_a_channel_removed_from_the_config_stays_queued_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", "json://127.0.0.1:1/support")
    pipeline = Pipeline(load_config(write_config(tmp_path / "c.yaml", CONFIG.format(extra=SUPPORT_ONLY))), tmp_path / "b.db")
    db = pipeline.open()
    with transaction(db):
        queue_chat(db, pipeline.channels, "alerts", "Acme", ChatMessage("spike", "body"), NOW)
    db.close()
    emptied = Pipeline(load_config(write_config(tmp_path / "d.yaml", CONFIG.format(extra=""))), tmp_path / "b.db")

    report = emptied.deliver(NOW)

    assert report.failed == 1
    assert _outbox(tmp_path / "b.db") == [("support", "pending", 1, "2026-03-07T00:01:00Z",
                                          "channel support is no longer configured")]


def test_a_deleted_webhook_or_a_refused_message_is_given_up_at_once_while_a_rate_limit_is_retried(
        tmp_path, monkeypatch, hooks):
    answers = {"gone": 404, "refused": 400, "too-big": 413, "limited": 429, "busy": 503}
    for path, status in answers.items():
        hooks.route(f"/{path}", Reply(status, b"no"))
    pipeline = _one_alert_queued_for({path: _url(hooks, path) for path in answers}, tmp_path, monkeypatch)

    report = pipeline.deliver(NOW)

    rows = {row[0]: row[1:3] for row in _outbox(pipeline.db_path)}
    assert report.failed == 5
    assert rows == {"gone": ("failed", 1), "refused": ("failed", 1), "too-big": ("failed", 1),
                    "limited": ("pending", 1), "busy": ("pending", 1)}


def test_a_chat_message_waiting_for_a_retry_goes_out_before_the_messages_queued_after_it(tmp_path, monkeypatch,
                                                                                          hooks):
    hooks.route("/support", Reply(503, b"busy"), OK)  # a hiccup, then the endpoint takes everything
    monkeypatch.setenv("BP_TEST_SUPPORT_URL", _url(hooks, "support"))
    pipeline = Pipeline(load_config(write_config(tmp_path / "c.yaml", CONFIG.format(extra=SUPPORT_ONLY))),
                        tmp_path / "b.db")

    def queue(title, at):
        db = pipeline.open()
        with transaction(db):
            queue_chat(db, pipeline.channels, "alerts", "Acme", ChatMessage(title, "body"), at)
        db.close()

    queue("Negative spike: Acme", NOW)
    first = pipeline.deliver(NOW)  # refused: retried in 60 s
    queue("Negative spike (growing): Acme", NOW + timedelta(seconds=50))
    second = pipeline.deliver(NOW + timedelta(seconds=50))
    third = pipeline.deliver(NOW + timedelta(minutes=2))

    # Was: the update went out at once, and the storm's first alert a run later, after it.
    assert [b["title"] for b in _bodies(hooks, "support")] == [
        "Negative spike: Acme", "Negative spike: Acme", "Negative spike (growing): Acme"]
    assert (first.failed, len(second.sent), third.sent) == (1, 2, [])
    assert {row[1] for row in _outbox(tmp_path / "b.db")} == {"sent"}
