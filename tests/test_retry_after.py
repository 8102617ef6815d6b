import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from brandpulse.collectors.base import BrandQuery, RetryLater
from brandpulse.collectors.http import new_session, retry_after
from brandpulse.collectors.mastodon import MastodonCollector
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from tests.conftest import write_config
from tests.local_http import Reply

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
FEED = "/feed.atom"
CASSETTES = Path(__file__).resolve().parent / "cassettes"


def _pipeline(tmp_path, server, clock):
    config = write_config(tmp_path / "c.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}, {{name: Bolt, keywords: [bolt]}}]
collectors: [{{type: feed, name: forum, url: "{server.url}{FEED}", timeout: 5}}]
""")
    return Pipeline(load_config(config), tmp_path / "c.db", clock=clock)


def _asked(server):
    return sum(1 for _, path, _ in server.requests if path == FEED)


def test_retry_after_reads_seconds_an_http_date_and_mastodons_reset_time():
    assert retry_after({"Retry-After": "120"}) == {"delay": timedelta(seconds=120)}
    assert retry_after({"Retry-After": "Fri, 20 Nov 2026 13:00:00 GMT"}) == {
        "until": datetime(2026, 11, 20, 13, tzinfo=timezone.utc)}
    assert retry_after({"X-RateLimit-Reset": "2026-11-20T12:05:00.000Z"}) == {
        "until": datetime(2026, 11, 20, 12, 5, tzinfo=timezone.utc)}
    assert retry_after({"Retry-After": "soon"}) == {} and retry_after({}) == {}


def test_a_retry_after_in_decimal_seconds_is_waited_rounded_up_not_ignored():
    # Was {}: '120.5' (a proxy's, a CDN's) asked for no wait, so the next run went to a source still refusing.
    assert retry_after({"Retry-After": "120.5"}) == {"delay": timedelta(seconds=121)}
    assert retry_after({"Retry-After": "0.2"}) == {"delay": timedelta(seconds=1)}
    assert retry_after({"Retry-After": "-5"}) == {} and retry_after({"Retry-After": "1e9"}) == {}
    assert retry_after({"Retry-After": "9" * 5000}) == {"delay": timedelta(seconds=10**7)}  # was ValueError


def test_a_wait_is_never_before_the_answer_nor_longer_than_a_day():
    assert RetryLater("x", 429, delay=timedelta(days=400)).not_before(NOW) == NOW + timedelta(days=1)
    assert RetryLater("x", 429, until=NOW - timedelta(hours=1)).not_before(NOW) == NOW
    assert RetryLater("x", 429).not_before(NOW) is None


def test_a_429_defers_the_collector_for_its_retry_after_even_across_a_restart(tmp_path, server):
    server.route(FEED, Reply(429, b"slow down", {"Retry-After": "600"}),
                 Reply.file("feed_page2.atom", "application/atom+xml"))
    answered = NOW + timedelta(seconds=20)  # the answer came 20 s into the run: the wait counts from then
    first = _pipeline(tmp_path, server, lambda: answered).collect(NOW)
    assert "429" in first.failures["forum:Pinebrook Coffee"] and "forum:Bolt" not in first.failures
    assert first.deferred == {"forum": answered + timedelta(seconds=600)} and _asked(server) == 1

    restarted = _pipeline(tmp_path, server, lambda: NOW)  # a new process: the wait is read from the store
    early = restarted.collect(answered + timedelta(seconds=599))
    assert _asked(server) == 1 and early.deferred == {"forum": answered + timedelta(seconds=600)}
    assert not early.failures

    later = restarted.collect(answered + timedelta(seconds=600))
    assert _asked(server) == 3 and not later.deferred and not later.failures  # both brands read again


def test_a_503_with_an_http_date_defers_until_that_date_and_one_without_retries_next_run(tmp_path, server):
    server.route(FEED, Reply(503, b"maintenance", {"Retry-After": "Fri, 20 Nov 2026 13:00:00 GMT"}))
    first = _pipeline(tmp_path, server, lambda: NOW).collect(NOW)
    assert first.deferred == {"forum": datetime(2026, 11, 20, 13, tzinfo=timezone.utc)}
    assert "server unavailable (HTTP 503, Retry-After Fri, 20 Nov 2026 13:00:00 GMT)" in first.failures[
        "forum:Pinebrook Coffee"]

    server.route(FEED, Reply(503, b"down"))
    plain = _pipeline(tmp_path, server, lambda: NOW).collect(NOW + timedelta(hours=1))
    assert not plain.deferred and len(plain.failures) == 2 and _asked(server) == 3


def test_the_wait_is_saved_with_the_store_so_status_can_show_it(tmp_path, server):
    server.route(FEED, Reply(429, b"", {"Retry-After": "30"}))
    _pipeline(tmp_path, server, lambda: NOW + timedelta(microseconds=5)).collect(NOW)
    row = sqlite3.connect(tmp_path / "c.db").execute(
        "SELECT value FROM state WHERE key = 'collector.retry_at:forum'").fetchone()
    assert row == ("2026-11-20T12:00:31Z",)  # rounded up, never early


def test_a_mastodon_page_refused_midway_keeps_the_pages_read_and_asks_to_wait_until_its_reset(server):
    tag = "/api/v1/timelines/tag/pinebrook"
    statuses = [{"id": str(1000 + n), "created_at": "2026-11-20T12:00:00Z", "content": f"<p>#pinebrook {n}</p>",
                 "uri": f"https://social.example/s/{n}", "account": {"acct": "u@else.where"}} for n in range(40, 0, -1)]
    server.route(tag, Reply(200, json.dumps(statuses).encode()),
                 Reply(429, b"{}", {"X-RateLimit-Reset": "2026-11-20T12:05:00.000Z"}))
    collector = MastodonCollector("mastodon", server.url, ["pinebrook"], 5, None, new_session(5))
    result = collector.collect(BrandQuery("Pinebrook", ("pinebrook",)), {"min_id": {"pinebrook": "1000"}})
    assert len(result.mentions) == 40 and "429" in result.error
    assert result.retry.not_before(NOW) == datetime(2026, 11, 20, 12, 5, tzinfo=timezone.utc)


def test_twitter_past_max_wait_asks_to_wait_until_the_windows_reset():
    from tests.test_collect_twitter import RESET, FakeTime, collector, replay

    clock = FakeTime(RESET - 3600)
    with replay.use_cassette(str(CASSETTES / "twitter_429_then_ok.yaml")):
        with pytest.raises(RetryLater) as refused:
            collector(clock, max_wait=600).collect(BrandQuery("Pinebrook", ("pinebrook",)), None)
    answered = datetime.fromtimestamp(RESET - 3600, timezone.utc)
    assert refused.value.not_before(answered) == datetime.fromtimestamp(RESET, timezone.utc)
    with replay.use_cassette(str(CASSETTES / "twitter_429_midway.yaml")):
        midway = collector(clock, max_wait=600).collect(BrandQuery("Pinebrook", ("pinebrook",)), {"since_id": "5"})
    assert len(midway.mentions) == 2 and midway.retry.until == datetime.fromtimestamp(RESET, timezone.utc)


def test_reddit_429_asks_to_wait_for_its_retry_after(no_sleep):
    from tests.test_collect_reddit import OURS, run

    with pytest.raises(RetryLater) as refused:
        run(OURS / "reddit_429.json")
    assert refused.value.not_before(NOW) == NOW + timedelta(seconds=12)


@pytest.fixture
def no_sleep(monkeypatch):
    import time

    monkeypatch.setattr(time, "sleep", lambda seconds: None)


def test_run_once_and_status_name_the_collector_skipped_and_until_when(tmp_path, server, invoke):
    server.route(FEED, Reply(429, b"", {"Retry-After": "3600"}))
    config = write_config(tmp_path / "c.yaml", f"""
brands: [{{name: Acme, keywords: [acme]}}]
collectors: [{{type: feed, name: forum, url: "{server.url}{FEED}", timeout: 5}}]
store: {{path: {tmp_path / "c.db"}}}
email: {{outbox_dir: {tmp_path / "outbox"}}}
""")
    first = invoke("--config", config, "run", "--once")
    assert "collector forum:Acme failed: feed: rate limited (HTTP 429, Retry-After 3600)" in first.output
    assert "collector forum skipped until" in first.output
    second = invoke("--config", config, "run", "--once")
    assert "collector forum skipped until" in second.output and "forum:Acme failed" not in second.output
    assert _asked(server) == 1
    assert "Collector forum is skipped until" in invoke("--config", config, "status").output


def test_a_collect_job_skipped_for_a_stored_wait_is_recorded_as_skipped_until_then_keeping_its_failure_and_success(
        tmp_path, server, invoke):
    server.route(FEED, Reply(200, (CASSETTES.parent / "data" / "feed_page2.atom").read_bytes(),
                             {"Content-Type": "application/atom+xml"}), Reply(429, b"", {"Retry-After": "3600"}))
    config = write_config(tmp_path / "c.yaml", f"""
brands: [{{name: Acme, keywords: [acme]}}]
collectors: [{{type: feed, name: forum, url: "{server.url}{FEED}", timeout: 5}}]
store: {{path: {tmp_path / "c.db"}}}
email: {{outbox_dir: {tmp_path / "outbox"}}}
""")
    runs = [invoke("--config", config, "run", "--once", "--only", "collect")]  # read: ok
    with sqlite3.connect(tmp_path / "c.db") as conn:  # its success an hour back, to tell it from a later one
        conn.execute("UPDATE job_runs SET last_success_at = '2026-01-01T00:00:00Z'")
    runs += [invoke("--config", config, "run", "--once", "--only", "collect") for _ in range(2)]  # 429, skipped
    status = invoke("--config", config, "status")
    report = json.loads(invoke("--config", config, "status", "--format", "json").output)

    assert [run.exit_code for run in runs] == [0, 1, 0]
    job = next(j for j in report["jobs"] if j["job"] == "collect:forum")
    until = report["deferred_collectors"]["forum"]
    assert (job["last_outcome"], job["skipped_until"], job["runs"], job["failures"]) == ("skipped", until, 3, 1)
    assert job["last_success_at"] == "2026-01-01T00:00:00Z"  # the first run's, not the skipped one's
    assert "rate limited (HTTP 429, Retry-After 3600)" in job["last_error"]
    line = next(line for line in status.output.splitlines() if line.startswith("collect:forum"))
    assert "skipped" in line and f"until {until} (Retry-After)" in line and " ok " not in line
    assert _asked(server) == 2


def test_the_services_collect_job_skipped_for_a_stored_wait_is_recorded_as_skipped_not_as_a_success(tmp_path, server):
    from brandpulse.scheduler import wrap_job
    from brandpulse.store.jobs import job_runs

    server.route(FEED, Reply(429, b"", {"Retry-After": "600"}))
    pipeline = _pipeline(tmp_path, server, lambda: NOW)
    job = wrap_job("collect:forum", lambda now: pipeline.collect(now, only="forum"), pipeline.record_job_run,
                   clock=lambda: NOW + timedelta(minutes=5))
    job()  # asked to wait: an error
    job()  # within the wait: skipped

    [row] = job_runs(pipeline.open())
    assert (row["last_outcome"], row["runs"], row["failures"], row["last_success_at"]) == ("skipped", 2, 1, None)
    assert _asked(server) == 1
