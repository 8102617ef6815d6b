"""Versioned schema migrations, tracked in `PRAGMA user_version`, each applied in one transaction."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from brandpulse.store import upgrade_space
from brandpulse.store.errors import UPGRADE_BRANDPULSE, DiskFull, StoreError
from brandpulse.store.lock import upgrade_lock
from brandpulse.store.folding import search_text

logger = logging.getLogger(__name__)


def _execute_script(db: sqlite_utils.Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction first; run statement by statement.
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                db.execute(statement)
            statement = ""


def m001_initial(db: sqlite_utils.Database) -> None:
    """Mentions with sentiment and provenance, FTS, collector state, alerts, outbox, key-value state."""
    _execute_script(
        db,
        """
        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            brand TEXT,
            author TEXT,
            url TEXT,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            lang TEXT,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            amplification INTEGER NOT NULL DEFAULT 0,
            raw TEXT,
            collected_at TEXT NOT NULL,
            label TEXT CHECK (label IN ('negative', 'neutral', 'positive')),
            p_negative REAL,
            p_neutral REAL,
            p_positive REAL,
            score REAL,
            category TEXT CHECK (category IN ('detractor', 'passive', 'promoter')),
            model TEXT,
            model_version TEXT,
            provenance TEXT CHECK (provenance IN ('model', 'imported')),
            classified_at TEXT,
            UNIQUE (source, external_id)
        );
        CREATE INDEX idx_mentions_brand_created ON mentions (brand, created_at);
        CREATE INDEX idx_mentions_created ON mentions (created_at);
        CREATE INDEX idx_mentions_category ON mentions (category, created_at);
        CREATE INDEX idx_mentions_source ON mentions (source, created_at);
        CREATE INDEX idx_mentions_unclassified ON mentions (id) WHERE label IS NULL;

        CREATE VIRTUAL TABLE mentions_fts USING fts5 (text, content='mentions', content_rowid='id');
        CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
            INSERT INTO mentions_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        -- Only a change of text touches the index: classification updates every row once.
        CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO mentions_fts (rowid, text) VALUES (new.id, new.text);
        END;

        CREATE TABLE collector_state (
            name TEXT PRIMARY KEY,
            cursor TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            last_run_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT
        );

        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('spike', 'health')),
            brand TEXT,
            source TEXT,
            window_start TEXT NOT NULL,
            window_end TEXT NOT NULL,
            observed REAL NOT NULL,
            expected REAL NOT NULL,
            threshold REAL,
            score REAL,
            reason TEXT NOT NULL,
            details TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_alerts_brand ON alerts (brand, kind, window_end);

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            brand TEXT,
            subject TEXT NOT NULL,
            recipients TEXT NOT NULL,
            message BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            sent_at TEXT,
            delivered_to TEXT,
            last_error TEXT
        );
        CREATE INDEX idx_outbox_due ON outbox (status, next_attempt_at);

        CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT);
        """
    )


def m002_brands_migrations_indexes(db: sqlite_utils.Database) -> None:
    """Brands synced from the config, a readable migrations log, and covering indexes for analyst queries."""
    _execute_script(
        db,
        """
        CREATE TABLE brands (
            name TEXT PRIMARY KEY,
            keywords TEXT NOT NULL,
            exclusions TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        -- PRAGMA user_version stays the source of truth; this table is for people (Datasette, sqlite3).
        CREATE TABLE schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );

        -- Covering the per-brand time window with the sentiment columns lets stats and the spike rule
        -- count without touching the table rows; it replaces the narrower (brand, created_at) index.
        DROP INDEX idx_mentions_brand_created;
        CREATE INDEX idx_mentions_brand_created ON mentions (brand, created_at, label, category);
        """
    )
    # Merging FTS segments 16 at a time instead of 4 rewrites each term far less often during bulk imports
    # (a third less indexing work); a search reads a few more segments, still well under a millisecond.
    db.execute("INSERT INTO mentions_fts (mentions_fts, rank) VALUES ('automerge', 16)")


def m003_job_runs(db: sqlite_utils.Database) -> None:
    """The last run and outcome of every scheduled job, one row per job, for `brandpulse status`."""
    _execute_script(
        db,
        """
        CREATE TABLE job_runs (
            job TEXT PRIMARY KEY,
            runs INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            last_started_at TEXT,
            last_finished_at TEXT,
            last_outcome TEXT CHECK (last_outcome IN ('ok', 'error')),
            last_error TEXT,
            last_success_at TEXT,
            last_duration_s REAL
        );
        """
    )


def m004_collector_failing_since(db: sqlite_utils.Database) -> None:
    """When each collector's current run of failures began (NULL while it works), for the health alert."""
    _execute_script(
        db,
        """
        ALTER TABLE collector_state ADD COLUMN failing_since TEXT;
        UPDATE collector_state SET failing_since = last_error_at
        WHERE last_error_at IS NOT NULL AND (last_success_at IS NULL OR last_success_at < last_error_at);
        """
    )


def m005_complaint_lang_unscored(db: sqlite_utils.Database) -> None:
    """`complaint` per mention, and category 'unscored' for languages no model reads (the table is rebuilt).

    SQLite cannot alter a CHECK constraint: the table is copied into one with the new constraint (ids kept, so
    the external-content FTS index stays valid), and its indexes and triggers are created again as they were.
    The unclassified index now follows `classified_at`, since unscored mentions have no label but are done.
    """
    _rebuild_mentions(db, _OLD_CATEGORY, _NEW_CATEGORY, "category constraint",
                      lambda sql: sql.replace("WHERE label IS NULL", "WHERE classified_at IS NULL"))
    db.execute("ALTER TABLE mentions ADD COLUMN complaint REAL")


def _rebuild_mentions(db: sqlite_utils.Database, old: str, new: str, what: str,
                      dependent: Callable[[str], str] = lambda sql: sql) -> None:
    """Copy the mentions table into one whose definition has `new` for `old` (ids kept, so the external-content FTS
    index stays valid) and create its indexes and triggers again (each through `dependent`)."""
    table_sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'mentions'").fetchone()[0]
    if old not in table_sql:
        raise StoreError(f"cannot upgrade the mentions table: its {what} is not the one m001 created")
    dependents = [sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'mentions' AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        " ORDER BY type, name")]
    # A table renamed by an earlier rebuild is stored as CREATE TABLE "mentions".
    db.execute(_TABLE_NAME.sub("CREATE TABLE mentions_new", table_sql.replace(old, new), count=1))
    db.execute("INSERT INTO mentions_new SELECT * FROM mentions")
    db.execute("DROP TABLE mentions")
    db.execute("ALTER TABLE mentions_new RENAME TO mentions")
    for sql in dependents:
        db.execute(dependent(sql))


def m006_channels_and_triage(db: sqlite_utils.Database) -> None:
    """Outbox rows per channel (the URL stays in the environment), alert acknowledgements and storms, silences."""
    _execute_script(
        db,
        """
        -- 'email' for emails; else the name of a configured chat channel, whose URL is read at send time.
        ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
        -- The first alert of the storm an alert belongs to (itself for the first), so one ack covers its updates.
        ALTER TABLE alerts ADD COLUMN storm_id INTEGER;
        ALTER TABLE alerts ADD COLUMN acked_by TEXT;
        ALTER TABLE alerts ADD COLUMN acked_at TEXT;
        ALTER TABLE alerts ADD COLUMN ack_note TEXT;
        -- Why a stored alert was not sent (a silence, an acknowledged storm); NULL when it was queued.
        ALTER TABLE alerts ADD COLUMN suppressed TEXT;
        CREATE INDEX idx_alerts_window ON alerts (window_start);

        CREATE TABLE silences (
            id INTEGER PRIMARY KEY,
            brand TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            until TEXT NOT NULL,
            note TEXT,
            lifted_by TEXT,
            lifted_at TEXT
        );
        CREATE INDEX idx_silences_brand ON silences (brand, until);
        """
    )


def m007_mentions_per_brand(db: sqlite_utils.Database) -> None:
    """A post is stored once per brand that collected it ("left Acme for Bolt" counts for both): the key becomes
    (source, external id, brand), a brand-less post's brand counting as ''. The table is rebuilt without its
    UNIQUE (source, external_id) constraint, which SQLite cannot drop."""
    _rebuild_mentions(db, _OLD_KEY, "", "key")
    db.execute(MENTION_KEY_INDEX)


def m008_mentions_answered(db: sqlite_utils.Database) -> None:
    """Who marked each mention answered and when (`alerts answered`), NULL while nobody has: columns of the mention,
    as an alert's acknowledgement is of the alert, so a copy or a prune takes them along with their post."""
    _execute_script(
        db,
        """
        ALTER TABLE mentions ADD COLUMN answered_by TEXT;
        ALTER TABLE mentions ADD COLUMN answered_at TEXT;
        """
    )


def m009_search_folds_accents(db: sqlite_utils.Database) -> None:
    """Nothing to change here: FTS5's unicode61 tokenizer already reads 'café' as 'cafe'. Its PostgreSQL twin makes
    the tsvector fold accents alike (store/folding.py), so that a search finds the same posts on both backends."""


def m010_mentions_dated_after(db: sqlite_utils.Database) -> None:
    """For a mention its source gave no date (dated when found): the previous read of the source, after which it
    appeared, so that its date is known to be an estimate over that gap; NULL for a mention its source dated."""
    db.execute("ALTER TABLE mentions ADD COLUMN dated_after TEXT")


def m011_job_runs_skipped(db: sqlite_utils.Database) -> None:
    """A job run may end `skipped` (a collector whose source asked to wait was not called): the small job_runs table
    is copied into one whose CHECK allows it, which SQLite cannot alter in place."""
    _execute_script(
        db,
        """
        CREATE TABLE job_runs_new (
            job TEXT PRIMARY KEY,
            runs INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            last_started_at TEXT,
            last_finished_at TEXT,
            last_outcome TEXT CHECK (last_outcome IN ('ok', 'error', 'skipped')),
            last_error TEXT,
            last_success_at TEXT,
            last_duration_s REAL
        );
        INSERT INTO job_runs_new SELECT job, runs, failures, last_started_at, last_finished_at, last_outcome,
            last_error, last_success_at, last_duration_s FROM job_runs;
        DROP TABLE job_runs;
        ALTER TABLE job_runs_new RENAME TO job_runs;
        """
    )


def m012_search_reads_nfkc_and_scripts(db: sqlite_utils.Database) -> None:
    """The index reads each text as `folding.searchable` writes it (in NFKC, a Latin word apart from the Chinese,
    Japanese, Thai or Korean written against it): `search_text` holds that where it is not the text itself, and the
    FTS table is made again over the view of it, since an external-content table's content cannot change."""
    db.execute("ALTER TABLE mentions ADD COLUMN search_text TEXT")
    # The store's executemany: a disk filling up meanwhile is its DiskFull, saying how much room the upgrade needs.
    fill_search_text(db.execute, lambda rows: db.executemany(SET_SEARCH_TEXT, rows), NOT_ASCII_SQLITE)
    _execute_script(db, M012_INDEX)
    db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO mentions_fts (mentions_fts, rank) VALUES ('automerge', 16)")  # as m002 set it


def fill_search_text(execute: Callable[..., Any], update: Callable[[list[tuple[str, int]]], object],
                     not_ascii: str) -> None:
    """Set `search_text` of each stored mention whose text the index reads otherwise, a page at a time."""
    after = 0
    while rows := execute(_NOT_ASCII_PAGE.format(not_ascii=not_ascii), [after, _FILL_PAGE]).fetchall():
        update([(shadow, id_) for id_, text in rows if (shadow := search_text(text)) is not None])
        after = rows[-1][0]


_FILL_PAGE = 10_000
_NOT_ASCII_PAGE = "SELECT id, text FROM mentions WHERE id > ? AND {not_ascii} ORDER BY id LIMIT ?"
NOT_ASCII_SQLITE = "length(text) <> length(CAST(text AS BLOB))"  # characters against UTF-8 bytes
SET_SEARCH_TEXT = "UPDATE mentions SET search_text = ? WHERE id = ?"
M012_INDEX = """
DROP TRIGGER mentions_fts_insert;
DROP TRIGGER mentions_fts_delete;
DROP TRIGGER mentions_fts_update;
DROP TABLE mentions_fts;
-- What the index reads of each mention: its search_text where it has one (folding.searchable), else its text.
CREATE VIEW mentions_searched AS SELECT id, coalesce(search_text, text) AS text FROM mentions;
CREATE VIRTUAL TABLE mentions_fts USING fts5 (text, content='mentions_searched', content_rowid='id');
CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
    INSERT INTO mentions_fts (rowid, text) VALUES (new.id, coalesce(new.search_text, new.text));
END;
CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
    INSERT INTO mentions_fts (mentions_fts, rowid, text)
        VALUES ('delete', old.id, coalesce(old.search_text, old.text));
END;
-- Only a change of what is searched touches the index: classification updates every row once.
CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text, search_text ON mentions BEGIN
    INSERT INTO mentions_fts (mentions_fts, rowid, text)
        VALUES ('delete', old.id, coalesce(old.search_text, old.text));
    INSERT INTO mentions_fts (rowid, text) VALUES (new.id, coalesce(new.search_text, new.text));
END;
"""


_TABLE_NAME = re.compile(r'^CREATE TABLE "?mentions"?')
_OLD_KEY = ",\n            UNIQUE (source, external_id)"
MENTION_KEY_INDEX = "CREATE UNIQUE INDEX idx_mentions_key ON mentions (source, external_id, coalesce(brand, ''))"
_OLD_CATEGORY = "CHECK (category IN ('detractor', 'passive', 'promoter'))"
_NEW_CATEGORY = "CHECK (category IN ('detractor', 'passive', 'promoter', 'unscored'))"


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    m001_initial, m002_brands_migrations_indexes, m003_job_runs, m004_collector_failing_since,
    m005_complaint_lang_unscored, m006_channels_and_triage, m007_mentions_per_brand,
    m008_mentions_answered, m009_search_folds_accents, m010_mentions_dated_after,
    m011_job_runs_skipped, m012_search_reads_nfkc_and_scripts,
]
SCHEMA_VERSION = len(MIGRATIONS)
# The steps that write the whole mentions table again, and the room on the disk each needs for it (upgrade_space):
# checked before an upgrade holding any of them starts, for the largest.
NEEDS_ROOM = {m005_complaint_lang_unscored: upgrade_space.COPY, m007_mentions_per_brand: upgrade_space.COPY,
              m012_search_reads_nfkc_and_scripts: upgrade_space.REINDEX}


def _log_migration(db: sqlite_utils.Database, number: int) -> None:
    # The log table arrives with m002; the steps before it are recorded when it is created.
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone():
        return
    for version, step in enumerate(MIGRATIONS[:number], start=1):
        db.execute(
            """INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
               VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))""",
            [version, step.__name__],
        )


UPGRADE_HOW = ("stop the service of the older version, then start this version's (or run `brandpulse run --once`), "
               "which upgrades the store")


def migrate(db: sqlite_utils.Database, read_only: bool = False,
            other_service: Callable[[], int | None] = lambda: None) -> None:
    """Bring the schema up to `SCHEMA_VERSION`; refuse a database written by newer code, and an upgrade while
    `other_service()` (the pid of another process holding the store's service lock) runs on the old schema."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {version} but this brandpulse knows up to {SCHEMA_VERSION}; "
            f"{UPGRADE_BRANDPULSE} before using it"
        )
    if version == SCHEMA_VERSION:
        return
    pid = other_service()
    if pid is not None and (start := _upgrading_from(db, pid)) is not None:
        raise StoreError(f"the brandpulse service (pid {pid}) is upgrading the database from schema version {start} "
                         f"to {SCHEMA_VERSION} right now; run this again once it has (its log says 'store upgraded')")
    if read_only and not version:
        raise StoreError("the database holds no brandpulse store yet (its making may have been cut short, by a full "
                         "disk for one); run `brandpulse run --once` or `brandpulse ingest` first, which make it")
    if read_only:
        raise StoreError(f"the database has schema version {version} (this brandpulse needs {SCHEMA_VERSION}); "
                         f"{UPGRADE_HOW}")
    if pid is not None:
        # Upgraded under it, the older service would fail every job from then on, and could not even record why.
        raise StoreError(f"the database has schema version {version} (this brandpulse needs {SCHEMA_VERSION}), but a "
                         f"brandpulse service (pid {pid}), an older version, still runs on it; stop it, then start "
                         "this version's service, which upgrades the store as it starts")
    _upgrade(db, version)


UPGRADING_KEY = "store.upgrading"
_HAS_STATE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'state'"
_READ_UPGRADING = "SELECT value FROM state WHERE key = ?"
_MARK_UPGRADING = "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)"
_UNMARK_UPGRADING = "DELETE FROM state WHERE key = ?"


def _upgrading_from(db: sqlite_utils.Database, pid: int) -> int | None:
    """The schema version process `pid` is upgrading the store from, None when it is not upgrading it."""
    if not db.execute(_HAS_STATE).fetchone():
        return None
    row = db.execute(_READ_UPGRADING, [UPGRADING_KEY]).fetchone()
    try:
        marker = json.loads(row[0]) if row else {}
        return int(marker["from"]) if marker.get("pid") == pid else None
    except (TypeError, ValueError, KeyError, AttributeError):  # not ours to judge: the older-service message stands
        return None


def _upgrade(db: sqlite_utils.Database, version: int) -> None:
    """Apply the migrations after `version`, each in its own transaction, holding the store's upgrade lock (another
    process may have upgraded it while this one waited for the lock: then nothing is left to do)."""
    path = upgrade_space.store_file(db) if version else None
    if path is None:
        _upgrade_held(db, version)
        return
    with upgrade_lock(path):
        if (version := db.execute("PRAGMA user_version").fetchone()[0]) < SCHEMA_VERSION:
            _upgrade_held(db, version)


def _upgrade_held(db: sqlite_utils.Database, version: int) -> None:
    """Apply the migrations after `version`; a disk too small for them is a `DiskFull` saying how much room they
    need, before they start when it can tell."""
    path = upgrade_space.store_file(db) if version else None
    size = upgrade_space.store_size(path) if path else 0
    room = max((NEEDS_ROOM[step] for step in MIGRATIONS[version:] if step in NEEDS_ROOM), default=None)
    if path and room:
        if reason := upgrade_space.no_room(path, size, version, SCHEMA_VERSION, room):
            raise DiskFull(reason)
    try:
        _apply(db, version)
    except DiskFull as exc:
        if not path:
            raise
        reached = db.execute("PRAGMA user_version").fetchone()[0]
        raise DiskFull(upgrade_space.full_during(path, size, version, SCHEMA_VERSION, reached,
                                                 exc.__cause__ or exc, room or upgrade_space.COPY)) from exc


def _create(db: sqlite_utils.Database) -> int:
    """Make a new store in one transaction, whole or not at all (a full disk must not leave it at some version that
    reads as an older release's); the version found when another process made it meanwhile, else SCHEMA_VERSION."""
    with _immediate(db):
        if found := db.execute("PRAGMA user_version").fetchone()[0]:
            db.execute("ROLLBACK")
            return found
        for step in MIGRATIONS:
            step(db)
        _log_migration(db, SCHEMA_VERSION)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return SCHEMA_VERSION


@contextmanager
def _immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction, committed unless the block ended it (ROLLBACK) or raised."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.conn.in_transaction:  # SQLite may have rolled back itself (disk full): ROLLBACK would hide why
            db.execute("ROLLBACK")
        raise
    if db.conn.in_transaction:
        db.execute("COMMIT")


def _apply(db: sqlite_utils.Database, version: int) -> None:
    if not version and (version := _create(db)) == SCHEMA_VERSION:
        return
    if version:  # an existing store: say so, and mark it for the commands run meanwhile (m001 made the state table)
        logger.warning("upgrading the store from schema version %d to %d (once; about 20 s per million mentions)",
                       version, SCHEMA_VERSION)
        with _immediate(db):
            db.execute(_MARK_UPGRADING, [UPGRADING_KEY, json.dumps({"pid": os.getpid(), "from": version})])
    try:
        _steps(db, version)
    except BaseException:
        if version:
            _unmark(db)
        raise
    if version:
        logger.warning("store upgraded to schema version %d", SCHEMA_VERSION)


def _unmark(db: sqlite_utils.Database) -> None:
    """Remove the upgrade marker of an upgrade that failed: left behind, it would say a later service of this pid
    (pid 1 in every container) is upgrading the store, though it is an older one or none is."""
    try:
        with _immediate(db):
            db.execute(_UNMARK_UPGRADING, [UPGRADING_KEY])
    except (sqlite3.Error, StoreError) as exc:  # the disk that failed the upgrade may refuse this too: its error stands
        logger.debug("cannot remove the store's upgrade marker: %s", exc)


def _steps(db: sqlite_utils.Database, version: int) -> None:
    """Apply the migrations after `version`, each in its own transaction with its log row."""
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with _immediate(db):
            # Another process may have migrated while we waited for the lock.
            if db.execute("PRAGMA user_version").fetchone()[0] >= number:
                db.execute("ROLLBACK")
                continue
            step(db)
            _log_migration(db, number)
            if number == SCHEMA_VERSION and version:
                db.execute(_UNMARK_UPGRADING, [UPGRADING_KEY])
            db.execute(f"PRAGMA user_version = {number}")
