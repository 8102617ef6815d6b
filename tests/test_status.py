import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from tests.conftest import write_config

CONFIG = """
brands: [{name: Acme, keywords: [acme]}]
collectors: [{type: replay, name: feed, path: missing.jsonl, interval: 10m}]
sentiment: {interval: 2m}
"""


def test_status_shows_the_schedule_each_jobs_last_outcome_the_collectors_and_the_backlog(tmp_path, invoke):
    config = write_config(tmp_path / "c.yaml", CONFIG)
    invoke("--config", config, "run", "--once")  # its collector fails: the file is missing

    result = invoke("--config", config, "status", "--format", "json")
    report = json.loads(result.stdout)
    jobs = {job["job"]: job for job in report["jobs"]}

    assert result.exit_code == 0
    assert list(jobs) == ["collect:feed", "classify", "alerts", "deliver", "digest"]
    assert (jobs["digest"]["cron"], jobs["digest"]["timezone"]) == ("0 8 * * *", "UTC")
    assert (jobs["collect:feed"]["every_s"], jobs["classify"]["every_s"]) == (600, 120)
    # The job ran to its end, but its collector failed: the job table says so too, not only the collectors'.
    assert jobs["collect:feed"]["last_outcome"] == "error" and jobs["collect:feed"]["runs"] == 1
    error = jobs["collect:feed"]["last_error"]
    assert error.startswith("Acme: ") and "missing.jsonl" in error
    assert jobs["classify"]["last_outcome"] == "ok"
    (collector,) = report["collectors"]
    assert collector["name"] == "feed:Acme" and collector["last_outcome"] == "error"
    assert "missing.jsonl cannot be read" in collector["last_error"]
    assert report["backlog"]["emails_pending"] == 0


def test_status_as_text_names_every_job_and_the_backlog(tmp_path, invoke):
    config = write_config(tmp_path / "c.yaml", CONFIG)
    invoke("--config", config, "ingest", "-", "--no-classify",
           input='{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-01T10:00:00Z"}\n')

    output = invoke("--config", config, "status").output

    assert "collect:feed" in output and "10m" in output and "never" in output
    assert "Job digest runs at '0 8 * * *' (UTC)" in output
    assert "Backlog: 1 unclassified mention(s), 0 email(s) waiting, 0 given up" in output


def test_a_hostile_error_text_acts_on_no_terminal_in_status_or_the_log(tmp_path, invoke):
    import logging

    from brandpulse.config import load_config
    from brandpulse.logging_setup import _Formatter
    from brandpulse.pipeline import Pipeline
    from brandpulse.store import state as store_state

    config = write_config(tmp_path / "c.yaml", CONFIG)
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")
    quoted = "feed: skipping malformed item: entry id-\x1b]0;PWNED\x07\x1b[2J"  # a feed's id, quoted in an error
    with pipeline.session() as db:
        store_state.save_collector_error(db, "feed:Acme", quoted, datetime.now(timezone.utc))

    shown = invoke("--config", config, "status").output
    logged = _Formatter(as_json=False).format(logging.LogRecord("x", logging.ERROR, "f", 1, quoted, None, None))

    assert "\x1b" not in shown and "\x07" not in shown and "id-\ufffd]0;PWNED" in shown
    assert "\x1b" not in logged and r"id-\x1b]0;PWNED\x07" in logged


def test_status_on_a_missing_database_says_how_to_create_it(tmp_path):
    from click.testing import CliRunner

    from brandpulse.cli import cli

    config = write_config(tmp_path / "c.yaml", CONFIG)
    result = CliRunner().invoke(cli, ["--config", str(config), "status"])

    assert result.exit_code == 1
    assert "does not exist; run `brandpulse run --once`" in result.output


def _start_service(config, *extra):
    process = subprocess.Popen(
        [sys.executable, "-m", "brandpulse", "-v", *extra, "--config", str(config), "run"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    for line in process.stderr:  # the test times out if the service never comes up
        lines.append(line)
        if "is running" in line:
            return process, lines
    raise AssertionError("".join(lines))


def _stop(process):
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    return rest


@pytest.mark.slow
def test_a_second_run_on_the_same_database_refuses_while_read_only_commands_keep_working(tmp_path):
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]}]\n")
    service, _ = _start_service(config)
    try:
        second = subprocess.run([sys.executable, "-m", "brandpulse", "--config", str(config), "run", "--once"],
                                capture_output=True, text=True, timeout=60)
        status = subprocess.run([sys.executable, "-m", "brandpulse", "--config", str(config), "status"],
                                capture_output=True, text=True, timeout=60)
        readers = [subprocess.run([sys.executable, "-m", "brandpulse", "--config", str(config), *command],
                                  capture_output=True, text=True, timeout=60)
                   for command in (["query"], ["stats"], ["sql", "SELECT count(*) AS n FROM mentions"])]
    finally:
        rest = _stop(service)
    after = subprocess.run([sys.executable, "-m", "brandpulse", "--config", str(config), "status"],
                           capture_output=True, text=True, timeout=60)

    assert second.returncode == 1
    assert f"another brandpulse service (pid {service.pid}) is already running" in second.stderr
    assert "stop it first, or use --db for another store" in second.stderr
    assert status.returncode == 0 and "classify" in status.stdout
    assert f"Service: running (pid {service.pid})" in status.stdout
    assert "Service: not running on this store" in after.stdout
    assert [r.returncode for r in readers] == [0, 0, 0], [r.stderr for r in readers]
    assert service.returncode == 0 and "stopped" in rest


@pytest.mark.slow
def test_json_logs_are_one_object_per_line(tmp_path):
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]}]\n")
    service, lines = _start_service(config, "--log-format", "json")
    rest = _stop(service)

    events = [json.loads(line) for line in [*lines, *rest.splitlines()] if line.startswith("{")]
    assert {"time", "level", "logger", "message"} <= set(events[0])
    assert any(e["message"] == "stopped" for e in events)
    assert all(line.startswith("{") for line in rest.splitlines() if line.strip())


def test_status_names_collectors_disabled_for_missing_credentials(tmp_path, invoke, monkeypatch):
    monkeypatch.delenv("TWITTER_BEARER_TOKEN", raising=False)
    config = write_config(tmp_path / "c.yaml", CONFIG.replace("interval: 10m}]", "interval: 10m}, {type: twitter, name: tw}]"))
    invoke("--config", config, "run", "--once", "--only", "collect")

    result = invoke("--config", config, "status")
    jobs = json.loads(invoke("--config", config, "status", "--format", "json").stdout)["jobs"]

    assert "Collector tw is disabled: set TWITTER_BEARER_TOKEN in the environment to enable it" in result.output
    # It never ran: no run of its job is on record as if it had gone well.
    assert [j.get("last_started_at") for j in jobs if j["job"] == "collect:tw"] in ([], [None])
    assert result.output.count("Collector tw is disabled") == 1


# Collector, channel and SMTP login each left half set: what `run` warns of at start-up.
HALF_SET = CONFIG.replace("interval: 10m}]", "interval: 10m}, {type: twitter, name: tw}]") + """
channels: [{name: ops, url_env: BP_TEST_OPS_URL, kinds: [alerts]}]
email: {smtp: {host: 127.0.0.1, port: 2525, username_env: BP_TEST_SMTP_USER, password_env: BP_TEST_SMTP_PASS}}
"""
STARTUP = ("collector tw (twitter) disabled", "channel ops disabled", "the SMTP login is not set")


def test_only_run_warns_of_what_the_config_leaves_disabled_and_other_commands_say_it_with_v_only(
        tmp_path, invoke, monkeypatch):
    for name in ("TWITTER_BEARER_TOKEN", "BP_TEST_OPS_URL", "BP_TEST_SMTP_PASS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BP_TEST_SMTP_USER", "dana")
    config = write_config(tmp_path / "c.yaml", HALF_SET)
    ran = invoke("--config", config, "run", "--once", "--only", "collect")
    line = '{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-01T10:00:00Z"}\n'
    quiet = [invoke("--config", config, "ingest", "-", "--no-classify", input=line),
             invoke("--config", config, "status"), invoke("--config", config, "status", "--format", "json"),
             invoke("--config", config, "alerts", "backtest", "--since", "2026-03-01")]
    verbose = invoke("--config", config, "-v", "status")

    assert all(warning in ran.stderr for warning in STARTUP)
    # status, ingest, a backtest repeated each on stderr, where an analyst's script reads its errors.
    assert [(result.exit_code, [w for w in STARTUP if w in result.stderr]) for result in quiet] == [(0, [])] * 4
    assert [[" INFO " in line for line in verbose.stderr.splitlines() if w in line] for w in STARTUP] == [[True]] * 3
    assert "Collector tw is disabled: set TWITTER_BEARER_TOKEN" in quiet[1].stdout  # status still shows it


# A service whose classify job is killed (kill -9) in the middle of its work, after the store's first run.
_KILLED_MID_JOB = """
import sys
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from brandpulse.scheduler import wrap_job
from brandpulse.store.lock import ServiceLock

config = load_config(sys.argv[1])
def work(started):
    print("working", flush=True)
    sys.stdin.readline()
with ServiceLock(config.store.path):
    wrap_job("classify", work, Pipeline(config, config.store.path).record_job_run)()
"""


def test_a_job_killed_mid_run_shows_as_killed_not_as_its_previous_ok(tmp_path, invoke):
    config = write_config(tmp_path / "c.yaml", CONFIG)
    invoke("--config", config, "run", "--once")
    service = subprocess.Popen([sys.executable, "-c", _KILLED_MID_JOB, str(config)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout.readline().strip() == "working"
        running = json.loads(invoke("--config", config, "status", "--format", "json").stdout)
        service.send_signal(signal.SIGKILL)
        service.wait(timeout=30)
    finally:
        service.kill()

    killed = json.loads(invoke("--config", config, "status", "--format", "json").stdout)
    text = invoke("--config", config, "status").output

    assert {job["job"]: job.get("last_outcome") for job in running["jobs"]}["classify"] == "running"
    classify = {job["job"]: job for job in killed["jobs"]}["classify"]
    assert (classify["last_outcome"], classify["runs"], classify["failures"]) == ("killed", 1, 0)
    assert classify["last_started_at"] >= classify["last_finished_at"] and classify["last_duration_s"] is None
    assert "killed   " in text and "started, never finished: the process was killed" in text
    assert {job["job"]: job.get("last_outcome") for job in killed["jobs"]}["alerts"] == "ok"


def test_status_and_outbox_list_show_their_times_on_the_digest_zones_wall_clock_and_keep_utc_in_json(tmp_path, invoke):
    from datetime import timedelta

    from brandpulse.store import open_db, transaction
    from brandpulse.store import jobs as store_jobs
    from brandpulse.store import outbox as store_outbox
    from brandpulse.store.state import save_collector_error

    config = write_config(tmp_path / "c.yaml", CONFIG + "digest: {timezone: Europe/Berlin}\n")
    invoke("--config", config, "ingest", "-", "--no-classify",
           input='{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-01T10:00:00Z"}\n')
    at = datetime(2026, 3, 6, 14, tzinfo=timezone.utc)  # 15:00 in Berlin
    db = open_db(tmp_path / "brandpulse.db")
    store_jobs.record_job_run(db, "classify", at, at + timedelta(seconds=2))
    with transaction(db):
        save_collector_error(db, "feed:Acme", "HTTP 503", at)
        message = store_outbox.enqueue(db, "alert", "Acme", "spike", ["a@acme.test"], b"body", at)
        store_outbox.mark_failed(db, message, "550 no such mailbox", None)
    db.close()

    def run(*args):
        result = invoke("--config", config, *args)
        assert result.exit_code == 0, result.output
        return result.stdout

    text, in_utc, report = run("status"), run("status", "--tz", "UTC"), json.loads(run("status", "--format", "json"))
    table, listed = run("outbox", "list"), json.loads(run("outbox", "list", "--format", "json"))
    utc_table = run("outbox", "list", "--tz", "UTC")

    classify = next(line for line in text.splitlines() if line.startswith("classify"))
    collector = next(line for line in text.splitlines() if line.startswith("feed:Acme"))
    assert "2026-03-06T15:00:00+01:00 ok" in classify and "2026-03-06T15:00:00+01:00 error" in collector
    assert "2026-03-06T14:00:00Z" in in_utc and "+01:00" not in in_utc
    assert next(j for j in report["jobs"] if j["job"] == "classify")["last_started_at"] == "2026-03-06T14:00:00Z"
    assert report["collectors"][0]["last_run_at"] == "2026-03-06T14:00:00Z"
    assert "2026-03-06T15:00:00+01:00" in table and "2026-03-06T14:00:00Z" in utc_table
    assert listed[0]["created_at"] == "2026-03-06T14:00:00Z"
