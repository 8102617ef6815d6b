"""Room on its disk for a SQLite store's upgrade: the steps that copy the mentions table need about twice the store,
the one that indexes it again for search about one and a half times."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Measured on stores of 2.6, 10 and 50 MB: the copy goes to the write-ahead log, then into the file beside the old
# table's pages (freed only once it is done), so the peak needs 2.2 times the store's size free.
SPACE_FACTOR = 2.25
# Measured on stores of 14 to 52 MB (schema 11 to 12): English posts needed 0.15 times the store free, one post in
# three Japanese with a Latin word 0.7, every post so (each given a second, searchable copy) 1.27: the new index and
# the rows given their copy go to the write-ahead log, and the copies into the file. 1.5 leaves a margin.
REINDEX_FACTOR = 1.5
_MB = 1024 * 1024


@dataclass(frozen=True, order=True)
class Room:
    """The free space an upgrade step needs, as a multiple of the store's size, and what it does that needs it."""

    factor: float
    does: str


COPY = Room(SPACE_FACTOR, "copies the mentions table")
REINDEX = Room(REINDEX_FACTOR, "indexes the mentions again for search (keeping a searchable copy of the texts the "
                               "index reads otherwise)")


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


def _need(size: int, room: Room) -> str:
    return (f"the upgrade {room.does} and needs about {_mb(size * room.factor)} free on its disk "
            f"({room.factor} times the store's {_mb(size)})")


def no_room(path: Path, size: int, start: int, target: int, room: Room = COPY) -> str | None:
    """Why the upgrade from schema `start` to `target`, its largest step needing `room`, cannot fit on the store's
    disk; None when it can."""
    free = shutil.disk_usage(path.parent).free
    if free >= size * room.factor:
        return None
    return (f"database {path}: not enough free space to upgrade the store from schema version {start} to {target}: "
            f"{_need(size, room)}, and {_mb(free)} is free; free space (or move the store to a larger disk), then run "
            f"again: the store is unchanged, at schema version {start}")


def full_during(path: Path, size: int, start: int, target: int, reached: int, error: BaseException,
                room: Room = COPY) -> str:
    """What a disk filled up during the upgrade means, and the schema version the store was left at."""
    where = "unchanged" if reached == start else "upgraded in part, its steps so far committed"
    return (f"database {path}: disk full while upgrading the store from schema version {start} to {target} "
            f"({error}): {_need(size, room)}; free space, then run again: the store is {where}, at schema version "
            f"{reached}, and the upgrade goes on from there")
