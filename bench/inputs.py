"""What every bench script checks first: the files it reads exist, else one line saying where they belong."""

from __future__ import annotations

import argparse
from pathlib import Path


def require(parser: argparse.ArgumentParser, *paths: Path | None) -> None:
    """Exit with a usage error naming the first of `paths` (None: an option not given) that does not exist."""
    for given in paths:
        if given is not None and not given.exists():
            where = " (the shared data and yardsticks sit in ../shared, beside the clone)"
            parser.error(f"{given} does not exist{where if 'shared' in given.parts else ''}")
