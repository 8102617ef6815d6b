"""The replay collector: plays a JSON Lines file of recorded mentions as if they were arriving now.

It powers the offline demo and lets operators rehearse alert rules on past data. Timestamps are
shifted by whole hours so that the newest recorded mention falls in the last complete hour before
`now`; the hour-of-day and day-of-week pattern of the recording is kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from brandpulse.collectors.base import BrandQuery, CollectorError, CollectResult, Mention
from brandpulse.collectors.brands import BrandMatcher
from brandpulse.collectors.jsonl import LineError, parse_lines

DEMO_FILE = "demo"


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class ReplayCollector:
    """Replays a bundled or local JSON Lines file; `path="demo"` plays the bundled demo data."""

    def __init__(self, name: str, path: str | Path, now: datetime, shift_to_now: bool = True):
        self.name = name
        self._path = path
        self._now = now
        self._shift_to_now = shift_to_now

    def _read_lines(self) -> list[str]:
        if str(self._path) == DEMO_FILE:
            demo = resources.files("brandpulse.collectors") / "data" / "demo_mentions.jsonl"
            return demo.read_text(encoding="utf-8").splitlines()
        try:
            return Path(self._path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise CollectorError(f"replay file {self._path} cannot be read: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CollectorError(
                f"replay file {self._path} is not valid UTF-8 ({exc.reason} at byte {exc.start}); re-encode it as UTF-8"
            ) from None

    def _load(self) -> list[Mention]:
        parsed = list(parse_lines(self._read_lines()))
        errors = [item for item in parsed if isinstance(item, LineError)]
        if errors:
            raise CollectorError(f"replay file {self._path}: {errors[0]} ({len(errors)} bad line(s))")
        mentions = [item for item in parsed if isinstance(item, Mention)]
        if not mentions or not self._shift_to_now:
            return mentions
        newest = max(m.created_at for m in mentions)
        shift = _floor_hour(self._now) - timedelta(hours=1) - _floor_hour(newest)
        return [replace(m, created_at=m.created_at + shift) for m in mentions]

    def probe(self, query: BrandQuery) -> None:
        """Read and parse the recording."""
        self._load()

    def collect(self, query: BrandQuery, cursor: dict[str, Any] | None) -> CollectResult:
        """Return the recorded mentions of `query.brand`; the store drops the ones it already has."""
        matcher = BrandMatcher([query])
        mentions = [
            replace(m, brand=query.brand)
            for m in self._load()
            if (m.brand == query.brand) or (m.brand is None and matcher.matches(query.brand, m.text))
        ]
        return CollectResult(mentions=mentions, cursor={"replayed": len(mentions)})
