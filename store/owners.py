"""Whose the SQLite store's files are: one made by a command run as another user (root) locks the service out."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

# The process's effective user is the one files are opened as (the same as the real one but for setuid tricks).
_EFFECTIVE = os.access in os.supports_effective_ids


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def store_files(path: Path) -> list[Path]:
    """The store's file and the files SQLite and the service lock keep beside it."""
    return [path] + [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")] + [
        Path(f"{path.resolve()}.lock")]


def foreign_file(path: Path, files: list[Path] | None = None) -> str | None:
    """Why this process may not use the store at `path`: the first of `files` (default: all the store's) that
    another user owns and this one may not read and write; None when there is none."""
    for file in store_files(path) if files is None else files:
        try:
            owner = file.stat().st_uid
        except OSError:
            continue
        if owner != os.geteuid() and not os.access(file, os.R_OK | os.W_OK, effective_ids=_EFFECTIVE):
            them, me = _user(owner), _user(os.geteuid())
            return (f"{file} belongs to {them}, and this process runs as {me} (a brandpulse command run as {them} made "
                    f"it); run brandpulse as {them}, or give the store's files to {me}: chown {me} {path}*")
    return None
