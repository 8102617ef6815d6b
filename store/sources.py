"""One spelling per source: the mentions an older release stored as 'Twitter' beside the collectors' 'twitter'."""

from __future__ import annotations

from collections.abc import Mapping

from brandpulse.store.backend import Store
from brandpulse.store.queries import stored_sources
from brandpulse.store.spellings import merge_spellings

# A post stored under several spellings of its source (imported as 'Twitter' before sources were folded on ingest,
# then collected as 'twitter') keeps one copy per brand, as brands.fold_spellings keeps one.


def fold_sources(db: Store, spelled: Mapping[str, str]) -> int:
    """Store every mention under its source's spelling, `spelled` (by the source's casefold; a source not in it
    stays as stored), one copy per post and brand; how many were moved or merged. Call in a transaction; a no-op once
    done, so a grouping by source counts 'Twitter' and 'twitter' as one."""
    stored = stored_sources(db)
    folded = 0
    for name in sorted(set(spelled.get(source.casefold(), source) for source in stored)):
        others = [source for source in stored if source != name and spelled.get(source.casefold()) == name]
        folded += merge_spellings(db, "source", name, others) if others else 0
    return folded
