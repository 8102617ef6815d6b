"""One spelling per source: the mentions and alerts an older release stored as 'Twitter' beside the collectors'
'twitter'."""

from __future__ import annotations

from collections.abc import Mapping

from brandpulse.store.backend import Store
from brandpulse.store.folding import name_key
from brandpulse.store.queries import stored_sources
from brandpulse.store.spellings import merge_spellings

# A post stored under several spellings of its source (imported as 'Twitter' before sources were folded on ingest,
# then collected as 'twitter') keeps one copy per brand, as brands.fold_spellings keeps one.


def fold_sources(db: Store, spelled: Mapping[str, str]) -> int:
    """Store every mention under its source's spelling, `spelled` (by the source's `name_key`; a source not in it
    stays as stored), one copy per post and brand; how many were moved or merged. Call in a transaction; a no-op once
    done, so a grouping by source counts 'Twitter' and 'twitter' as one."""
    stored = stored_sources(db)
    folded = 0
    for name in sorted(set(spelled.get(name_key(source), source) for source in stored)):
        others = [source for source in stored if source != name and spelled.get(name_key(source)) == name]
        folded += merge_spellings(db, "source", name, others) if others else 0
    return folded


# The alerts' sources: a health alert's (a source or a collector) and a per-source spike alert's.
_ALERT_SOURCES = "SELECT DISTINCT source FROM alerts WHERE source IS NOT NULL"
_RENAME_ALERTS = "UPDATE alerts SET source = :spelled WHERE source = :source"


def fold_alert_sources(db: Store, spelled: Mapping[str, str]) -> int:
    """Store every alert under its source's spelling, `spelled` (by the source's `name_key`; one not in it stays as
    stored), as `fold_sources` stores the mentions; how many alerts were renamed. Call in a transaction; a no-op once
    done, so that a health alert's cooldown (alerts.last_health_ends) and `alerts list` read 'Twitter' as 'twitter'."""
    renamed = 0
    for (source,) in db.execute(_ALERT_SOURCES).fetchall():
        name = spelled.get(name_key(source), source)
        if name != source:  # each alert stays a row of its own: no two are copies of one, as two mentions may be
            renamed += max(db.execute(_RENAME_ALERTS, {"spelled": name, "source": source}).rowcount, 0)
    return renamed
