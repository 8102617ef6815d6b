"""One writer service per SQLite file: an exclusive `flock` on `<db>.lock`, held for the life of the process.

On PostgreSQL any number of services and workers share the database: they coordinate through row claims and
advisory locks in the server (`Store.claim`, `Store.exclusive`), so there is no lock file to take.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path

from brandpulse.store.backend import is_url
from brandpulse.store.errors import StoreError
from brandpulse.store.owners import foreign_file

logger = logging.getLogger(__name__)


class StoreLocked(StoreError):
    """Another process already runs the service on this database."""


class ServiceLock:
    """An exclusive, non-blocking lock; the kernel releases it when the process dies, even on SIGKILL."""

    def __init__(self, db_path: str | Path):
        # Named after the real file: a symlink (or another relative path) to the same store takes the same lock.
        self.path = Path(f"{Path(db_path).resolve()}.lock")
        self._fd: int | None = None

    def holder(self) -> int | None:
        """The pid of the process holding the lock (0 when it wrote none), None when no process holds it. A shared
        lock probes it: nothing is written, and a service starting at that very instant is the only one refused."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:  # no lock file: no service ever ran here
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode("ascii", "replace").strip()
            return int(text) if text.isdigit() else 0
        finally:
            os.close(fd)  # closing drops the probe's lock too
        return None

    def acquire(self) -> ServiceLock:
        """Take the lock or raise `StoreLocked` naming the holder's pid and the lock file."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # a read-only file system, a folder the user cannot write, a file of another user
            why = foreign_file(Path(str(self.path)[:-5]), [self.path])
            raise StoreError(f"cannot take the service lock {self.path}: {exc.strerror}"
                             + (f"; {why}" if why else "")) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StoreLocked(
                f"another brandpulse service (pid {holder}) is already running on {str(self.path)[:-5]} "
                f"(lock {self.path}); stop it first, or use --db for another store"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock back (the process ending does the same)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ServiceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def service_lock(target: str | Path) -> AbstractContextManager[object]:
    """The single-instance lock of a SQLite store; nothing for a database server, whose workers coordinate in it."""
    return nullcontext() if is_url(target) else ServiceLock(target)


@contextmanager
def upgrade_lock(db_path: Path) -> Iterator[None]:
    """Held for a SQLite store's whole upgrade (an flock on `<db>.upgrade.lock`, which waits, saying so once): a second
    process or thread starting on the older store at that moment waits here, then finds it upgraded, instead of taking
    some of its steps. Nothing to hold where that file cannot be made: the upgrade then fails on the folder, saying
    why. The file goes when the upgrade ends; one killed mid-upgrade (kill -9) leaves it, unlocked, to the next."""
    path = f"{db_path.resolve()}.upgrade.lock"
    fd = _take_upgrade_lock(path, db_path)
    try:
        yield
    finally:
        if fd is not None:
            # Removed while still held: a process waiting on this file finds it gone once its turn comes, and locks a
            # new one (_take_upgrade_lock), so no two ever hold the lock on two files of one name.
            with suppress(OSError):
                os.unlink(path)
            os.close(fd)  # the lock goes with it


def _take_upgrade_lock(path: str, db_path: Path) -> int | None:
    """The open, locked file at `path`, holding this process's pid; None where it cannot be made."""
    said = False
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not said:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
                logger.warning("waiting for another brandpulse process%s to finish upgrading the store %s; this one "
                               "goes on once it has", f" (pid {holder})" if holder.isdigit() else "", db_path)
                said = True
            fcntl.flock(fd, fcntl.LOCK_EX)
        if _names(fd, path):
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode("ascii"))
            return fd
        os.close(fd)  # its holder removed it once done: the next upgrade's lock is a new file of that name


def _names(fd: int, path: str) -> bool:
    """Whether `path` still names the open file `fd`."""
    try:
        named = os.stat(path)
    except OSError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
