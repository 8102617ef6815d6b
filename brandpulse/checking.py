"""`brandpulse check`: try every configured collector, delivery channel and sentiment model once, at the same time,
storing nothing.

A probe is a name, a time limit and a function that raises when the component cannot work; each family of
components (collectors, email, chat channels) contributes its probes through one function in `PROBE_FAMILIES`.
"""

from __future__ import annotations

import functools
import json
import os
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from brandpulse import factory
from brandpulse.collectors.base import BrandQuery, CollectorError, HttpStatusError, MalformedPayload
from brandpulse.config import CollectorConfig, Config, looks_like_secret
from brandpulse.logging_setup import mask, secret_values
from brandpulse.sentiment.router import OTHER_LANGUAGES

DEFAULT_TIMEOUT_S = 30.0
GRACE_S = 2.0  # on top of a probe's own timeout: connecting, TLS and parsing are not covered by it


class ProbeError(Exception):
    """A probe failed; its cause says how."""


@dataclass(frozen=True)
class Probe:
    """One component to try once: `run` raises when it cannot work; `missing` credentials mean it is not run."""

    name: str
    timeout: float
    run: Callable[[], str | None]  # may return a note: what an ok probe could not check
    missing: tuple[str, ...] = ()
    why: str = ""  # what to do about `missing`, where 'set NAME in the environment' would not say it


@dataclass(frozen=True)
class Outcome:
    """How a probe went: `reason` is None when it worked, else a short cause (timeout, refused, DNS, 401, ...)."""

    name: str
    reason: str | None = None
    message: str = ""


def _collector_probe(settings: CollectorConfig, queries: list[BrandQuery], now: datetime,
                     env: Mapping[str, str]) -> Probe:
    def run() -> None:
        collector = factory.build_collector(settings, now, env)
        for query in queries:
            try:
                collector.probe(query)
            except CollectorError as exc:
                raise ProbeError(f"{query.brand}: {exc}" if len(queries) > 1 else str(exc)) from exc

    return Probe(settings.name, getattr(settings, "timeout", DEFAULT_TIMEOUT_S), run,
                 tuple(factory.missing_credentials(settings, env)))


def collector_probes(config: Config, now: datetime, env: Mapping[str, str]) -> list[Probe]:
    """One probe per configured collector, asking for one page for each brand."""
    queries = factory.brand_queries(config)
    return [_collector_probe(settings, queries, now, env) for settings in config.collectors]


def email_probes(config: Config, now: datetime, env: Mapping[str, str]) -> list[Probe]:
    """The email transport: a session with the SMTP server (login included, nothing sent), or the outbox folder."""
    transport = factory.email_transport(config, env)
    timeout = config.email.smtp.timeout if config.email.smtp else DEFAULT_TIMEOUT_S
    from brandpulse.channels import resolve_channels

    channels = resolve_channels(config, env)
    unheard = [brand.name for brand in config.brands if not config.recipients(brand.name, "alerts")
               and not any(channel.wants("alerts", brand.name) for channel in channels)]
    smtp = config.email.smtp
    in_clear = smtp is not None and smtp.security == "none" and bool(factory.credential(env, smtp.username_env))

    def run() -> str | None:
        transport.probe(config.email.sender)
        # Not failures (a digest-only set-up, a relay on the same host), but what the operator should know.
        notes = [f"no one receives the alerts of {', '.join(unheard)}: add email recipients or a channel"
                 ] if unheard else []
        if in_clear:
            notes.append("the SMTP login goes unencrypted (security: none); use starttls or ssl beyond this host")
        return "; ".join(notes) or None

    # Half a login (the user without the password, or the other way) is a mistake: reported, not tried.
    unset = factory.smtp_login_unset(config, env)
    return [Probe("email", timeout, run, tuple(unset), "; ".join(unset))]


def channel_probes(config: Config, now: datetime, env: Mapping[str, str]) -> list[Probe]:
    """Each chat channel: its URL set and accepted by apprise, its webhook host reachable; no message is sent."""
    from brandpulse.alerts.channels import CALL_TIMEOUT_S, probe
    from brandpulse.channels import resolve_channels

    # A url_env that looks like a secret is said so, never shown as a variable to set.
    return [Probe(f"channel {c.name}", CALL_TIMEOUT_S, functools.partial(probe, c.name, c.url or "", CALL_TIMEOUT_S),
                  () if c.url else (c.url_env,), c.disabled if looks_like_secret(c.url_env) else "")
            for c in resolve_channels(config, env)]


def store_probes(config: Config, now: datetime, env: Mapping[str, str]) -> list[Probe]:
    """A database server store (BRANDPULSE_DB or store.url): reachable with these credentials; a file needs none."""
    from brandpulse.store.backend import is_url
    from brandpulse.store.db import probe_server

    target = env.get("BRANDPULSE_DB") or config.store.url
    if is_url(target):
        return [Probe("store", DEFAULT_TIMEOUT_S, functools.partial(probe_server, target))]
    # A file that is there must open (not a folder, a SQLite file, a schema this version reads): `status` and `run`
    # failed on one that `check` passed. One not there yet is made by the first `run` or `ingest`.
    path = Path(target or config.store.path)
    return [Probe("store", DEFAULT_TIMEOUT_S, functools.partial(_open_file, path))] if path.exists() else []


SQLITE_HEADER = b"SQLite format 3\x00"
USER_VERSION_AT = slice(60, 64)  # the header's PRAGMA user_version, where store/migrations.py keeps the schema version


def _open_file(path: Path) -> str | None:
    # Its header, not a connection: opening a WAL store, even read-only, leaves -wal and -shm files beside it.
    if path.is_dir():
        raise ProbeError(f"database {path} is a folder; give the store's file, such as {path / 'brandpulse.db'}")
    with path.open("rb") as file:
        head = file.read(USER_VERSION_AT.stop)
    if head and not head.startswith(SQLITE_HEADER):  # an empty file is a store not yet made
        raise ProbeError(f"database {path} is not a SQLite file, so no command can open it; give the store's file "
                         "(--db, BRANDPULSE_DB or store.path), or move this one away to make a new store there")
    if len(head) < USER_VERSION_AT.stop:
        return None
    return _schema_note(path, int.from_bytes(head[USER_VERSION_AT], "big"))


def _schema_note(path: Path, version: int) -> str | None:
    """None for a store at this release's schema (or none yet); a note for an older one; ProbeError for a newer."""
    from brandpulse.store.errors import UPGRADE_BRANDPULSE
    from brandpulse.store.migrations import SCHEMA_VERSION

    if version > SCHEMA_VERSION:
        # `status` and `run` refuse it (migrate): `check` passed it, reading only the first 16 bytes.
        raise ProbeError(f"database {path} has schema version {version}, of a newer brandpulse (this one reads up to "
                         f"{SCHEMA_VERSION}): {UPGRADE_BRANDPULSE}")
    if 0 < version < SCHEMA_VERSION:
        return (f"schema version {version}, made by an older release: the next `brandpulse run` (or the service's "
                f"start) upgrades it to {SCHEMA_VERSION}; `status` and the other read-only commands refuse it "
                "until then")
    return None


MODEL_LOAD_TIMEOUT_S = 180.0  # the bundled model's first load exports it to ONNX (about 15 s here, more on slow disks)


def model_probes(config: Config, now: datetime, env: Mapping[str, str]) -> list[Probe]:
    """Each configured sentiment model (one probe per model, naming its languages): loaded as the classify job
    loads it, offline; a wrong path or an id missing from the Hugging Face cache fails here, not at the first
    mention in that language."""
    settings = config.sentiment
    languages: dict[str, list[str]] = {}
    for lang, spec in settings.model_map().items():
        languages.setdefault(spec, []).append(lang)

    def load(spec: str) -> str:
        classifier = factory.classifier(settings, spec)
        return f"{classifier.name} {classifier.version}"

    def named(lang: str) -> str:
        return "other languages" if lang == OTHER_LANGUAGES else lang

    return [Probe(f"model {', '.join(map(named, langs))}", MODEL_LOAD_TIMEOUT_S, functools.partial(load, spec))
            for spec, langs in languages.items()]


PROBE_FAMILIES: tuple[Callable[[Config, datetime, Mapping[str, str]], list[Probe]], ...] = (
    store_probes, collector_probes, email_probes, channel_probes, model_probes,
)


def probes(config: Config, now: datetime, env: Mapping[str, str] = os.environ) -> list[Probe]:
    """Every probe of the configuration, in the order `check` prints them."""
    return [probe for family in PROBE_FAMILIES for probe in family(config, now, env)]


def _linked(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps: causes, contexts, and what urllib3 and prawcore keep aside."""
    seen: list[BaseException] = []
    pending: list[object] = [exc]
    while pending and len(seen) < 50:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        yield item
        pending += [item.__cause__, item.__context__, getattr(item, "reason", None),
                    getattr(item, "original_exception", None), *item.args]


def _status(exc: BaseException) -> str | None:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "login refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return str(exc.smtp_code)
    if isinstance(exc, HttpStatusError):
        return str(exc.status)
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return str(status) if isinstance(status, int) and status >= 400 else None


def _is_parse_error(exc: BaseException) -> bool:
    return isinstance(exc, MalformedPayload | json.JSONDecodeError) or type(exc).__name__ == "BadJSON"


# Network failures first, in this order, wherever they sit in the chain: a timeout wrapped in a connection error
# is a timeout. urllib3's and requests' classes are matched by name so that this module needs neither.
_NETWORK: tuple[tuple[str, Callable[[BaseException], bool]], ...] = (
    ("DNS", lambda e: isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError"),
    ("refused", lambda e: isinstance(e, ConnectionRefusedError)),
    ("timeout", lambda e: isinstance(e, TimeoutError) or "Timeout" in type(e).__name__),
    ("TLS", lambda e: isinstance(e, ssl.SSLError)),
)


def failure_reason(exc: BaseException) -> str:
    """A short cause of a failed probe: DNS, refused, timeout, TLS, an HTTP or SMTP status, parse error, or error."""
    chain = list(_linked(exc))
    for kind, matches in _NETWORK:
        if any(matches(e) for e in chain):
            return kind
    for e in chain:
        if status := _status(e):
            return status
    return "parse error" if any(_is_parse_error(e) for e in chain) else "error"


def _outcome(probe: Probe, error: BaseException | None, note: str) -> Outcome:
    if error is None:
        return Outcome(probe.name, message=note)
    # An error may quote a URL or header that holds a credential: masked like every log line.
    return Outcome(probe.name, failure_reason(error), mask(str(error) or type(error).__name__, secret_values()))


def run_probes(probes: list[Probe], grace: float = GRACE_S) -> list[Outcome]:
    """Run every probe at once; one that is not done within its timeout (plus `grace`) is reported as a timeout."""
    errors: dict[int, BaseException | None] = {}
    notes: dict[int, str] = {}

    def attempt(index: int, probe: Probe) -> None:
        try:
            notes[index] = probe.run() or ""
            errors[index] = None
        except Exception as exc:  # any failure of a probe is its outcome, never the end of `check`
            errors[index] = exc

    started = time.monotonic()
    threads = {}
    for index, probe in enumerate(probes):
        if not probe.missing:
            # Daemon threads: a probe stuck past its time limit must not keep the command alive.
            threads[index] = threading.Thread(target=attempt, args=(index, probe), daemon=True,
                                              name=f"check-{probe.name}")
            threads[index].start()
    outcomes = []
    for index, probe in enumerate(probes):
        if probe.missing:
            missing = ", ".join(probe.missing)
            why = probe.why or f"set {missing} in the environment"
            outcomes.append(Outcome(probe.name, "missing credentials", why))
            continue
        threads[index].join(max(0.0, started + probe.timeout + grace - time.monotonic()))
        if index in errors:
            outcomes.append(_outcome(probe, errors[index], notes.get(index, "")))
        else:
            outcomes.append(Outcome(probe.name, "timeout", f"no answer within {probe.timeout:g} s"))
    return outcomes
