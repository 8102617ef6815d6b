"""The `brandpulse` command line; the only place that prints and turns errors into exit codes."""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import click

from brandpulse.config import DEFAULT_CONFIG
from brandpulse.context import AppContext, pass_app
from brandpulse.errors import domain_errors
from brandpulse.logging_setup import setup_logging
from brandpulse.scheduler import JOB_KINDS, run_recorded
from brandpulse.store.backend import label
from brandpulse.summary import print_run_summary, shared_note, still_retrying, undelivered

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _store_target(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():  # a blank path made a store file named " "
        raise click.BadParameter("is blank: give a SQLite file or a postgresql:// URL, or leave it out for the "
                                 "config's store", param_hint="--db / BRANDPULSE_DB")
    return value


# How a shell reports a command ended by SIGPIPE (128 + 13), as `yes | head -1` leaves `yes`.
CLOSED_PIPE_EXIT = 141


class QuietPipeGroup(click.Group):
    """The command group; a reader that stops early (`| head -1`) ends any command quietly, as with other tools."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; on a closed stdout, exit with CLOSED_PIPE_EXIT and no traceback or message."""
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # output still buffered meets the closed pipe here, not in Python's exit-time flush
            return result
        except BrokenPipeError:
            _stdout_to_devnull()
            ctx.exit(CLOSED_PIPE_EXIT)


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null: the interpreter flushes it at exit, and a closed pipe would fail that flush."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # a stdout without a file (a test runner's) has nothing to flush into a pipe
        pass


@click.group(cls=QuietPipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
              envvar="BRANDPULSE_CONFIG", show_default=True, help="Configuration file (env BRANDPULSE_CONFIG).")
@click.option("--db", "db_path", default=None, envvar="BRANDPULSE_DB", metavar="PATH|URL", callback=_store_target,
              help="Store, overriding the config: a SQLite file or a postgresql:// URL (env BRANDPULSE_DB).")
@click.option("--outbox-dir", "outbox_dir", type=click.Path(path_type=Path), default=None,
              envvar="BRANDPULSE_OUTBOX_DIR", help="Folder for emails while no SMTP server is configured, overriding "
              "email.outbox_dir (env BRANDPULSE_OUTBOX_DIR).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", envvar="BRANDPULSE_LOG_FORMAT",
              show_default=True, help="One line per event, as text or JSON lines (env BRANDPULSE_LOG_FORMAT).")
@click.version_option(package_name="brandpulse")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, db_path: str | None, outbox_dir: Path | None, verbose: int,
        log_format: str) -> None:
    """brandpulse: self-hosted social listening with offline sentiment and spike alerts."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    setup_logging(level, log_format)
    named = ctx.get_parameter_source("config_path") is not click.core.ParameterSource.DEFAULT
    ctx.obj = AppContext(config_path, db_path, config_named=named, outbox_override=outbox_dir)


@cli.command()
@click.option("--once", is_flag=True, help="Run every job once, print a summary and exit.")
@click.option("--only", multiple=True, type=click.Choice(JOB_KINDS),
              help="Run only this kind of job (repeatable): a worker sharing a PostgreSQL store with others.")
@pass_app
def run(app: AppContext, once: bool, only: tuple[str, ...]) -> None:
    """Run the service: collect, classify, evaluate alerts (and the digest), deliver emails."""
    from brandpulse.pipeline import CollectReport, DeliveryReport
    from brandpulse.store.lock import service_lock

    kinds = set(only or JOB_KINDS)
    pipeline = app.service_pipeline()  # the one command that acts on what the config leaves disabled: it warns
    with domain_errors(), service_lock(app.db_path):
        if not once:
            from brandpulse.scheduler import serve

            click.echo(f"brandpulse running on {label(app.db_path)}; Ctrl-C stops it.", err=True)
            if "classify" in kinds and (shared := pipeline.follow_shared()):
                log.warning("%s", shared_note(shared, app.command("sentiment", "rescore")))
            serve(pipeline, kinds)
            return
        # Recorded under the scheduler's job names, so that `status` reads the same either way.
        collected = (_timed(pipeline, [f"collect:{c.name}" for c in pipeline.enabled_collectors], pipeline.collect)
                     if "collect" in kinds else CollectReport())
        classified, unclassified = _classify_once(pipeline) if "classify" in kinds else (0, None)
        fired = _timed(pipeline, ["alerts"], pipeline.evaluate_alerts) if "alerts" in kinds else []
        delivered = _timed(pipeline, ["deliver"], pipeline.deliver) if "deliver" in kinds else DeliveryReport()
        print_run_summary(pipeline, collected, classified, fired, delivered)
        retrying = "" if delivered.failed else _retrying(pipeline, kinds)
        if unclassified is not None:
            raise unclassified  # inside domain_errors: printed as an error, exit code 1
        if "classify" in kinds and (stale := pipeline.count_stale(None)):
            # After an upgrade that changed the model, old rows count no complaints until they are read again.
            click.echo(f"Stale:      {stale} stored mention(s) were classified by another model or version; "
                       f"`{app.command('sentiment', 'rescore')}` reads them again")
        if "classify" in kinds and (shared := pipeline.follow_shared()):
            click.echo(f"Per brand:  {shared_note(shared, app.command('sentiment', 'rescore'))}")
    # Cron reports a command that fails: a source down, or an SMTP server refusing, every run for a week must not
    # pass as a quiet success. The rest of the run (classify, alerts, deliveries) was done by now.
    problems = [f"{len(collected.failures)} collector run(s) failed: {', '.join(collected.failures)} (why: above)"
                if collected.failures else "",
                undelivered(delivered) if delivered.failed else retrying]
    if any(problems):
        raise click.ClickException("; ".join(problem for problem in problems if problem))


def _retrying(pipeline, kinds) -> str:
    """Messages that failed before and wait out their backoff: this run attempted none of them, and exiting 0 let a
    cron job miss an outage that lasts, only the runs that attempted them exiting 1."""
    return still_retrying(pipeline) if "deliver" in kinds else ""


def _classify_once(pipeline) -> tuple[int, Exception | None]:
    """The classify job of `run --once`, and the error of a language whose model failed: the other languages' mentions
    are classified and saved by then, so alerts and deliveries still run before the command fails."""
    from brandpulse.sentiment.router import PartlyClassified

    try:
        return _timed(pipeline, ["classify"], pipeline.classify), None
    except PartlyClassified as exc:
        return exc.done, exc


def _timed(pipeline, names: list[str], work):
    """Run one job of `run --once` and record its outcome as the scheduler does; errors still end the command."""
    return run_recorded(pipeline.record_job_run, names, work, _now)


@cli.command()
@click.argument("file", type=click.File("rb"))
@click.option("--classify/--no-classify", default=True, show_default=True,
              help="Classify the imported mentions that carry no label right away.")
@click.option("--unescape-html", is_flag=True,
              help="The texts are HTML-escaped (an export of Twitter's API v2 text): read &amp;, &#39; ... as & and '.")
@pass_app
def ingest(app: AppContext, file, classify: bool, unescape_html: bool) -> None:
    """Import mentions from a JSON Lines FILE (- for stdin); idempotent on (source, id, brand)."""
    from brandpulse.sentiment.router import PartlyClassified

    from brandpulse.text_lines import refuse_utf16

    refuse_utf16(file.peek(2)[:2] if hasattr(file, "peek") else b"", getattr(file, "name", "-"), "ingest")
    unclassified = None
    with domain_errors():
        report = app.pipeline.ingest(file, _now(), unescape_html)
        for error in report.errors:
            click.echo(f"{file.name}: {error}", err=True)
        if report.escaped:
            click.echo(f"{file.name}: {report.escaped} line(s) hold HTML character references in their text (&amp;, "
                       "&#39;, ...), stored as written; if the file's texts are HTML-escaped (Twitter's API v2 text "
                       "is), import such files with --unescape-html (lines already stored are not imported again)",
                       err=True)
        try:
            classified = app.pipeline.classify(_now()) if classify else 0
        except PartlyClassified as exc:  # the imported mentions are stored; some language's model failed
            classified, unclassified = exc.done, exc
    click.echo(
        f"{report.new} new, {report.duplicate} duplicate, {len(report.errors)} invalid line(s) skipped"
        + (f", {report.without_brand} matched no brand" if report.without_brand else "")
        + (f", {classified} classified" if classified else "")
    )
    if unclassified is not None:
        with domain_errors():
            raise unclassified
    if report.errors:
        sys.exit(1)


@cli.command()
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@click.option("-f", "--file", "file", type=click.File("rb"), default=None,
              help="Read one text per line of FILE ('-' for stdin) instead of TEXT arguments. Without either, stdin "
                   "is read.")
@click.option("--batch", default=4096, show_default=True, type=click.IntRange(1),
              help="Lines read before classifying them together (identical texts are read once, similar lengths are "
                   "batched together); output comes after each such chunk.")
@pass_app
def classify(app: AppContext, texts: tuple[str, ...], file, batch: int) -> None:
    """Classify each TEXT, or one text per line of --file FILE (stdin by default); print one JSON object per text:
    label, probs, score, category, complaint, lang (label, probs, score and complaint are null in a language no model
    reads and for a blank text, whose lang is null too)."""
    from brandpulse.sentiment.nps import categorize_result
    from brandpulse.sentiment.router import LeftUnclassified

    from brandpulse import factory
    from brandpulse.collectors.base import MAX_TEXT
    from brandpulse.text_lines import TextLines

    file = _classify_source(texts, file)
    policy = factory.nps_policy(app.sentiment)
    source: Iterable[str] = texts
    if file is not None:
        name = getattr(file, "name", "<stdin>")
        source = TextLines(file, "stdin" if name == "<stdin>" else name, MAX_TEXT)
    with domain_errors():
        # Among the same likely languages as the service: the models' and, with a config, the collectors' filters.
        collected = app.optional_config.collected_languages() if app.optional_config else set()
        router, left = factory.sentiment_router(app.sentiment, collected), LeftUnclassified()
        lines: list[str] = []
        for line in itertools.chain(source, [None]):  # lazily: `--batch 1` answers a live stream line by line
            if line is not None:
                lines.append(line[:MAX_TEXT])  # as a stored post is cut: a 5 MB line would take seconds and a GB
            if lines and (line is None or len(lines) >= batch):
                # A language whose model cannot be loaded fails only its own lines, each printed with its error in
                # its place; the command then exits 1 saying which and why.
                click.echo("\n".join(json.dumps(_failed(s) if left.holds(s) else
                                                _classified(s, categorize_result(s.classification, None, policy)))
                                     for s in router.classify(lines)))
                lines.clear()
        if isinstance(source, TextLines) and (warning := source.warning()):
            click.echo(warning, err=True)
        left.raise_if_any(kept=False)


def _classify_source(texts: tuple[str, ...], file):
    """The stream `classify` reads its lines from (stdin when neither TEXT nor --file is given, the file a lone TEXT
    names), None when it classifies its TEXT arguments; a usage error for both at once."""
    if texts == ("-",) and file is None:  # `classify -`, as stdin was named before texts were arguments
        return sys.stdin.buffer
    if texts and file is not None or "-" in texts:
        where = "'-' (stdin)" if file is None else f"--file {file.name}"
        raise click.UsageError(f"classify reads its texts either from TEXT arguments or from a file (--file FILE, or "
                               f"stdin), not both: {len(texts)} argument(s) given with {where}")
    if len(texts) == 1 and file is None and not any(c.isspace() for c in texts[0]) and Path(texts[0]).is_file():
        # `classify FILE`, one text per line of FILE, as it was before texts were arguments (scripts call it so).
        return click.open_file(texts[0], "rb")
    return None if texts else file or sys.stdin.buffer


def _classified(scored, category: str) -> dict:
    """The JSON object `classify` prints for one text."""
    c = scored.classification
    return {
        "label": c.label if c else None,
        "probs": dict(zip(("negative", "neutral", "positive"), (round(p, 4) for p in c.probs))) if c else None,
        "score": round(c.score, 4) if c else None,
        "category": category,
        "complaint": round(c.complaint, 4) if c and c.complaint is not None else None,
        "lang": scored.lang,
    }


def _failed(scored) -> dict:
    """The JSON object `classify` prints for a text whose language's model could not be loaded."""
    return {"label": None, "probs": None, "score": None, "category": None, "complaint": None, "lang": scored.lang,
            "error": scored.error}


from brandpulse.commands.query import export, query  # noqa: E402
from brandpulse.commands.sentiment import sentiment  # noqa: E402
from brandpulse.commands.sql import prune, sql  # noqa: E402
from brandpulse.commands.stats import stats  # noqa: E402
from brandpulse.commands.status import status  # noqa: E402
from brandpulse.commands.alerts import alerts_group  # noqa: E402
from brandpulse.commands.digest import digest_command  # noqa: E402
from brandpulse.commands.store import store_group  # noqa: E402
from brandpulse.commands.init import init  # noqa: E402
from brandpulse.commands.check import check  # noqa: E402
from brandpulse.commands.outbox import outbox_group  # noqa: E402

cli.add_command(query)
cli.add_command(export)
cli.add_command(stats)
cli.add_command(sql)
cli.add_command(prune)
cli.add_command(sentiment)
cli.add_command(status)
cli.add_command(alerts_group)
cli.add_command(digest_command)
cli.add_command(store_group)
cli.add_command(init)
cli.add_command(check)
cli.add_command(outbox_group)
