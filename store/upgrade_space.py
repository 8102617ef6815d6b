"""Room on its disk for a SQLite store's upgrade: the steps that copy the mentions table need about twice the store."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

# Measured on stores of 2.6, 10 and 50 MB: the copy goes to the write-ahead log, then into the file beside the old
# table's pages (freed only once it is done), so the peak needs 2.2 times the store's size free.
SPACE_FACTOR = 2.25
_MB = 1024 * 1024


def store_file(db: Any) -> Path | None:
    """The main database file of `db`, None for a store in memory."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def store_size(path: Path) -> int:
    """The bytes of the store's file and its write-ahead log."""
    files = (path, path.with_name(path.name + "-wal"))
    return sum(file.stat().st_size for file in files if file.exists())


def _mb(size: float) -> str:
    return f"{max(size / _MB, 0.1):,.1f} MB"


def _need(size: int) -> str:
    return (f"the upgrade copies the mentions table and needs about {_mb(size * SPACE_FACTOR)} free on its disk "
            f"({SPACE_FACTOR} times the store's {_mb(size)})")


def no_room(path: Path, size: int, start: int, target: int) -> str | None:
    """Why the upgrade from schema `start` to `target` cannot fit on the store's disk, None when it can."""
    free = shutil.disk_usage(path.parent).free
    if free >= size * SPACE_FACTOR:
        return None
    return (f"database {path}: not enough free space to upgrade the store from schema version {start} to {target}: "
            f"{_need(size)}, and {_mb(free)} is free; free space (or move the store to a larger disk), then run "
            f"again: the store is unchanged, at schema version {start}")


def full_during(path: Path, size: int, start: int, target: int, reached: int, error: BaseException) -> str:
    """What a disk filled up during the upgrade means, and the schema version the store was left at."""
    where = "unchanged" if reached == start else "upgraded in part, its steps so far committed"
    return (f"database {path}: disk full while upgrading the store from schema version {start} to {target} "
            f"({error}): {_need(size)}; free space, then run again: the store is {where}, at schema version "
            f"{reached}, and the upgrade goes on from there")
