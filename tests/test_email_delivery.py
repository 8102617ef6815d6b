import email
import json
import shlex
import socket
import sqlite3
import ssl
import time
from datetime import datetime, timedelta, timezone
from email import policy

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from brandpulse.store import outbox as store_outbox
from brandpulse.alerts.emails import build_message
from brandpulse.config import load_config
from brandpulse.pipeline import Pipeline
from tests.conftest import write_config

NOW = datetime(2026, 3, 9, 9, tzinfo=timezone.utc)
USER, PASSWORD = "mailer", "s3cret-pw"


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, or answers RCPT/DATA with a chosen refusal."""

    def __init__(self, rcpt_reply=None, data_reply=None):
        self.messages, self.rcpt_reply, self.data_reply = [], rcpt_reply, data_reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def _check_login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    # Not handled: aiosmtpd answers 535 itself. handled=True (its default) sent no reply to a refused login, so
    # smtplib waited out its timeout instead of hearing 535.
    return AuthResult(success=ok, handled=False)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A throw-away CA, the CA file clients trust, and a server context with a certificate for 127.0.0.1."""
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return ca_file, context


def _server(handler, port, security, tls):
    # aiosmtpd only counts STARTTLS as TLS for AUTH; an implicit-TLS (ssl) listener is encrypted anyway.
    options = {"authenticator": _check_login, "auth_require_tls": security == "starttls",
               "auth_exclude_mechanism": ["LOGIN"]}
    if security == "starttls":
        options.update(tls_context=tls[1], require_starttls=True)
    elif security == "ssl":
        options.update(ssl_context=tls[1], server_hostname="127.0.0.1")
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller


def _pipeline(tmp_path, monkeypatch, port, security, tls):
    monkeypatch.setenv("BRANDPULSE_SMTP_USERNAME", USER)
    monkeypatch.setenv("BRANDPULSE_SMTP_PASSWORD", PASSWORD)
    config = write_config(tmp_path / "config.yaml", f"""
brands: [{{name: Acme, keywords: [acme]}}]
email:
  sender: alerts@acme.test
  smtp: {{host: 127.0.0.1, port: {port}, security: {security}, timeout: 5, ca_file: {tls[0]}}}
""")
    return Pipeline(load_config(config), tmp_path / "brandpulse.db")


def _queue(pipeline, subject="Spike", now=NOW, text="text body"):
    message = build_message(subject, "alerts@acme.test", ["support@acme.test"], text, "<p>html body</p>")
    db = pipeline.open()
    try:
        return store_outbox.enqueue(db, "alert", "Acme", subject, ["support@acme.test"], message.as_bytes(), now)
    finally:
        db.close()


def _outbox(tmp_path):
    conn = sqlite3.connect(tmp_path / "brandpulse.db")
    return conn.execute("SELECT status, attempts, next_attempt_at, last_error, delivered_to FROM outbox ORDER BY id").fetchall()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_is_delivered_over_tls_with_the_login_from_the_environment(tmp_path, monkeypatch, tls, security):
    inbox, port = Inbox(), _free_port()
    controller = _server(inbox, port, security, tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, security, tls)
        _queue(pipeline)
        report = pipeline.deliver(NOW)
    finally:
        controller.stop()

    assert report.sent == [f"SMTP 127.0.0.1:{port}"] and report.failed == 0
    sender, recipients, content = inbox.messages[0]
    assert (sender, recipients) == ("alerts@acme.test", ["support@acme.test"])
    assert email.message_from_bytes(content, policy=policy.default)["Subject"] == "Spike"
    assert _outbox(tmp_path)[0][:2] == ("sent", 1)


def test_a_wrong_password_is_refused_at_once_with_535_naming_the_variables_not_the_password(tmp_path, monkeypatch,
                                                                                         tls):
    inbox, port = Inbox(), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        monkeypatch.setenv("BRANDPULSE_SMTP_PASSWORD", "wrong-pw")
        _queue(pipeline)
        started = time.monotonic()
        report = pipeline.deliver(NOW)
        took = time.monotonic() - started
    finally:
        controller.stop()

    # Was: no reply to the refused login, so smtplib waited out email.smtp.timeout (5 s here) and said it timed out.
    assert took < 3 and report.failed == 1 and inbox.messages == []
    status, attempts, _, error, _ = _outbox(tmp_path)[0]
    assert (status, attempts) == ("pending", 1) and "SMTPAuthenticationError: (535" in error
    assert error.endswith("the server refused the login: check the user name in BRANDPULSE_SMTP_USERNAME and the "
                          "password in BRANDPULSE_SMTP_PASSWORD (email.smtp.username_env, password_env)")
    assert "wrong-pw" not in error and PASSWORD not in error


def test_the_date_is_in_utc_and_the_chart_is_shown_inline_not_as_an_attachment():
    message = build_message("Spike", "a@acme.test", ["s@acme.test"], "text", '<img src="cid:c1@x">', {"c1@x": b"png"})

    assert message["Date"].endswith(" +0000")  # "-0000" would mean the sender does not know its zone
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image.get_content_disposition() == "inline" and image["Content-ID"] == "<c1@x>"


def test_a_long_email_reaches_a_server_that_reads_lines_to_crlf(tmp_path, monkeypatch, tls):
    # aiosmtpd, as RFC 5321 asks, ends a line at CRLF only and refuses one over 1,000 bytes: a digest-sized
    # message with bare LFs would be a single line too long.
    text = "\n".join(f"{i}. @user the app double charged me again, order #{1000 + i}" for i in range(60))
    inbox, port = Inbox(), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        _queue(pipeline, text=text)
        report = pipeline.deliver(NOW)
    finally:
        controller.stop()

    assert report.failed == 0 and len(inbox.messages) == 1
    received = email.message_from_bytes(inbox.messages[0][2], policy=policy.default)
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == text


def test_recipients_the_server_refuses_are_logged_while_the_others_get_the_email(tmp_path, monkeypatch, tls, caplog):
    class PickyInbox(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("gone@"):
                return "550 5.1.1 no such mailbox"
            return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    inbox, port = PickyInbox(), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        message = build_message("Spike", "alerts@acme.test", ["support@acme.test"], "text", "<p>html</p>")
        db = pipeline.open()
        store_outbox.enqueue(db, "alert", "Acme", "Spike", ["support@acme.test", "gone@acme.test"],
                             message.as_bytes(), NOW)
        db.close()
        report = pipeline.deliver(NOW)
    finally:
        controller.stop()

    assert report.sent == [f"SMTP 127.0.0.1:{port} (refused: gone@acme.test)"]
    assert inbox.messages[0][1] == ["support@acme.test"]
    assert any(r.levelname == "WARNING" and "refused gone@acme.test" in r.getMessage() and "no such mailbox" in
               r.getMessage() for r in caplog.records)


def _refused_then_accepted(tmp_path, monkeypatch, tls, refusal, refused_at, accepted_at):
    """One queued email, delivered at NOW + each of `refused_at` while the server answers `refusal`, then at NOW +
    each of `accepted_at` once it accepts again: the server's inbox and the delivery reports."""
    inbox, port = Inbox(**refusal), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        _queue(pipeline)
        reports = [pipeline.deliver(NOW + at) for at in refused_at]
        inbox.rcpt_reply = inbox.data_reply = None  # the server accepts again
        reports += [pipeline.deliver(NOW + at) for at in accepted_at]
    finally:
        controller.stop()
    return inbox, reports


@pytest.mark.parametrize("refusal", [{"rcpt_reply": "450 4.2.1 mailbox busy"}, {"data_reply": "451 4.3.0 try later"}])
def test_a_passing_refusal_leaves_the_email_pending_with_a_backoff(tmp_path, monkeypatch, tls, refusal):
    inbox, (first, too_early, later) = _refused_then_accepted(tmp_path, monkeypatch, tls, refusal,
                                                              [timedelta(0), timedelta(seconds=30)],
                                                              [timedelta(seconds=61)])

    assert (first.failed, too_early.failed, len(too_early.sent)) == (1, 0, 0)
    assert len(later.sent) == 1 and len(inbox.messages) == 1
    assert _outbox(tmp_path)[0][:2] == ("sent", 2)


@pytest.mark.parametrize("refusal", [{"rcpt_reply": "550 5.1.1 no such mailbox"},
                                     {"data_reply": "552 5.3.4 message too big"}])
def test_a_permanent_refusal_gives_the_email_up_at_once_instead_of_retrying_for_hours(tmp_path, monkeypatch, tls,
                                                                                    refusal, caplog):
    inbox, (first, later) = _refused_then_accepted(tmp_path, monkeypatch, tls, refusal, [timedelta(0)],
                                                   [timedelta(hours=1)])

    status, attempts, _, error, _ = _outbox(tmp_path)[0]
    assert (first.failed, later.sent, inbox.messages) == (1, [], [])
    assert (status, attempts) == ("failed", 1) and refusal.popitem()[1][:3] in error
    assert any("not delivered, given up" in r.getMessage() for r in caplog.records)


def test_server_gone_for_an_hour_and_a_restart_lose_and_duplicate_nothing(tmp_path, monkeypatch, tls):
    inbox, port = Inbox(), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
    _queue(pipeline, "first")
    assert len(pipeline.deliver(NOW).sent) == 1
    controller.stop()  # the server goes away mid-run, with two more emails to send
    _queue(pipeline, "second")
    _queue(pipeline, "third")

    attempts_while_down = 0
    now = NOW
    while now < NOW + timedelta(hours=1):
        now += timedelta(minutes=1)
        report = pipeline.deliver(now)
        assert report.sent == []
        attempts_while_down += report.failed
    statuses = _outbox(tmp_path)
    assert [s[0] for s in statuses] == ["sent", "pending", "pending"]
    assert attempts_while_down < 2 * 60  # backoff: far fewer tries than the 60 runs

    restarted = Pipeline(pipeline.config, pipeline.db_path)  # a new process, same store
    controller = _server(inbox, port, "starttls", tls)
    try:
        delivered = []
        for _ in range(20):
            now += timedelta(minutes=1)
            delivered += restarted.deliver(now).sent
    finally:
        controller.stop()

    assert len(delivered) == 2
    subjects = [email.message_from_bytes(m[2], policy=policy.default)["Subject"] for m in inbox.messages]
    assert subjects == ["first", "second", "third"]
    assert [s[0] for s in _outbox(tmp_path)] == ["sent", "sent", "sent"]


@pytest.mark.parametrize("unset", ["BRANDPULSE_SMTP_USERNAME", "BRANDPULSE_SMTP_PASSWORD"])
def test_half_an_smtp_login_sends_nothing_keeps_the_email_queued_and_says_so(tmp_path, monkeypatch, tls, unset,
                                                                             caplog):
    inbox, port = Inbox(), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        monkeypatch.delenv(unset)  # _pipeline set both
        pipeline = Pipeline(pipeline.config, tmp_path / "brandpulse.db")
        _queue(pipeline)
        half = pipeline.deliver(NOW)
        stored_error = _outbox(tmp_path)[0][3]
        monkeypatch.setenv(unset, USER if unset.endswith("USERNAME") else PASSWORD)
        whole = pipeline.deliver(NOW + timedelta(minutes=5))
    finally:
        controller.stop()

    assert (half.failed, whole.failed, len(whole.sent)) == (1, 0, 1) and len(inbox.messages) == 1
    key = "email.smtp.username_env" if unset.endswith("USERNAME") else "email.smtp.password_env"
    assert f"the SMTP login is not set: {key} names the environment variable {unset}, which is not set" in caplog.text
    assert f"{key.removeprefix('email.')} names {unset}, which is not set" in stored_error
    assert PASSWORD not in caplog.text
    assert [row[:2] for row in _outbox(tmp_path)] == [("sent", 2)]


def test_an_email_given_up_is_listed_and_sent_again_once_queued_again(tmp_path, monkeypatch, tls, invoke):
    inbox, port = Inbox(rcpt_reply="550 5.1.1 no such mailbox"), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    monkeypatch.setattr("brandpulse.commands.outbox._now", lambda: NOW + timedelta(hours=1))
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        given_up, sent = _queue(pipeline, "given up"), _queue(pipeline, "sent later")
        first = pipeline.deliver(NOW)  # both refused for good
        db = ("--db", tmp_path / "brandpulse.db")
        listed = invoke(*db, "outbox", "list", "--format", "json")
        status = invoke(*db, "status")
        inbox.rcpt_reply = None  # the mailbox was created
        unknown = invoke(*db, "outbox", "retry", str(given_up), "99")
        again = invoke(*db, "outbox", "retry", str(given_up))
        nothing_yet = pipeline.deliver(NOW + timedelta(minutes=59))
        later = pipeline.deliver(NOW + timedelta(hours=1))
        twice = invoke(*db, "outbox", "retry", str(given_up))
    finally:
        controller.stop()

    assert first.failed == 2 and [r["id"] for r in json.loads(listed.stdout)] == [given_up, sent]
    assert "2 given up; `brandpulse outbox list` shows the messages given up, `outbox retry` sends" in status.output
    assert unknown.exit_code == 1 and "no message with id 99; nothing was queued again" in unknown.output
    assert again.exit_code == 0 and again.output.startswith(f"1 message(s) queued again: {given_up};")
    # Was: given up for good, with no way to send it but SQL on the store.
    assert (nothing_yet.sent, len(later.sent)) == ([], 1)
    assert [email.message_from_bytes(m[2], policy=policy.default)["Subject"] for m in inbox.messages] == ["given up"]
    assert [s[0] for s in _outbox(tmp_path)] == ["sent", "failed"]
    assert twice.exit_code == 1 and f"message {given_up} is sent, not given up" in twice.output


def test_run_once_says_a_message_refused_for_good_was_given_up_not_that_it_waits_for_a_retry(tmp_path, monkeypatch,
                                                                                            tls, invoke):
    inbox, port = Inbox(data_reply="554 5.7.1 message refused"), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        _queue(pipeline, "refused")
        result = invoke("--config", tmp_path / "config.yaml", "--db", tmp_path / "brandpulse.db",
                        "run", "--once", "--only", "deliver")
    finally:
        controller.stop()

    last = result.output.rstrip().splitlines()[-1]
    assert result.exit_code == 1 and "0 waiting to be sent, 1 given up" in result.output
    # Was: '...; they wait in the outbox for a retry', of a message no run would ever send again.
    assert "wait in the outbox" not in last
    assert last.startswith("Error: 1 message(s) not delivered (SMTP 127.0.0.1:")
    assert last.endswith("; 1 given up, not retried (refused for good, or on its last attempt): `brandpulse outbox "
                         "list` shows them, `brandpulse outbox retry ID...` queues them again once what failed is "
                         "fixed")
    assert [row[0] for row in _outbox(tmp_path)] == ["failed"]


def test_run_once_tells_the_messages_waiting_for_a_retry_from_those_given_up(tmp_path, monkeypatch, tls, invoke):
    inbox, port = Inbox(), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        refused_for_good = _queue(pipeline, "refused")
        _queue(pipeline, "later")
        db = sqlite3.connect(tmp_path / "brandpulse.db")
        with db:  # a message on its last attempt: the next failure gives it up
            db.execute("UPDATE outbox SET attempts = 59 WHERE id = ?", [refused_for_good])
        inbox.data_reply = "451 4.3.0 try later"
        result = invoke("--config", tmp_path / "config.yaml", "--db", tmp_path / "brandpulse.db",
                        "run", "--once", "--only", "deliver")
    finally:
        controller.stop()

    last = result.output.rstrip().splitlines()[-1]
    assert result.exit_code == 1 and "1 waiting to be sent, 1 given up" in result.output
    assert "; 1 wait in the outbox for a retry, 1 given up, not retried (refused for good, or on its last" in last
    assert [row[0] for row in _outbox(tmp_path)] == ["failed", "pending"]


class InboxClosingBadly(Inbox):
    """Takes the message, then answers QUIT with something other than 221 (a server shutting down)."""

    def __init__(self, quit_reply):
        super().__init__()
        self.quit_reply = quit_reply

    async def handle_QUIT(self, server, session, envelope):
        return self.quit_reply


@pytest.mark.parametrize("quit_reply", ["421 4.3.2 service shutting down", "250 OK"])
def test_an_email_the_server_took_is_not_sent_again_when_its_goodbye_fails(tmp_path, monkeypatch, tls, quit_reply):
    inbox, port = InboxClosingBadly(quit_reply), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        _queue(pipeline, "storm")
        first = pipeline.deliver(NOW)
        later = pipeline.deliver(NOW + timedelta(minutes=5))
    finally:
        controller.stop()

    # Was: the QUIT's reply failed the delivery, the message was queued for a retry and support got it twice.
    assert len(inbox.messages) == 1
    assert (len(first.sent), first.failed, later.sent) == (1, 0, [])
    assert [row[:2] for row in _outbox(tmp_path)] == [("sent", 1)]


class InboxWithFullMailbox(Inbox):
    """Refuses one recipient for now (452: its mailbox is full, or too many recipients) while it takes the others."""

    def __init__(self, busy):
        super().__init__()
        self.busy = busy

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.busy:
            return "452 4.2.2 mailbox full, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_recipient_refused_for_now_gets_the_email_later_and_the_others_get_it_once(tmp_path, monkeypatch, tls):
    inbox, port = InboxWithFullMailbox({"lead@acme.test"}), _free_port()
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
        message = build_message("Spike", "alerts@acme.test", ["support@acme.test", "lead@acme.test"], "t", "<p>h</p>")
        db = pipeline.open()
        try:
            store_outbox.enqueue(db, "alert", "Acme", "Spike", ["support@acme.test", "lead@acme.test"],
                                 message.as_bytes(), NOW)
        finally:
            db.close()
        first = pipeline.deliver(NOW)
        too_early = pipeline.deliver(NOW + timedelta(seconds=30))
        inbox.busy = set()  # the lead's mailbox has room again
        later = pipeline.deliver(NOW + timedelta(minutes=2))
        again = pipeline.deliver(NOW + timedelta(hours=1))
    finally:
        controller.stop()

    # Was: marked sent for both, so the lead never got the alert.
    assert [recipients for _, recipients, _ in inbox.messages] == [["support@acme.test"], ["lead@acme.test"]]
    assert (len(first.sent), first.failed, too_early.sent, len(later.sent), again.sent) == (1, 1, [], 1, [])
    rows = _outbox(tmp_path)
    assert [row[0] for row in rows] == ["sent", "sent"]
    assert [row[4] for row in rows] == [f"SMTP 127.0.0.1:{port} (refused: lead@acme.test)", f"SMTP 127.0.0.1:{port}"]
    assert [row[1] for row in rows] == [1, 2]  # the copy's attempts go on from the first one's: so does its backoff


def _outage(tmp_path, monkeypatch, tls):
    """An email that failed with the server down, waiting for its retry; the server back up, on the same port."""
    inbox, port = Inbox(), _free_port()
    pipeline = _pipeline(tmp_path, monkeypatch, port, "starttls", tls)
    item_id = _queue(pipeline, "Spike while the server was down")
    failed = pipeline.deliver(NOW)
    return pipeline, item_id, failed, inbox, port


def test_status_says_why_an_email_waits_for_a_retry_which_outbox_list_does_not_show(tmp_path, monkeypatch, tls,
                                                                                    invoke):
    pipeline, item_id, failed, inbox, port = _outage(tmp_path, monkeypatch, tls)
    controller = _server(inbox, port, "starttls", tls)
    try:
        pipeline.deliver(NOW + timedelta(seconds=30))  # a run in the backoff: it attempts nothing, and fails nothing
    finally:
        controller.stop()
    db = ("--config", tmp_path / "config.yaml", "--db", tmp_path / "brandpulse.db")
    text, report = invoke(*db, "status"), json.loads(invoke(*db, "status", "--format", "json").output)

    assert failed.failed == 1 and inbox.messages == []
    # Was: only 'deliver ... ok' and '1 email(s) waiting': nothing said that the server refused the connection.
    assert (f"Retrying: 1 message(s) to email failed and wait for a retry, the next at 2026-03-09T09:01:00Z; "
            f"last error: SMTP 127.0.0.1:{port}: ConnectionRefusedError") in text.output
    assert report["retrying"] == {"email": {"waiting": 1, "next_at": "2026-03-09T09:01:00Z",
                                            "last_error": _outbox(tmp_path)[0][3]}}
    assert PASSWORD not in text.output



def test_run_once_fails_while_an_email_waits_out_its_backoff_and_passes_once_it_is_sent(tmp_path, monkeypatch, tls,
                                                                                        invoke):
    pipeline, item_id, failed, inbox, port = _outage(tmp_path, monkeypatch, tls)
    run_once = ("--config", tmp_path / "config.yaml", "--db", tmp_path / "brandpulse.db", "run", "--once", "--only",
                "deliver")
    monkeypatch.setattr("brandpulse.cli._now", lambda: NOW + timedelta(seconds=30))  # inside the 60 s backoff
    waiting = invoke(*run_once)
    monkeypatch.setattr("brandpulse.cli._now", lambda: NOW + timedelta(minutes=2))
    controller = _server(inbox, port, "starttls", tls)
    try:
        sent = invoke(*run_once)
    finally:
        controller.stop()

    # Was: exit code 0 and '0 failed; 1 waiting to be sent', so cron heard of the outage only from the runs that
    # happened to attempt the email.
    last = waiting.output.rstrip().splitlines()[-1]
    assert failed.failed == 1 and waiting.exit_code == 1 and "0 failed; 1 waiting to be sent" in waiting.output
    assert last.startswith("Error: 1 message(s) wait for a retry after a failed attempt, delivery not yet recovered "
                           f"(email: 1, the next at 2026-03-09T09:01:00Z, last error: SMTP 127.0.0.1:{port}: "
                           "ConnectionRefusedError")
    assert last.endswith("`brandpulse status` shows them, `brandpulse outbox retry --all` sends them at the next "
                         "delivery once what failed is fixed")
    assert sent.exit_code == 0, sent.output
    assert len(inbox.messages) == 1 and _outbox(tmp_path)[0][:2] == ("sent", 2)


def test_outbox_retry_sends_an_email_waiting_for_its_backoff_at_the_next_delivery(tmp_path, monkeypatch, tls, invoke):
    pipeline, item_id, failed, inbox, port = _outage(tmp_path, monkeypatch, tls)
    monkeypatch.setattr("brandpulse.commands.outbox._now", lambda: NOW + timedelta(seconds=20))
    controller = _server(inbox, port, "starttls", tls)
    try:
        retried = invoke("--db", tmp_path / "brandpulse.db", "outbox", "retry", "--all")
        sent = pipeline.deliver(NOW + timedelta(seconds=20))
    finally:
        controller.stop()

    # Was: '0 message(s) queued again' (and 'retry ID': 'message 1 is waiting to be sent, not given up'), so an
    # operator who fixed the server could only wait out the backoff, up to 15 minutes.
    assert retried.exit_code == 0 and retried.output.startswith(f"1 message(s) queued again: {item_id};")
    assert len(sent.sent) == 1 and len(inbox.messages) == 1
    assert _outbox(tmp_path)[0][:2] == ("sent", 1)


def test_the_command_outbox_retry_names_to_send_now_sends_and_ends(tmp_path, monkeypatch, tls, invoke):
    pipeline, item_id, failed, inbox, port = _outage(tmp_path, monkeypatch, tls)
    db = pipeline.open()
    store_outbox.mark_failed(db, item_id, "550 no such mailbox", None)  # given up
    db.close()
    controller = _server(inbox, port, "starttls", tls)
    try:
        retried = invoke("--db", tmp_path / "brandpulse.db", "outbox", "retry", str(item_id))
        named = shlex.split(retried.output.partition("`brandpulse ")[2].partition("`")[0])
        # Was: '`brandpulse run --only deliver` sends them now', which starts the service: it never ends.
        assert named == ["run", "--once", "--only", "deliver"]
        sent = invoke("--config", tmp_path / "config.yaml", "--db", tmp_path / "brandpulse.db", *named)
    finally:
        controller.stop()

    assert sent.exit_code == 0 and "1 delivered" in sent.output and len(inbox.messages) == 1
