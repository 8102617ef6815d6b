"""Email transports: SMTP (STARTTLS, SSL or plain) and `.eml` files in a folder."""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from brandpulse.alerts.base import DeliveryError, RecipientsDeferred, RefusedForGood

log = logging.getLogger(__name__)

# Any line ending: SMTP wants CRLF on the wire (RFC 5321), and smtplib sends bytes as they are.
_LINE_END = re.compile(rb"\r\n|\r|\n")


def _refused_for_good(exc: Exception) -> bool:
    """A 5xx reply to the sender, every recipient or the message: the server will refuse it again (RFC 5321 4.2.1).
    53x replies (authentication, TLS required) are left to retry, as they are fixed in the server's settings."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
    elif isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        codes = [exc.smtp_code]
    else:
        return False
    return bool(codes) and all(500 <= code < 600 and code // 10 != 53 for code in codes)


class FileTransport:
    """Writes each email as an `.eml` file, for demos and for servers without SMTP."""

    def __init__(self, folder: Path):
        self.folder = folder

    def describe(self) -> str:
        """Where the emails go, for summaries."""
        return f"files in {self.folder}"

    def probe(self, sender: str | None = None) -> None:
        """Raise `DeliveryError` unless emails can be written to the folder (or it can be created); writes nothing."""
        existing = self.folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise DeliveryError(f"cannot write emails to {self.folder}: {existing} is not a writable folder")

    def send(self, message: bytes, sender: str, recipients: list[str], name: str) -> str:
        """Write the message atomically as `<name>.eml`, readable by the owner only; return its path."""
        target = self.folder / f"{name}.eml"
        partial = self.folder / f".{name}.eml.partial"
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # A fresh file, never one found there: another user able to write the folder could have put a symlink
            # at that name, and O_TRUNC would have emptied its target. The rename below replaces a link, not its target.
            partial.unlink(missing_ok=True)
            descriptor = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(message)
            os.replace(partial, target)
        except OSError as exc:
            raise DeliveryError(f"cannot write {target}: {exc.strerror}") from exc
        return str(target)


class SmtpTransport:
    """Sends through an SMTP server; credentials come from the environment, never from the config file."""

    def __init__(
        self, host: str, port: int, security: str, username: str | None, password: str | None,
        timeout: float = 30.0, ca_file: Path | None = None,
        login_from: tuple[str, str] = ("BRANDPULSE_SMTP_USERNAME", "BRANDPULSE_SMTP_PASSWORD"),
    ):
        self.host, self.port, self.security = host, port, security
        self._username, self._password, self._timeout = username, password, timeout
        self._ca_file, self._login_from = ca_file, login_from

    def _tls(self) -> ssl.SSLContext:
        # A private CA (ca_file) for servers with an in-house certificate; the system store otherwise.
        return ssl.create_default_context(cafile=str(self._ca_file) if self._ca_file else None)

    def describe(self) -> str:
        """Where the emails go, for summaries."""
        return f"SMTP {self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=self._tls())
        client = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        if self.security == "starttls":
            client.starttls(context=self._tls())
        return client

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        """A connected, logged-in session; any failure in it becomes a `DeliveryError`."""
        if bool(self._username) != bool(self._password):
            # Half a login: sending without one, or with an empty password, is never what was meant. The message
            # stays queued for when both are set.
            given, missing = ("user name", "password") if self._username else ("password", "user name")
            key, variable = ("password_env", self._login_from[1]) if self._username else ("username_env",
                                                                                           self._login_from[0])
            raise DeliveryError(f"SMTP {self.host}:{self.port}: the login has a {given} but no {missing}: "
                                f"email.smtp.{key} names {variable}, which is not set; set both variables "
                                "(email.smtp.username_env, password_env) or neither")
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise self._failure(exc) from exc
        try:
            if self._username and self._password:
                client.login(self._username, self._password)
            yield client
        except (OSError, smtplib.SMTPException) as exc:
            raise self._failure(exc) from exc
        finally:
            self._leave(client)

    def _failure(self, exc: Exception) -> DeliveryError:
        # The exception text never holds the credentials; keep only its class and message.
        error = RefusedForGood if _refused_for_good(exc) else DeliveryError
        wants_login = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 530 and not self._username
        return error(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                     + ("; the server asks for a login and none is set: set both variables (email.smtp.username_env, "
                        "password_env)" if wants_login else "") + self._login_hint(exc))

    def _login_hint(self, exc: Exception) -> str:
        # Names the variables, never their values: the operator fixes the login where it comes from.
        if not isinstance(exc, smtplib.SMTPAuthenticationError):
            return ""
        user, password = self._login_from
        return (f"; the server refused the login: check the user name in {user} and the password in {password} "
                "(email.smtp.username_env, password_env)")

    def _leave(self, client: smtplib.SMTP) -> None:
        """Say QUIT and close. Its reply is no part of the delivery: a server that took the message and answers QUIT
        with a 421 (shutting down) still delivers it, and a retry would send it twice (smtplib's `with` raised)."""
        try:
            client.quit()
        except (OSError, smtplib.SMTPException) as exc:
            log.debug("SMTP %s:%s: QUIT failed (%s: %s)", self.host, self.port, type(exc).__name__, exc)
        finally:
            client.close()

    def probe(self, sender: str | None = None) -> None:
        """Connect, secure and log in as configured, and offer `sender` (MAIL FROM, then RSET), then leave; nothing is
        sent. Raises `DeliveryError`."""
        with self._session() as client:
            if sender is None:
                client.noop()
                return
            # A submission server asks for its login at MAIL FROM, not at the greeting: without this, a missing
            # login (or a sender the login may not use) passed the probe and failed every email.
            client.ehlo_or_helo_if_needed()
            code, reply = client.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)  # _session makes it a DeliveryError
            client.rset()

    def send(self, message: bytes, sender: str, recipients: list[str], name: str) -> str:
        """Deliver the message to all recipients or raise `DeliveryError`."""
        with self._session() as client:
            # Messages are stored with the generator's bare LFs: a server that reads to CRLF would see one line
            # of the whole message ("500 Line too long"), and Postfix refuses bare LFs outright.
            refused = client.sendmail(sender, recipients, _LINE_END.sub(b"\r\n", message))
        if not refused:
            return f"SMTP {self.host}:{self.port}"
        # The others got it: retrying would send them a duplicate, so report the refusals with the delivery.
        reasons = "; ".join(f"{address}: {code} {reply.decode('utf-8', 'replace')}"
                            for address, (code, reply) in sorted(refused.items()))
        log.warning("SMTP %s:%s refused %s (the other recipients got the email): %s", self.host, self.port,
                    ", ".join(sorted(refused)), reasons)
        where = f"SMTP {self.host}:{self.port} (refused: {', '.join(sorted(refused))})"
        # A 4xx is for now (a full mailbox, 452 too many recipients): those recipients get it on a retry of their own.
        deferred = sorted(address for address, (code, _) in refused.items() if 400 <= code < 500)
        if deferred:
            raise RecipientsDeferred(where, deferred, f"SMTP {self.host}:{self.port} refused for now: {reasons}")
        return where


def retry_at(attempts: int, now: datetime, give_up_after: int = 60) -> datetime | None:
    """When to try again after `attempts` failures: 30 s doubling up to 15 min; None once it is time to give up."""
    if attempts >= give_up_after:
        return None
    return now + timedelta(seconds=min(30 * 2 ** min(attempts, 10), 900))
