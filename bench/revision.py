"""What a before/after bench needs: the brandpulse package as it was at another commit, importable beside this one.

`package_at(rev, into)` checks `rev` out (a detached `git worktree`) and lays out a folder whose `brandpulse` package
is that commit's (its `brandpulse/` with the pipeline folders linked in as the install maps them); a child Python with
that folder first on PYTHONPATH imports the old code, ahead of the editable install of this one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAGES = ("collectors", "sentiment", "store", "alerts")


def package_at(rev: str, into: Path) -> Path:
    """A folder to put first on PYTHONPATH to import brandpulse as it was at `rev`."""
    into.mkdir(parents=True, exist_ok=True)
    tree = into / "tree"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
    root = into / "package"
    shutil.copytree(tree / "brandpulse", root / "brandpulse")
    for stage in STAGES:
        (root / "brandpulse" / stage).symlink_to(tree / stage)
    return root


def remove(into: Path) -> None:
    """Remove the worktree `package_at` made under `into`."""
    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(into / "tree")], check=False)


def child_env(package: Path | None) -> dict[str, str]:
    """The environment of a child Python importing brandpulse from `package` (None: this checkout)."""
    env = dict(os.environ)
    if package is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(package), str(REPO / "bench")])
    return env
