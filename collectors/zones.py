"""Time zones that feeds name by abbreviation in RFC 822 dates ("Mon, 23 Nov 2026 10:00:00 CET") and feedparser
does not know: it reads such a date as UTC."""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone
from typing import Any

# Zone abbreviations of RFC 822 dates that feedparser reads as UTC (it knows UT, GMT and the US zones alone): so read,
# an entry dated 00:30 HST (10:30 UTC) fell behind one dated 10:00 UTC, and was lost. IST is left out: India, Ireland
# and Israel all write it.
NAMED_ZONES = {
    "WEST": "+0100", "BST": "+0100", "CET": "+0100", "MEZ": "+0100", "CEST": "+0200", "MESZ": "+0200", "EET": "+0200",
    "EEST": "+0300", "MSK": "+0300", "HKT": "+0800", "SGT": "+0800", "AWST": "+0800", "JST": "+0900", "KST": "+0900",
    "ACST": "+0930", "ACDT": "+1030", "AEST": "+1000", "AEDT": "+1100", "NZST": "+1200", "NZDT": "+1300",
    "HST": "-1000", "AKST": "-0900", "AKDT": "-0800", "NST": "-0330", "NDT": "-0230", "BRT": "-0300", "ART": "-0300",
}
_NAMED_ZONE = re.compile(r"\s([A-Za-z]{3,4})\s*$")


def date_field(entry: Any, key: str) -> Any:
    """The entry's own `key` ('updated', 'published', their `_parsed`), None when absent: feedparser's `get('updated')`
    answers an entry without one with its published date (and a DeprecationWarning: the mapping is to go away)."""
    return entry.get(key) if key in entry else None


def in_named_zone(text: Any) -> datetime | None:
    """An RFC 822 date ending in a zone of NAMED_ZONES, read in that zone; None for any other."""
    zone = _named_zone(text)
    return _rfc822(text.rstrip()[:-len(zone)] + NAMED_ZONES[zone]) if zone in NAMED_ZONES else None


def _named_zone(text: Any) -> str | None:
    """The zone abbreviation ending the date `text` (`CET`), in upper case; None when it ends otherwise."""
    found = _NAMED_ZONE.search(text) if isinstance(text, str) else None
    return found.group(1).upper() if found else None


def zone_ahead(entry: Any) -> timedelta:
    """How far ahead of UTC the zone of NAMED_ZONES the entry's date is written in is (none: 0): how much earlier
    than before this release reads it."""
    zones = (_named_zone(date_field(entry, key)) for key in ("published", "updated"))
    offset = NAMED_ZONES.get(next((zone for zone in zones if zone in NAMED_ZONES), ""), "+0000")
    ahead = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:]))
    return ahead if offset[0] == "+" else timedelta(0)


def _rfc822(text: str) -> datetime | None:
    try:
        written = email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError):
        return None
    return written.astimezone(timezone.utc) if written.tzinfo else None
