import email
import os
import stat
from datetime import datetime, timezone
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from brandpulse.store import outbox as store_outbox
from brandpulse.alerts.base import Alert
from brandpulse.alerts.emails import alert_email
from brandpulse.alerts.transports import FileTransport
from brandpulse.cli import cli
from brandpulse.store import open_db, transaction
from tests.conftest import write_config
from tests.test_hardening_outages import _free_port

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
# Every environment variable the project reads a credential from (collectors of issue 4 included).
SECRETS = {
    "TWITTER_BEARER_TOKEN": "tw-bearer-5ecret-A1",
    "REDDIT_CLIENT_ID": "rd-client-5ecret-B2",
    "REDDIT_CLIENT_SECRET": "rd-secret-5ecret-C3",
    "REDDIT_USERNAME": "rd-user-5ecret-D4",
    "REDDIT_PASSWORD": "rd-pass-5ecret-E5",
    "REDDIT_USER_AGENT": "rd-agent-5ecret-H8",
    "MASTODON_ACCESS_TOKEN": "md-token-5ecret-I9",
    "BRANDPULSE_SMTP_USERNAME": "smtp-user-5ecret-F6",
    "BRANDPULSE_SMTP_PASSWORD": "smtp-pass-5ecret-G7",
}


@pytest.fixture
def private_umask():
    previous = os.umask(0o022)  # a typical server umask: group and others could read what we create
    yield
    os.umask(previous)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_and_shm_files_are_readable_by_the_owner_only(tmp_path, private_umask):
    path = tmp_path / "store" / "b.db"
    db = open_db(path)
    with transaction(db):
        db.execute("INSERT INTO state (key, value) VALUES ('k', 'v')")

    modes = {p.name: _mode(p) for p in path.parent.iterdir()}
    db.close()

    assert modes == {"b.db": 0o600, "b.db-wal": 0o600, "b.db-shm": 0o600}


def test_the_outbox_folder_and_its_emails_are_readable_by_the_owner_only(tmp_path, private_umask):
    written = FileTransport(tmp_path / "outbox").send(b"Subject: x\r\n\r\nbody", "a@b", ["c@d"], "mail-1")

    assert _mode(tmp_path / "outbox") == 0o700
    assert _mode(tmp_path / "outbox" / "mail-1.eml") == 0o600 and written.endswith("mail-1.eml")


def _alert(brand="Acme"):
    return Alert("spike", brand, NOW, NOW, 9, 1, 3, 4.0, "9 detractors, usually 1")


def test_an_outbox_folder_that_cannot_be_made_is_a_delivery_error_retried_with_a_backoff(tmp_path):
    from brandpulse.alerts.base import DeliveryError

    (tmp_path / "afile").write_text("not a folder")

    with pytest.raises(DeliveryError, match="cannot write .*afile/sub"):
        FileTransport(tmp_path / "afile" / "sub").send(b"Subject: x\r\n\r\nbody", "a@b", ["c@d"], "mail-1")


def test_mention_text_is_escaped_in_the_html_email():
    hostile = [{"source": "x", "author": "<b>eve</b>", "text": '<script>alert(1)</script><img src=x onerror="y">',
                "url": "javascript:alert(1)", "created_at": "2026-03-02T08:00:00Z", "score": -0.9}]

    message = alert_email(_alert(), "bp@example.com", ["ops@example.com"], hostile)
    html = message.get_body(("html",)).get_content()

    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>eve</b>" not in html


def test_a_brand_name_with_line_breaks_cannot_inject_email_headers():
    message = alert_email(_alert("Acme\r\nBcc: victim@example.com\r\n"), "bp@example.com\nCc: x@y",
                          ["ops@example.com\r\nBcc: z@example.com"], [])

    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)

    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert "\n" not in parsed["Subject"] and parsed["Subject"].startswith("[brandpulse] Negative spike: Acme Bcc")


def _scan(tmp_path, texts):
    found = []
    blobs = [("output", t) for t in texts]
    blobs += [(p.name, p.read_bytes().decode("utf-8", "replace")) for p in tmp_path.rglob("*") if p.is_file()]
    for where, blob in blobs:
        found += [f"{name} in {where}" for name, value in SECRETS.items() if value in blob]
    return found


def _enqueue(path):
    db = open_db(path)
    with transaction(db):
        store_outbox.enqueue(db, "alert", "Acme", "spike", ["ops@example.com"], b"Subject: s\r\n\r\nb\r\n", NOW)
    db.close()


def test_secrets_from_the_environment_never_reach_logs_database_outbox_or_error_messages(tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = Controller(Sink(), hostname="127.0.0.1", port=port, auth_require_tls=False,
                        authenticator=lambda *args: AuthResult(success=False, handled=False))
    base = "brands: [{name: Acme, keywords: [acme]}]\ncollectors: [{type: replay, name: feed, path: gone.jsonl}]\n"
    smtp = write_config(tmp_path / "smtp.yaml", base + f"email: {{smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 3}}}}\n")
    files = write_config(tmp_path / "files.yaml", base)
    _enqueue(tmp_path / "brandpulse.db")

    server.start()
    try:
        # Rejected login: the error is recorded in the outbox, the email stays queued.
        with_smtp = CliRunner().invoke(cli, ["-vv", "--config", smtp, "run", "--once"])
    finally:
        server.stop()
    _enqueue(tmp_path / "brandpulse.db")  # the failed one waits for its backoff; this one goes out now
    with_files = CliRunner().invoke(cli, ["-vv", "--log-format", "json", "--config", files, "run", "--once"])
    errors = [str(r.exception) for r in (with_smtp, with_files) if r.exception]

    assert "collector feed:Acme failed" in with_smtp.output and "AUTH" in with_smtp.output.upper()
    assert list((tmp_path / "outbox").glob("*.eml")), "the second email should have gone to the outbox folder"
    assert _scan(tmp_path, [with_smtp.output, with_files.output, *errors]) == []


def test_an_error_that_quotes_a_secret_is_stored_masked(tmp_path, monkeypatch):
    secret = SECRETS["TWITTER_BEARER_TOKEN"]
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", secret)
    # The replay file's name holds the secret, so the collector's error message quotes it.
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]}]\n"
                          f"collectors: [{{type: replay, name: feed, path: {secret}.jsonl}}]\n")

    result = CliRunner().invoke(cli, ["--config", config, "run", "--once"])

    db = open_db(tmp_path / "brandpulse.db")
    (collector_error,) = [row[0] for row in db.execute("SELECT last_error FROM collector_state")]
    job_errors = [row[0] for row in db.execute("SELECT last_error FROM job_runs WHERE last_error IS NOT NULL")]
    assert "***.jsonl" in collector_error and secret not in collector_error
    assert job_errors and all(secret not in error for error in job_errors)
    # The summary `run --once` prints names the failure as the log does: masked.
    assert "collector feed:Acme failed" in result.output and "***.jsonl" in result.output
    assert secret not in result.output


def test_a_feed_url_with_a_password_in_the_config_is_refused_without_quoting_it(tmp_path):
    from brandpulse.config import ConfigError, load_config

    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]}]\n"
                          "collectors: [{type: feed, url: 'https://me:pa55word-x@reviews.example.com/acme.atom'}]\n")

    with pytest.raises(ConfigError) as raised:
        load_config(config)

    assert "collectors.0.url: must not contain a password" in str(raised.value)
    assert "pa55word" not in str(raised.value)


def test_channel_urls_and_their_tokens_never_reach_logs_database_or_error_messages(tmp_path, monkeypatch):
    from brandpulse.alerts.chat import ChatMessage
    from brandpulse.channels import queue_chat, resolve_channels
    from brandpulse.config import load_config
    from tests.local_http import LocalServer, Reply

    server = LocalServer()
    server.route("/services/T0KEN5ecret/B2hook5ecret", Reply(500, b"token T0KEN5ecret rejected"))
    host = server.url.split("://")[1]
    urls = {"CHAT_A_URL": f"json://{host}/services/T0KEN5ecret/B2hook5ecret",
            "CHAT_B_URL": f"json://user5ecret:pass5ecret@127.0.0.1:{_free_port()}/hooks/5ecretDownToken"}
    for name, url in urls.items():
        monkeypatch.setenv(name, url)
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]}]\nchannels:\n"
                          "  - {name: team-a, url_env: CHAT_A_URL}\n  - {name: team-b, url_env: CHAT_B_URL}\n")
    db = open_db(tmp_path / "brandpulse.db")
    with transaction(db):
        queue_chat(db, resolve_channels(load_config(config)), "alerts", "Acme", ChatMessage("spike", "body"), NOW)
    db.close()

    try:
        runs = [CliRunner().invoke(cli, [*flags, "--config", config, "run", "--once"])
                for flags in (["-vv"], ["-vv", "--log-format", "json"])]
        status = CliRunner().invoke(cli, ["--config", config, "status", "--format", "json"])
    finally:
        server.close()
    texts = [r.output for r in (*runs, status)] + [str(r.exception) for r in runs if r.exception]
    blobs = texts + [p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]

    assert server.requests, "the failing endpoint should have been tried"
    assert "team-a" in runs[0].output and "not delivered" in runs[0].output
    leaks = [piece for piece in ("5ecret", host + "/services") if any(piece in blob for blob in blobs)]
    assert leaks == []


def test_an_email_file_never_writes_through_a_symlink_planted_in_the_outbox(tmp_path):
    outbox, victim = tmp_path / "outbox", tmp_path / "victim.txt"
    outbox.mkdir()
    victim.write_text("precious content")
    (outbox / ".mail-1.eml.partial").symlink_to(victim)  # planted at the name the next email is written under
    (outbox / "mail-1.eml").symlink_to(victim)

    written = FileTransport(outbox).send(b"Subject: x\r\n\r\nbody", "a@b", ["c@d"], "mail-1")

    assert victim.read_text() == "precious content"
    assert not os.path.islink(written) and open(written, "rb").read().endswith(b"body")


def test_exports_and_previews_are_readable_by_the_owner_only_as_the_store_is(tmp_path, private_umask):
    from tests.store_seed import mention, seed

    now = datetime.now(timezone.utc)
    store = seed(tmp_path / "s.db", [mention(1, "Pinebrook order never came", now, "negative")])
    config = write_config(tmp_path / "c.yaml", "brands: [{name: Pinebrook Coffee, keywords: [pinebrook]}]\n")
    runner = CliRunner()

    runner.invoke(cli, ["--db", str(store), "export", "--format", "csv", "-o", str(tmp_path / "out.csv")])
    runner.invoke(cli, ["--config", str(config), "--db", str(store), "digest", "--date", now.date().isoformat(),
                        "--preview", str(tmp_path / "d.html")])

    for written in ("out.csv", "d.html"):
        assert stat.S_IMODE((tmp_path / written).stat().st_mode) == 0o600, written
