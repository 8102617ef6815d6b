import hashlib
import json
import socket
import sqlite3
import threading
import time
from contextlib import closing
from datetime import datetime, timezone

import praw
import pytest
import tweepy
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from brandpulse.alerts.base import DeliveryError
from brandpulse.alerts.transports import FileTransport, SmtpTransport
from brandpulse.checking import Probe, failure_reason, run_probes
from brandpulse.collectors.appstore import AppStoreCollector
from brandpulse.collectors.base import BrandQuery, CollectorError
from brandpulse.collectors.feed import FeedCollector
from brandpulse.collectors.googleplay import GooglePlayCollector
from brandpulse.collectors.http import new_session, with_timeout
from brandpulse.collectors.mastodon import MastodonCollector
from brandpulse.collectors.reddit import RedditCollector
from brandpulse.collectors.replay import ReplayCollector
from brandpulse.collectors.twitter import TwitterCollector, build_query
from brandpulse.store import open_db
from brandpulse.store.errors import UPGRADE_BRANDPULSE
from brandpulse.store.migrations import SCHEMA_VERSION
from tests.conftest import write_config
from tests.local_http import Reply, silent_proxy
from tests.test_collect_reddit import cassette as reddit_cassette
from tests.test_collect_reddit import reddit, replay as reddit_replay
from tests.test_collect_twitter import OURS, RECORDED, replaying, replay as twitter_replay

BRAND = BrandQuery("Pinebrook Coffee", ("pinebrook", "@pinebrookcoffee"))
SLOW_ANSWER_S = 0.3


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def refused_proxy(monkeypatch) -> None:
    """Route HTTPS through a proxy port nobody listens on: the client's connection is refused."""
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


def failure(probe) -> str:
    with pytest.raises(CollectorError) as caught:
        probe()
    return failure_reason(caught.value)


# Each HTTP collector, built on a base URL, with the path it asks first and a good first page.
HTTP_COLLECTORS = {
    "feed": (lambda url, timeout: FeedCollector("feed", f"{url}/feed", session=new_session(timeout)),
             "/feed", Reply.file("feed_page1.atom", "application/atom+xml")),
    "appstore": (lambda url, timeout: AppStoreCollector("appstore", "123", "us", None, url, 10, new_session(timeout)),
                 "/us/rss/customerreviews/page=1/id=123/sortby=mostrecent/json", Reply.file("appstore_page1.json")),
    "googleplay": (lambda url, timeout: GooglePlayCollector("googleplay", "com.pinebrook", base_url=url,
                                                            session=new_session(timeout)),
                   "/_/PlayStoreUi/data/batchexecute", Reply.file("googleplay_page1.txt", "text/plain")),
    "mastodon": (lambda url, timeout: MastodonCollector("mastodon", url, ["pinebrook"], session=new_session(timeout)),
                 "/api/v1/timelines/tag/pinebrook", Reply.file("mastodon_newest.json")),
}


@pytest.mark.parametrize("kind", HTTP_COLLECTORS)
def test_http_collector_probe_reads_one_page(server, kind):
    build, path, page = HTTP_COLLECTORS[kind]
    server.route(path, page, Reply(500))

    build(server.url, 5).probe(BRAND)

    assert len(server.requests) == 1


@pytest.mark.parametrize("kind", HTTP_COLLECTORS)
@pytest.mark.parametrize("reply, reason", [
    (Reply(401, b"unauthorized", {"Content-Type": "text/plain"}), "401"),
    (Reply(200, b"<html><body>We are down for maintenance</body></html>", {"Content-Type": "text/html"}), "parse error"),
    (Reply(hang=True), "timeout"),
])
def test_http_collector_probe_names_what_failed(server, kind, reply, reason):
    build, path, _ = HTTP_COLLECTORS[kind]
    server.route(path, reply)

    assert failure(lambda: build(server.url, SLOW_ANSWER_S).probe(BRAND)) == reason


@pytest.mark.parametrize("kind", HTTP_COLLECTORS)
def test_http_collector_probe_on_a_closed_port_says_refused(kind):
    build, _, _ = HTTP_COLLECTORS[kind]

    assert failure(lambda: build(f"http://127.0.0.1:{closed_port()}", 5).probe(BRAND)) == "refused"


def test_probe_of_an_unknown_host_says_dns():
    # .invalid never resolves (RFC 6761), with or without a network.
    assert failure(lambda: HTTP_COLLECTORS["feed"][0]("http://brandpulse-check.invalid", 5).probe(BRAND)) == "DNS"


def twitter(timeout: float = 5) -> TwitterCollector:
    client = tweepy.Client(bearer_token="test-token", return_type=dict)
    with_timeout(client.session, timeout)
    return TwitterCollector("twitter", client)


def test_twitter_probe_runs_the_brands_query_for_one_small_page():
    sent = []
    with replaying(sent).use_cassette(str(RECORDED / "tweepy_search_recent_tweets.yaml")) as cass:
        sent.clear()  # loading the cassette passed its recorded requests through the hook
        twitter().probe(BRAND)
    assert cass.play_count == 1 and sent[0]["max_results"] == "10" and sent[0]["query"] == build_query(BRAND)


@pytest.mark.parametrize("name, reason", [("twitter_401", "401"), ("twitter_429_then_ok", "429"),
                                          ("twitter_malformed_payload", "parse error"), ("twitter_503", "503")])
def test_twitter_probe_names_what_failed(name, reason):
    with twitter_replay.use_cassette(str(OURS / f"{name}.yaml")):
        assert failure(lambda: twitter().probe(BRAND)) == reason


def test_twitter_probe_times_out(monkeypatch):
    with silent_proxy(monkeypatch):
        assert failure(lambda: twitter(SLOW_ANSWER_S).probe(BRAND)) == "timeout"


def test_twitter_probe_through_a_refused_proxy_says_refused(monkeypatch):
    refused_proxy(monkeypatch)
    assert failure(lambda: twitter().probe(BRAND)) == "refused"


@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # prawcore's pauses between retries


def reddit_probe(client: praw.Reddit | None = None, subreddit: str = "coffee") -> None:
    RedditCollector("reddit", client or reddit(), (subreddit,)).probe(BrandQuery("PRAW", ("praw",)))


def test_reddit_probe_gets_a_token_and_one_search_result(tmp_path, no_sleep):
    with reddit_replay.use_cassette(str(reddit_cassette(tmp_path, RECORDED / "praw_subreddit_search.json"))) as cass:
        reddit_probe(subreddit="all")
    assert [r.method for r in cass.requests] == ["POST", "GET"] and "limit=1" in cass.requests[1].uri


@pytest.mark.parametrize("name, reason", [("reddit_401", "401"), ("reddit_malformed_payload", "parse error"),
                                          ("reddit_429", "429")])
def test_reddit_probe_names_what_failed(tmp_path, no_sleep, name, reason):
    with reddit_replay.use_cassette(str(reddit_cassette(tmp_path, OURS / f"{name}.json"))):
        assert failure(reddit_probe) == reason


def test_reddit_probe_through_a_refused_proxy_says_refused(monkeypatch, no_sleep):
    refused_proxy(monkeypatch)
    assert failure(reddit_probe) == "refused"


def test_reddit_probe_times_out(monkeypatch, no_sleep):
    with silent_proxy(monkeypatch):
        assert failure(lambda: reddit_probe(reddit(timeout=1, requestor_kwargs={"timeout": SLOW_ANSWER_S}))) == "timeout"


def test_replay_probe_reads_the_recording(tmp_path):
    now = datetime.now(timezone.utc)
    ReplayCollector("demo", "demo", now).probe(BRAND)
    (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
    assert failure(lambda: ReplayCollector("mine", tmp_path / "bad.jsonl", now).probe(BRAND)) == "error"


USER, PASSWORD = "mailer", "s3cret-pw"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def _smtp(auth_required=False):
    def login(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port(), authenticator=login,
                            auth_require_tls=False, auth_exclude_mechanism=["LOGIN"], auth_required=auth_required)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_server():
    controller, inbox = _smtp()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture
def submission_server():
    """A server that takes mail only after a login (530 at MAIL FROM before it), as a submission port does."""
    controller, inbox = _smtp(auth_required=True)
    yield controller.port, inbox
    controller.stop()


def test_smtp_probe_logs_in_and_sends_nothing(smtp_server):
    port, inbox = smtp_server
    SmtpTransport("127.0.0.1", port, "none", USER, PASSWORD, 5).probe()
    assert inbox.messages == []


def test_smtp_probe_with_a_wrong_password_says_login_refused(smtp_server):
    with pytest.raises(DeliveryError) as caught:
        SmtpTransport("127.0.0.1", smtp_server[0], "none", USER, "wrong", 5).probe()
    assert failure_reason(caught.value) == "login refused" and "wrong" not in str(caught.value)


def test_smtp_probe_on_a_closed_port_says_refused():
    with pytest.raises(DeliveryError) as caught:
        SmtpTransport("127.0.0.1", closed_port(), "none", None, None, 5).probe()
    assert failure_reason(caught.value) == "refused"


def test_smtp_probe_of_a_server_that_never_greets_times_out():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody ever answers
        with pytest.raises(DeliveryError) as caught:
            SmtpTransport("127.0.0.1", silent.getsockname()[1], "none", None, None, SLOW_ANSWER_S).probe()
    assert failure_reason(caught.value) == "timeout"


def test_file_transport_probe_creates_nothing_and_refuses_a_file_in_the_way(tmp_path):
    FileTransport(tmp_path / "outbox" / "deeper").probe()
    (tmp_path / "blocked").write_text("", encoding="utf-8")
    with pytest.raises(DeliveryError, match="not a writable folder"):
        FileTransport(tmp_path / "blocked" / "outbox").probe()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked"]


def test_probes_run_at_the_same_time():
    both = threading.Barrier(2, timeout=5)  # each waits for the other: only concurrent runs can both pass
    outcomes = run_probes([Probe("a", 10, both.wait), Probe("b", 10, both.wait)])
    assert [(o.name, o.reason) for o in outcomes] == [("a", None), ("b", None)]


def test_a_probe_past_its_timeout_is_reported_and_not_waited_for():
    never = threading.Event()
    outcomes = run_probes([Probe("stuck", 0.05, never.wait), Probe("fine", 5, lambda: None)], grace=0)
    assert [(o.name, o.reason) for o in outcomes] == [("stuck", "timeout"), ("fine", None)]
    assert outcomes[0].message == "no answer within 0.05 s"


def test_a_probe_missing_credentials_is_not_run():
    ran = []
    outcomes = run_probes([Probe("twitter", 5, lambda: ran.append(1), ("TWITTER_BEARER_TOKEN",))])
    assert ran == [] and outcomes[0].reason == "missing credentials"
    assert "TWITTER_BEARER_TOKEN" in outcomes[0].message


@pytest.fixture
def check_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("BRANDPULSE_CONFIG", "BRANDPULSE_DB", "TWITTER_BEARER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRANDPULSE_SMTP_USERNAME", USER)
    monkeypatch.setenv("BRANDPULSE_SMTP_PASSWORD", PASSWORD)
    return tmp_path


def test_check_prints_one_line_per_collector_and_channel_and_fails_if_any_failed(check_dir, invoke, server,
                                                                                smtp_server):
    server.route("/feed", Reply.file("feed_page1.atom", "application/atom+xml"))
    write_config(check_dir / "config.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}]
collectors:
  - {{type: feed, name: reviews, url: "{server.url}/feed"}}
  - {{type: feed, name: forum, url: "http://127.0.0.1:{closed_port()}/forum.rss"}}
  - {{type: twitter}}
email: {{recipients: {{alerts: [support@pinebrook.test]}},
        smtp: {{host: 127.0.0.1, port: {smtp_server[0]}, security: none, timeout: 5}}}}
""")

    result = invoke("check")

    lines = result.stdout.splitlines()
    assert result.exit_code == 1 and len(lines) == 5
    assert lines[0].split() == ["reviews", "ok"] and lines[3].split(maxsplit=1) == [
        "email", "ok (the SMTP login goes unencrypted (security: none); use starttls or ssl beyond this host)"]
    assert lines[4].split(maxsplit=2)[2].startswith("ok (brandpulse-minilm-tweeteval ")
    assert lines[1].split(maxsplit=1)[1].startswith("refused: feed: http://127.0.0.1:")
    assert lines[2].split(maxsplit=1)[1].startswith("missing credentials: set TWITTER_BEARER_TOKEN")
    assert not (check_dir / "brandpulse.db").exists() and smtp_server[1].messages == []


def test_check_passes_when_everything_works_and_leaves_the_store_untouched(check_dir, invoke, server):
    server.route("/feed", Reply.file("feed_page1.atom", "application/atom+xml"))
    write_config(check_dir / "config.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}]
collectors: [{{type: feed, url: "{server.url}/feed"}}, {{type: replay}}]
""")
    open_db(check_dir / "brandpulse.db").close()
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in check_dir.iterdir()}

    result = invoke("check", "--format", "json")

    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.stdout and '"ok": false' not in result.stdout
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in check_dir.iterdir()} == before


def test_check_reports_a_silent_source_as_a_timeout(check_dir, invoke, server):
    server.route("/feed", Reply(hang=True))
    write_config(check_dir / "config.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}]
collectors: [{{type: feed, url: "{server.url}/feed", timeout: {SLOW_ANSWER_S}}}]
""")

    result = invoke("check")

    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].split(maxsplit=1)[1].startswith("timeout: feed: ")


def test_check_without_collectors_says_so(check_dir, invoke):
    write_config(check_dir / "config.yaml", "brands: [{name: Acme, keywords: [acme]}]\n")

    result = invoke("check")

    # Nobody is told of Acme's alerts: not a failure (a digest-only set-up is fine), but said.
    assert result.exit_code == 0 and result.stdout.splitlines()[0].split(maxsplit=1) == [
        "email", "ok (no one receives the alerts of Acme: add email recipients or a channel)"]
    # Ingest-only set-ups exist, so exit 0; but the warning says what a collector-less config means.
    assert "Warning: " in result.stderr
    assert "configures no collector: `brandpulse run` collects nothing" in result.stderr
    assert "unless this set-up is ingest-only" in result.stderr


def test_check_probes_chat_channels_without_sending_a_message(check_dir, invoke, server, monkeypatch):
    monkeypatch.setenv("BP_TEST_HOOK_URL", f"json://{server.url.split('://')[1]}/hook/t0ken-abcdef")
    monkeypatch.setenv("BP_TEST_DOWN_URL", f"json://127.0.0.1:{closed_port()}/down")
    monkeypatch.setenv("BP_TEST_SLACK_URL", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ")
    monkeypatch.delenv("BP_TEST_UNSET_URL", raising=False)
    write_config(check_dir / "config.yaml", """
brands: [{name: Acme, keywords: [acme]}]
channels:
  - {name: hook, url_env: BP_TEST_HOOK_URL}
  - {name: down, url_env: BP_TEST_DOWN_URL}
  - {name: slack, url_env: BP_TEST_SLACK_URL}
  - {name: unset, url_env: BP_TEST_UNSET_URL}
""")

    result = invoke("check")

    lines = result.stdout.splitlines()
    assert result.exit_code == 1 and lines[0].split() == ["email", "ok"]
    assert lines[1].split() == ["channel", "hook", "ok"] and server.requests == []
    assert lines[2].startswith("channel down   refused: channel down: cannot connect to 127.0.0.1:")
    assert lines[3] == "channel slack  ok (URL accepted; the service is not contacted, as that would send a message)"
    assert lines[4] == "channel unset  missing credentials: set BP_TEST_UNSET_URL in the environment"
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in result.output and "t0ken-abcdef" not in result.output


def test_a_webhook_at_an_ipv6_address_is_reached_by_the_probe():
    import socket

    from brandpulse.alerts.channels import probe

    try:
        listener = socket.socket(socket.AF_INET6)
        listener.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    listener.listen()
    try:
        assert probe("hook", f"json://[::1]:{listener.getsockname()[1]}/hook") is None
    finally:
        listener.close()


@pytest.mark.parametrize("unset", ["BRANDPULSE_SMTP_USERNAME", "BRANDPULSE_SMTP_PASSWORD"])
def test_check_reports_half_an_smtp_login_as_missing_credentials(check_dir, invoke, smtp_server, monkeypatch, unset):
    monkeypatch.delenv(unset)
    write_config(check_dir / "config.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}]
email: {{recipients: {{alerts: [support@pinebrook.test]}},
        smtp: {{host: 127.0.0.1, port: {smtp_server[0]}, security: none, timeout: 5}}}}
""")

    result = invoke("check")

    # Without a password it would log in with an empty one; without a user it would send without logging in.
    assert result.exit_code == 1
    key = "username_env" if unset.endswith("USERNAME") else "password_env"
    assert result.stdout.splitlines()[0].split(maxsplit=1) == [
        "email", f"missing credentials: email.smtp.{key} names the environment variable {unset}, which is not set"]


@pytest.mark.parametrize("user", [USER, None])
def test_check_says_a_secret_was_typed_in_place_of_a_variable_name_and_never_shows_it(check_dir, invoke, smtp_server,
                                                                                     monkeypatch, user):
    # 'hunter2' is a valid variable name: the file loads, and the login was half set (or silently none) at 3 a.m.
    if user is None:
        monkeypatch.delenv("BRANDPULSE_SMTP_USERNAME")
    write_config(check_dir / "config.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}]
email: {{recipients: {{alerts: [support@pinebrook.test]}},
        smtp: {{host: 127.0.0.1, port: {smtp_server[0]}, security: none, timeout: 5, password_env: hunter2}}}}
channels: [{{name: support, url_env: xoxb9Fq2Zt}}]
""")

    result = invoke("check", "--format", "json")

    assert result.exit_code == 1 and "hunter2" not in result.output and "xoxb9Fq2Zt" not in result.output
    assert ("email.smtp.password_env holds 7 characters (not shown) that look like a secret typed in place of an "
            "environment variable's name") in result.stdout
    assert "channel support's url_env holds 10 characters (not shown) that look like a secret" in result.stdout
    assert smtp_server[1].messages == []


def test_check_and_status_name_a_lowercase_variable_without_digits_as_a_variable(check_dir, invoke, monkeypatch):
    write_config(check_dir / "config.yaml", """
brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]
channels: [{name: support, url_env: support_hook}]
""")

    result = invoke("check")

    assert "channel support  missing credentials: set support_hook in the environment" in result.stdout


def test_check_logs_in_with_an_smtp_login_read_without_its_trailing_newline(check_dir, invoke, smtp_server,
                                                                           monkeypatch):
    # Set from a file or a secrets manager, a variable often ends in a newline the server would take as the password's.
    monkeypatch.setenv("BRANDPULSE_SMTP_USERNAME", f" {USER}\n")
    monkeypatch.setenv("BRANDPULSE_SMTP_PASSWORD", f"{PASSWORD} \r\n")
    write_config(check_dir / "config.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}]
email: {{recipients: {{alerts: [support@pinebrook.test]}},
        smtp: {{host: 127.0.0.1, port: {smtp_server[0]}, security: none, timeout: 5}}}}
""")

    result = invoke("check")

    assert result.stdout.splitlines()[0].split(maxsplit=2)[:2] == ["email", "ok"], result.output


def test_check_says_a_server_that_wants_a_login_refuses_the_sender_when_none_is_set(check_dir, invoke,
                                                                                   submission_server, monkeypatch):
    write_config(check_dir / "config.yaml", f"""
brands: [{{name: Pinebrook Coffee, keywords: [pinebrook]}}]
email: {{sender: alerts@pinebrook.test, recipients: {{alerts: [support@pinebrook.test]}},
        smtp: {{host: 127.0.0.1, port: {submission_server[0]}, security: none, timeout: 5}}}}
""")
    with_login = invoke("check")
    for name in ("BRANDPULSE_SMTP_USERNAME", "BRANDPULSE_SMTP_PASSWORD"):
        monkeypatch.delenv(name)
    without = invoke("check")

    assert with_login.stdout.splitlines()[0].split(maxsplit=2)[:2] == ["email", "ok"], with_login.output
    # Was: 'email ok' (the probe stopped at the greeting), and every email then failed with '530 Authentication
    # required' at MAIL FROM.
    assert without.exit_code == 1
    assert without.stdout.splitlines()[0].split(maxsplit=1) == [
        "email", f"530: SMTP 127.0.0.1:{submission_server[0]}: SMTPSenderRefused: (530, b'5.7.0 Authentication "
        "required', 'alerts@pinebrook.test'); the server asks for a login and none is set: set both variables "
        "(email.smtp.username_env, password_env)"]
    assert submission_server[1].messages == []


@pytest.mark.parametrize("make, why", [
    (lambda path: path.write_text("not a store\n", encoding="utf-8"),
     "is not a SQLite file, so no command can open it"),
    (lambda path: path.mkdir(), "is a folder; give the store's file"),
])
def test_check_fails_on_a_store_file_that_status_and_run_cannot_open(check_dir, invoke, make, why):
    write_config(check_dir / "config.yaml", "brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]\n")
    make(check_dir / "brandpulse.db")

    result = invoke("check")

    # Was: no store line and exit code 0, while `status` and `run` failed on it.
    assert result.exit_code == 1 and result.stdout.splitlines()[0].startswith("store     error: database ")
    assert why in result.stdout.splitlines()[0]


def _store_at_schema(path, version):
    """A store made by this release, then marked as another release's schema `version`."""
    open_db(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {version}")
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in path.parent.iterdir()}


def test_check_fails_on_a_store_of_a_newer_release_and_leaves_it_untouched(check_dir, invoke):
    write_config(check_dir / "config.yaml", "brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]\n")
    before = _store_at_schema(check_dir / "brandpulse.db", SCHEMA_VERSION + 1)

    result = invoke("check", "--format", "json")
    text = invoke("check")
    untouched = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in check_dir.iterdir()} == before
    status = invoke("status")

    # Was: no error and exit code 0 (only the header's first 16 bytes were read), while `status` and `run` failed.
    assert result.exit_code == 1 and json.loads(result.stdout)[0] == {
        "name": "store", "ok": False, "reason": "error", "message":
        f"database {check_dir / 'brandpulse.db'} has schema version {SCHEMA_VERSION + 1}, of a newer brandpulse "
        f"(this one reads up to {SCHEMA_VERSION}): {UPGRADE_BRANDPULSE}"}
    assert text.exit_code == 1 and text.stdout.startswith(f"store     error: database {check_dir / 'brandpulse.db'} ")
    assert untouched
    assert status.exit_code != 0 and f"schema version {SCHEMA_VERSION + 1}" in status.output


def test_check_says_a_store_of_an_older_release_is_upgraded_by_the_next_run(check_dir, invoke):
    write_config(check_dir / "config.yaml", "brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]\n")
    before = _store_at_schema(check_dir / "brandpulse.db", SCHEMA_VERSION - 1)

    result = invoke("check")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split(maxsplit=1) == ["store", (
        f"ok (schema version {SCHEMA_VERSION - 1}, made by an older release: the next `brandpulse run` (or the "
        f"service's start) upgrades it to {SCHEMA_VERSION}; `status` and the other read-only commands refuse it "
        "until then)")]
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in check_dir.iterdir()} == before
