"""The jobs of the service, each one stage run once: collect, classify, evaluate alerts, deliver messages.

Stages talk through the store's tables, so each job can run alone, in any order, any number of times; on
PostgreSQL also in several processes at once (`run --only`): classification and delivery claim their rows, alert
evaluation takes a lock in the database.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from brandpulse.store import brands as store_brands
from brandpulse.store.folding import name_key, nfkc
from brandpulse.store import bulk as store_bulk
from brandpulse.store import jobs as store_jobs
from brandpulse.store import mentions as store_mentions
from brandpulse.store import queries as store_queries
from brandpulse.store import recategorize as store_recategorize
from brandpulse.store import rescore as store_rescore
from brandpulse.store import retention as store_retention
from brandpulse.store import sources as store_sources
from brandpulse.store import state as store_state
from brandpulse.store import stats as store_stats
from brandpulse.alerts.base import Alert
from brandpulse import factory
from brandpulse.channels import log_disabled, resolve_channels
from brandpulse.config import Config
from brandpulse.delivery import DeliveryReport, deliver
from brandpulse.logging_setup import mask, secret_values
from brandpulse.collectors.base import CollectorError, Mention, RetryLater, dated_by_now
from brandpulse.collectors.brands import BrandMatcher, by_own_account
from brandpulse.collectors.jsonl import LineError, parse_lines
from brandpulse.collectors.markup import has_references
from brandpulse.sentiment.language import language_tag
from brandpulse.sentiment.nps import categorize, categorize_result, policy_fingerprint, stored_category
from brandpulse.sentiment.base import SentimentError
from brandpulse.sentiment.router import LeftUnclassified, PartlyClassified, Scored
from brandpulse.sentiment.targets import BrandPost, BrandTargets, BrandTerms, BrandText, brand_texts, turned
from brandpulse.store import open_db, transaction

log = logging.getLogger(__name__)

CLASSIFY_BATCH = 512
ALERTS_LOCK = "brandpulse.alerts"
MAPPING_LOCK = "brandpulse.nps_mapping"
RECATEGORIZE_PAGE = 5_000
INGEST_BATCH = 10_000


@dataclass
class CollectReport:
    """What one collection pass stored, and which collectors failed."""

    new: int = 0
    duplicate: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # "<collector>:<brand>" -> error
    deferred: dict[str, datetime] = field(default_factory=dict)  # collector -> until when its source asked to wait
    # collector -> until when: not called at all this pass, as its source had asked before
    skipped: dict[str, datetime] = field(default_factory=dict)

    def failure_of(self, job: str) -> str | None:
        """What the status of job `collect:<collector>` records: its failures, one per brand."""
        prefix = job.partition(":")[2] + ":"
        failed = {state: error for state, error in self.failures.items() if state.startswith(prefix)}
        return "; ".join(f"{state.removeprefix(prefix)}: {error}" for state, error in failed.items()) or None

    def skipped_of(self, job: str) -> datetime | None:
        """Until when job `collect:<collector>` did nothing, as its source asked; None when it ran."""
        return self.skipped.get(job.partition(":")[2])


def _spelled(mention: Mention, source_of: dict[str, str]) -> Mention:
    """`mention` with its source as the store writes it (`source_of`, by `name_key`), else in lower case (NFKC)."""
    return replace(mention, source=_source_as_stored(mention.source, source_of))


def _source_as_stored(source: str, source_of: dict[str, str]) -> str:
    """`source` as the store writes it: its spelling in `source_of` by `name_key`, the key the queries compare by
    ('ＴＷＩＴＴＥＲ' is twitter), else in lower case and NFKC, as an input method's full-width name is the name."""
    return source_of.get(name_key(source), nfkc(source).lower())


def _record_failure(db: Any, report: CollectReport, state_name: str, error: str, now: datetime) -> None:
    """A collector's failure for one brand, in its state (masked, as every stored error) and in the pass's report."""
    store_state.save_collector_error(db, state_name, mask(error, secret_values()), now)
    report.failures[state_name] = error


@dataclass
class IngestReport:
    """What an import stored and which lines it rejected."""

    new: int = 0
    duplicate: int = 0
    without_brand: int = 0
    errors: list[LineError] = field(default_factory=list)
    escaped: int = 0  # lines whose text holds HTML character references, stored as written (not asked to unescape)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Pipeline:
    """The stages wired to one configuration and one database; `clock` tells when a source's answer came (for the
    Retry-After it gives in seconds)."""

    def __init__(self, config: Config, db_path: str | Path, clock: Callable[[], datetime] = _utcnow,
                 quiet: bool = False):
        self.config = config
        self.db_path = db_path
        self.clock = clock
        self._disabled = factory.disabled_collectors(config)
        self.channels = resolve_channels(config)
        # How the store's start-up folds are logged: as the start-up warnings, which a command other than `run` keeps
        # off stderr, where a script reads its errors.
        self._notice = logging.INFO if quiet else logging.WARNING
        self._announce(quiet)
        self._router: Any = None
        self._queries = factory.brand_queries(config)
        self._matcher = BrandMatcher(self._queries)
        self._targets = BrandTargets(BrandTerms(q.brand, q.keywords, q.exclusions) for q in self._queries)
        # An imported line's brand as configured when it is one ignoring case and width ("acme" and "ＡＣＭＥ" are
        # Acme), by the key `--brand` reads: stored as written, it was left out of Acme's digest, alerts and stats while
        # `query --brand Acme` listed it.
        self._configured = {name_key(b.name): b.name for b in config.brands}
        # Likewise a line's source as a collector writes it ('Twitter' is twitter): kept as written, one post imported
        # as 'Twitter' and 'twitter' was stored twice, and `query --source twitter` missed one of them.
        self._sources = factory.collector_sources(config)
        self._policy = factory.nps_policy(config.sentiment)
        self._brands_synced = False
        # Set by the service on SIGTERM: a long classify pass stops after its batch instead of the whole backlog.
        self.stopping = threading.Event()

    def _announce(self, quiet: bool) -> None:
        """Log what the configuration leaves disabled or half set, once; `quiet` (a command other than the service's):
        at INFO, shown with -v only, as nothing there acts on it and `brandpulse check` says it all."""
        warning, error = (logging.INFO, logging.INFO) if quiet else (logging.WARNING, logging.ERROR)
        for settings in self.config.collectors:
            if settings.name in self._disabled:
                log.log(warning, "collector %s (%s) disabled: %s", settings.name, settings.type,
                        self._disabled[settings.name])
        # A language collected for no model, or read but never collected; an own account Twitter cannot skip; ...
        for note in self.config.notes():
            log.log(warning, note)
        if unset := factory.smtp_login_unset(self.config):
            log.log(error, "email: the SMTP login is not set: %s; emails stay queued until both are set (or neither)",
                    "; ".join(unset))
        log_disabled(self.channels, warning)

    @property
    def enabled_collectors(self) -> list[Any]:
        """The configured collectors that have their credentials: the ones that run (and have a job to record)."""
        return [settings for settings in self.config.collectors if settings.name not in self._disabled]

    def open(self):
        """A fresh connection; each job uses its own, so jobs may run on different threads."""
        db = open_db(self.db_path)
        if not self._brands_synced:
            # The first connection of the process records the configured brands for analysts.
            with db.exclusive("brandpulse.brands"):
                folded = self._fold_spellings(db)
                with transaction(db):
                    if folded:  # copies under new brand names: they are counted again
                        store_rescore.forget_shared_count(db)
                    # A store an older release read holds, up to here, copies given their post's one reading.
                    store_rescore.mark_shared_upto(db)
            self._brands_synced = True
        return db

    def _fold_spellings(self, db: Any) -> int:
        """Record the configured brands, and count the mentions an older release stored under another spelling of
        their brand ('acme') or source ('Twitter') under the one stored now, and the alerts of such a source, so
        that each groups as one; how many mentions moved or merged."""
        if brands := store_brands.sync_brands(db, self._queries, datetime.now(timezone.utc), level=self._notice):
            log.log(self._notice, "%d mention(s) stored under another capitalisation of a configured brand now "
                    "count under its configured name (copies of one post merged)", brands)
        with transaction(db):
            spelled = self._source_spellings(store_queries.stored_sources(db))
            if sources := store_sources.fold_sources(db, spelled):
                log.log(self._notice, "%d mention(s) stored under another spelling of their source ('Twitter') now "
                        "count under the one ingest and the collectors write ('twitter'; copies of one post merged)",
                        sources)
            if alerts := store_sources.fold_alert_sources(db, spelled):
                log.log(self._notice, "%d alert(s) stored under another spelling of their source ('Twitter') now "
                        "read under the one the mentions are stored under ('twitter')", alerts)
        return brands + sources

    @contextmanager
    def session(self) -> Iterator[Any]:
        """`open()` for the length of a `with` block, closed however the block ends."""
        db = self.open()
        try:
            yield db
        finally:
            db.close()

    def record_job_run(self, job: str, started: datetime, finished: datetime | None, error: str | None = None,
                       skipped_until: datetime | None = None) -> None:
        """Record a job's run and outcome for `brandpulse status` (`finished` None: the run has just begun);
        `skipped_until`: it did nothing, as a source asked (status reads until when from the collector's stored
        wait)."""
        with self.session() as db:
            if finished is None:
                store_jobs.record_job_start(db, job, started)
                return
            # An exception's text may quote a credential (a URL, a header): stored errors are masked like logs.
            store_jobs.record_job_run(db, job, started, finished, mask(error, secret_values()) if error else None,
                                      skipped=skipped_until is not None and error is None)

    def router(self) -> Any:
        """The sentiment models by language (each loaded on first use) behind the language detector, kept."""
        if self._router is None:
            self._router = factory.sentiment_router(self.config.sentiment, self.config.collected_languages())
        return self._router

    def _current_models(self) -> tuple[list[store_rescore.CurrentModel], list[str], dict[str, str]]:
        """The configured models that load and their languages, and why each other language's model did not: a
        language whose model fails holds up only its own mentions, as in the classify job."""
        models, langs, failed = [], [], {}
        for lang, classifier in self.router().each_classifier():
            if isinstance(classifier, SentimentError):
                failed[lang] = str(classifier)
                continue
            models.append(store_rescore.CurrentModel(classifier.name, classifier.version,
                                                     bool(getattr(classifier, "complaint_head", False))))
            langs.append(lang)
        return models, langs, failed

    def _category_of(self, label: str, rating: int | None) -> str:
        return categorize(label, None, rating, self._policy)

    def collect(self, now: datetime, only: str | None = None) -> CollectReport:
        """Run every collector (or the one named `only`) for every brand; a failing one is recorded and skipped, and
        one whose source asked to wait (HTTP 429, 503 with Retry-After) is skipped until then, across restarts."""
        report = CollectReport()
        with self.session() as db:
            source_of = self._source_spellings(store_queries.stored_sources(db))
            for settings in self.config.collectors:
                if (only is not None and settings.name != only) or settings.name in self._disabled:
                    continue
                if (until := store_state.collector_retry_at(db, settings.name)) is not None and now < until:
                    log.info("collector %s skipped: its source asked to wait until %s", settings.name,
                             until.isoformat())
                    report.deferred[settings.name] = report.skipped[settings.name] = until
                    continue
                collector = factory.build_collector(settings, now)
                for query in self._queries:
                    if self._collect_brand(db, report, collector, query, now, source_of):
                        break  # the source asked to wait: the other brands' requests would be refused too
        return report

    def _collect_brand(self, db: Any, report: CollectReport, collector: Any, query: Any, now: datetime,
                       source_of: dict[str, str]) -> bool:
        """Collect one brand and save what was read; True when the source asked to wait (the collector is deferred).
        Each source is stored as ingest stores it (`source_of`, by `name_key`), so that a replayed 'Trustpilot' post
        is the one a feed configured 'trustpilot' read, not a second copy."""
        state_name = f"{collector.name}:{query.brand}"
        try:
            result = collector.collect(query, store_state.collector_cursor(db, state_name))
        except Exception as exc:  # this collector alone fails; the others and the later jobs run
            error = str(exc) if isinstance(exc, CollectorError) else (
                f"{collector.name}: an answer it cannot read ({type(exc).__name__}: {exc})")
            # An error it anticipated is one line; anything else keeps its traceback for a bug report.
            log.error("collector %s failed for %s: %s", collector.name, query.brand, error,
                      exc_info=not isinstance(exc, CollectorError))
            _record_failure(db, report, state_name, error, now)
            return self._defer(db, report, collector.name, exc)
        mentions = [dated_by_now(_spelled(mention, source_of), now) for mention in result.mentions
                    if not by_own_account(mention, query)]
        saved = store_mentions.save_mentions(db, mentions, now, state_name, result.cursor, self._category_of,
                                             whole=result.error is None)
        if result.error is not None:  # stopped part-way: what it read is saved, the failure recorded too
            log.error("collector %s stopped part-way for %s: %s", collector.name, query.brand, result.error)
            _record_failure(db, report, state_name, result.error, now)
        log.info("collector %s: %d new, %d duplicate for %s", collector.name, saved.new, saved.duplicate, query.brand)
        report.new += saved.new
        report.duplicate += saved.duplicate
        return self._defer(db, report, collector.name, result.retry)

    def _defer(self, db: Any, report: CollectReport, collector: str, error: Exception | None) -> bool:
        """Remember in the store until when `collector`'s source asked to wait, if `error` says; True if it did."""
        until = error.not_before(self.clock()) if isinstance(error, RetryLater) else None
        if until is None:
            return False
        store_state.save_collector_retry_at(db, collector, until)
        report.deferred[collector] = until
        log.warning("collector %s: its source asked to wait; skipped until %s", collector, until.isoformat())
        return True

    def ingest(self, lines: Iterable[str | bytes], now: datetime, unescape_html: bool = False) -> IngestReport:
        """Import JSON Lines; invalid lines are reported, every valid line is kept. With `unescape_html` the texts are
        HTML-escaped (`&amp;`) and read so; without, those holding character references are counted in the report."""
        report = IngestReport()
        with self.session() as db:
            source_of = self._source_spellings(store_queries.stored_sources(db))
            with store_bulk.BulkWriter(db, now, self._category_of, INGEST_BATCH) as writer:
                for item in parse_lines(lines, now, unescape_html):
                    if isinstance(item, LineError):
                        report.errors.append(item)
                        continue
                    item = replace(item, source=_source_as_stored(item.source, source_of))
                    report.escaped += not unescape_html and has_references(item.text)
                    if item.label is not None and not language_tag(item.lang):  # never classified here: detect it
                        item = replace(item, lang=self.router().detector.detect(item.text))
                    if item.brand is not None:
                        writer.add(replace(item, brand=self._configured.get(name_key(item.brand), item.brand)))
                        continue
                    # A post naming several brands is stored for each, as their collectors store it.
                    brands = self._matcher.brands_for(item.text)
                    report.without_brand += not brands
                    for brand in brands or [None]:
                        writer.add(replace(item, brand=brand))
            report.new, report.duplicate = writer.new, writer.duplicate
        return report

    def _source_spellings(self, stored: list[str]) -> dict[str, str]:
        """How ingest writes each source, by its `name_key`: as a collector writes it, else as the store already holds
        it (lower-case NFKC first), so that a file imported again before sources were folded finds its posts stored."""
        spellings: dict[str, str] = {}
        for name in sorted(stored, key=lambda name: (name != nfkc(name), name != name.lower())):
            spellings.setdefault(name_key(name), name)
        return spellings | self._sources

    def classify(self, now: datetime) -> int:
        """Classify every stored mention that has no sentiment yet; returns how many. Mentions whose language's
        model cannot be loaded stay unclassified for the next pass, which tries that model again; the others are
        saved, then PartlyClassified (a SentimentError) says what was left and why."""
        done, after, left = 0, 0, LeftUnclassified()
        self.router().retry_failed()
        with self.session() as db:
            self.follow_mapping(db)
            while True:
                # Claimed until saved: another classify worker takes the next batch, and a worker that dies
                # mid-batch lets its batch go back to the queue.
                with store_mentions.claim_pending(db, CLASSIFY_BATCH, after) as pending:
                    if not pending:
                        break
                    # A copy of a post read already for another brand takes that reading, unless the post names
                    # several brands: then each copy is read for its own.
                    own = self._own_texts(pending)
                    read = store_mentions.take_copies_readings(db, [p for p in pending if p.id not in own], now)
                    if unread := [p for p in pending if p.id not in read]:
                        done += self._classify_and_save(db, unread, now, left, own)
                    done += len(read)
                    after = pending[-1].id
                if self.stopping.is_set():
                    break  # the rest waits for the next start
        left.raise_if_any(done)
        return done

    def follow_mapping(self, db: Any) -> int:
        """Derive the stored categories again when the NPS mapping (sentiment.confidence_threshold, ...) changed since
        they were set, so that old and new mentions count alike; returns how many changed."""
        fingerprint = policy_fingerprint(self._policy)
        if store_state.get_value(db, store_recategorize.POLICY_KEY) == fingerprint:
            return 0
        changed, after = 0, 0
        with db.exclusive(MAPPING_LOCK):
            if store_state.get_value(db, store_recategorize.POLICY_KEY) == fingerprint:
                return 0  # another worker did it while this one waited
            while page := store_recategorize.classified_page(db, after, RECATEGORIZE_PAGE):
                changes = [(new, row.id) for row in page if row.category != (
                    new := stored_category(row.label, row.probs, row.complaint, row.rating, self._policy))]
                store_recategorize.save_categories(db, changes)
                changed += len(changes)
                after = page[-1].id
            store_recategorize.save_fingerprint(db, fingerprint)
        if changed:
            log.warning("the NPS mapping changed: %d stored mention(s) recategorised under it", changed)
        return changed

    def _own_texts(self, pending: list[store_mentions.PendingMention]) -> dict[int, BrandText]:
        """What to read for each of `pending` whose post names several brands, by id: its brand's clauses."""
        texts = brand_texts([BrandPost(p.text, p.brand) for p in pending], self._targets)
        return {p.id: text for p, text in zip(pending, texts) if text is not None}

    def count_stale(self, since: datetime | None) -> int:
        """How many stored mentions (published since `since`) are stale: another model or version classified them,
        they lack a complaint probability the model now gives, or they are unscored in a language now covered."""
        models, langs, _ = self._current_models()
        with self.session() as db:
            return store_rescore.count_stale(db, models, langs, since)

    def rescore(self, since: datetime | None, progress: Callable[[int], object] = lambda n: None) -> int:
        """Re-classify what `count_stale` counts, page by page (imported labels are kept); returns how many. A
        language whose model cannot be loaded keeps its readings, and PartlyClassified then names it."""
        models, langs, failed = self._current_models()
        done, after, left = 0, 0, LeftUnclassified()
        with self.session() as db:
            # The stored language tags, found once: each page would otherwise scan them again.
            self.follow_mapping(db)
            tags = store_rescore.stored_tags(db)
            while page := store_rescore.stale_classifications(db, models, langs, since, after, CLASSIFY_BATCH, tags):
                done += self._classify_and_save(db, page, datetime.now(timezone.utc), left)
                after = page[-1].id
                progress(len(page))
            done += self._read_per_brand(db, since, progress, left)
            if since is None and not left.counts:
                with transaction(db):  # every copy read for its brand: counting them needs no query from now on
                    store_rescore.clear_shared_upto(db)
            elif upto := store_rescore.shared_upto(db):  # some read again: the recorded count no longer holds
                self._record_waiting(db, upto, len(self._shared_to_read(db, None, upto)))
        left.raise_if_any(done, kept=False)
        if failed:  # none of its mentions was due, yet its model is broken: say so
            raise PartlyClassified("; ".join(f"the model for {lang!r} cannot be loaded: {error}"
                                             for lang, error in failed.items()), done)
        return done

    def count_per_brand(self, since: datetime | None) -> int:
        """How many stored copies of posts naming several brands (published since `since`) hold the reading of the
        whole post, given to every copy, where their brand's clauses say something else: what rescore reads again."""
        with self.session() as db:
            return len(self._shared_to_read(db, since))

    def waiting_per_brand(self, db: Any) -> int:
        """`count_per_brand` of every mention, through `db` (read-only will do): none without a query once a rescore
        read them all, or in a store this release read from its start; the count the service or `run --once` last
        recorded while it still holds."""
        upto = store_rescore.shared_upto(db)
        if upto == 0:
            return 0
        if upto is not None and (known := store_rescore.counted_shared(db, upto, self._terms_key)) is not None:
            return known
        return len(self._shared_to_read(db, None, upto))

    def follow_shared(self) -> int:
        """`waiting_per_brand` counted anew on a connection of its own, and recorded for later counts (`status`): none
        from then on without a query when none waits."""
        with self.session() as db:
            upto = store_rescore.shared_upto(db)
            waiting = 0 if upto == 0 else len(self._shared_to_read(db, None, upto))
            if upto:
                self._record_waiting(db, upto, waiting)
        return waiting

    def prune(self, db: Any, before: datetime) -> int:
        """Delete the mentions published before `before` through `db` (retention; returns how many), and record the
        copies still waiting for rescore (`waiting_per_brand`) when a count was recorded: adjusted by the posts of
        those deleted, so that `status` reads it, exact, instead of reading every copy again."""
        upto = store_rescore.shared_upto(db)
        known = store_rescore.counted_shared(db, upto, self._terms_key) if upto else None
        if known is not None:
            stored, left = store_rescore.shared_readings_pruned(db, before, upto)
            known += len(self._apart(left)) - len(self._apart(stored))
        deleted = store_retention.prune_mentions(db, before)
        if upto and known is not None:  # not recorded when the deletion stops part-way: then counted again
            self._record_waiting(db, upto, known)
        return deleted

    def _record_waiting(self, db: Any, upto: int, waiting: int) -> None:
        with transaction(db):
            if waiting:
                store_rescore.record_shared_count(db, upto, self._terms_key, waiting)
            else:
                store_rescore.clear_shared_upto(db)

    @functools.cached_property
    def _terms_key(self) -> str:
        """The configured brands' terms, which tell what each copy reads, as one key."""
        terms = sorted([q.brand, sorted(q.keywords), sorted(q.exclusions)] for q in self._queries)
        return hashlib.sha256(json.dumps(terms, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]

    def _shared_to_read(self, db: Any, since: datetime | None,
                        upto: int | None = None) -> list[store_mentions.PendingMention]:
        return self._apart(store_rescore.shared_readings(db, since, upto))

    def _apart(self, shared: list[store_rescore.SharedReading]) -> list[store_mentions.PendingMention]:
        """The copies of `shared` that their brands' clauses read otherwise than the post's one reading."""
        readings: dict[str, dict[str, BrandText]] = {}  # a post's copies come together: its clauses are found once
        return [copy.mention for copy in shared
                if self._targets.reads_apart(copy.mention.text, copy.mention.brand, copy.others, readings)]

    def _read_per_brand(self, db: Any, since: datetime | None, progress: Callable[[int], object],
                        left: LeftUnclassified) -> int:
        """Read again, each for its brand, the copies `count_per_brand` counts; returns how many."""
        due, done = self._shared_to_read(db, since), 0
        for start in range(0, len(due), CLASSIFY_BATCH):
            page = due[start:start + CLASSIFY_BATCH]
            done += self._classify_and_save(db, page, datetime.now(timezone.utc), left)
            progress(len(page))
        return done

    def _classify_and_save(self, db: Any, pending: list[store_mentions.PendingMention], now: datetime,
                           left: LeftUnclassified, own: dict[int, BrandText] | None = None) -> int:
        """Read and save `pending`; `own`: `_own_texts` of them (or of more), when the caller has it already."""
        # The batch is read whole as before, so that a post naming one brand gets the very same probabilities
        # (activations are quantized per batch); only the clauses of posts naming several are read besides.
        scored = self.router().classify([p.text for p in pending], [p.lang for p in pending])
        own = self._own_texts(pending) if own is None else own
        scored = self._read_own(pending, scored, own)
        rows = [store_mentions.ClassifiedMention(p.id, p.lang if language_tag(p.lang) else s.lang, s.classification,
                                                 categorize_result(s.classification, p.rating, self._policy),
                                                 shared=p.id not in own)
                for p, s in zip(pending, scored) if not left.holds(s)]
        return store_mentions.save_classifications(db, rows, now)

    def _read_own(self, pending: list[store_mentions.PendingMention], scored: list[Scored],
                  own: dict[int, BrandText]) -> list[Scored]:
        """`scored`, with the reading of each brand's clauses for the copies of posts naming several brands."""
        # In the language and by the model of the whole post: a clause is too short to tell its language. A brand read
        # in the whole post the opposite way takes the whole post's reading swapped, not a second one from another
        # batch (activations are quantized per batch), so both brands' probabilities mirror each other exactly.
        own_read = [i for i, p in enumerate(pending)
                    if own.get(p.id, BrandText(p.text)) != BrandText(p.text) and scored[i].classification is not None]
        extra = [i for i in own_read if own[pending[i].id].text != pending[i].text]
        if not own_read:
            return scored
        scored = list(scored)
        for i, reading in zip(extra, self.router().classify([own[pending[i].id].text for i in extra],
                                                            [scored[i].lang for i in extra])):
            scored[i] = replace(reading, lang=scored[i].lang)
        for i in own_read:
            if scored[i].classification is not None:  # the clauses' reading may have failed where the post's did not
                scored[i] = replace(scored[i], classification=turned(own[pending[i].id], scored[i].classification))
        return scored

    def evaluate_alerts(self, now: datetime) -> list[Alert]:
        """Spike alerts over the complete buckets since the last evaluation, then health alerts; queue their emails."""
        from brandpulse import alerting

        with self.session() as db:
            # One evaluation at a time across workers: the second one finds the watermark moved, no storm twice.
            with db.exclusive(ALERTS_LOCK):
                return alerting.evaluate(self.config, self._queries, db, now, self.channels)

    def backtest(self, since: datetime, until: datetime, brand: str | None = None) -> list[Alert]:
        """The alerts detection would have raised over stored history, recording and sending nothing."""
        from brandpulse import alerting

        brands = [q.brand for q in self._queries if brand is None or q.brand == brand]
        with self.session() as db:
            return alerting.backtest(self.config, brands, db, since, until)

    def unconfigured_brands(self, since: datetime, until: datetime) -> dict[str | None, int]:
        """Mentions published in [since, until) per brand the config does not name (None: no brand)."""
        with self.session() as db:
            return store_stats.unconfigured_brands(db, [q.brand for q in self._queries], since, until)

    def send_digest(self, now: datetime, due_at: datetime | None = None) -> list[str]:
        """Queue the digest of the day before `due_at` (default `now`; in the digest's time zone) for every brand,
        once; the deliver job sends it."""
        from brandpulse import digesting

        with self.session() as db:
            day = digesting.previous_day(due_at or now, self.config.digest.timezone)
            with db.exclusive(ALERTS_LOCK):
                return digesting.queue(self.config, db, day, [q.brand for q in self._queries], now,
                                       channels=self.channels)

    def digest_ran_before(self) -> bool:
        """Whether a digest job run is on record: a service ran here before (a first start has nothing to catch up)."""
        with self.session() as db:
            return any(run["job"] == "digest" for run in store_jobs.job_runs(db))

    def deliver(self, now: datetime) -> DeliveryReport:
        """Send every due email and chat message in the outbox; failures stay queued with a backoff."""
        transport = factory.email_transport(self.config)
        channels = resolve_channels(self.config)  # URLs read at send time, from the environment only
        with self.session() as db:
            return deliver(db, transport, self.config.email.sender, channels, now)
