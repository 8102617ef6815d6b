"""One spelling per source: the mentions an older release stored as 'Twitter' beside the collectors' 'twitter'."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from brandpulse.store.backend import Store
from brandpulse.store.brands import brand_in
from brandpulse.store.queries import stored_sources

# A post stored under several spellings of its source (imported as 'Twitter' before sources were folded on ingest,
# then collected as 'twitter') keeps one copy per brand: the one under the source's spelling, else the oldest. A mark
# of answered on any copy is kept on it, as brands.fold_spellings keeps it.
_SAME_POST = "{alias}.external_id = mentions.external_id AND coalesce({alias}.brand, '') = coalesce(mentions.brand, '')"
_CARRY_ANSWERED = f"""UPDATE mentions SET {{column}} = (
        SELECT o.{{column}} FROM mentions o WHERE {_SAME_POST.format(alias="o")} AND {{o_in}}
            AND o.answered_at IS NOT NULL ORDER BY o.answered_at LIMIT 1)
    WHERE {{m_in}} AND answered_at IS NULL AND EXISTS (
        SELECT 1 FROM mentions o WHERE {_SAME_POST.format(alias="o")} AND {{o_in}} AND o.answered_at IS NOT NULL)"""
_DROP_COPIES = f"""DELETE FROM mentions WHERE {{others}} AND EXISTS (
    SELECT 1 FROM mentions k WHERE {_SAME_POST.format(alias="k")} AND {{k_in}}
        AND (k.source = :spelled OR k.id < mentions.id))"""
_RENAME = "UPDATE mentions SET source = :spelled WHERE {others}"


def fold_sources(db: Store, spelled: Mapping[str, str]) -> int:
    """Store every mention under its source's spelling, `spelled` (by the source's casefold; a source not in it
    stays as stored), one copy per post and brand; how many were moved or merged. Call in a transaction; a no-op once
    done, so a grouping by source counts 'Twitter' and 'twitter' as one."""
    stored = stored_sources(db)
    folded = 0
    for name in sorted(set(spelled.get(source.casefold(), source) for source in stored)):
        others = [source for source in stored if source != name and spelled.get(source.casefold()) == name]
        folded += _fold(db, name, others) if others else 0
    return folded


def _fold(db: Store, name: str, others: Sequence[str]) -> int:
    """Fold the mentions stored under the sources `others` into the source `name`."""
    m_in, params = brand_in("source", [name, *others], "source")
    o_in, k_in = brand_in("o.source", [name, *others], "source")[0], brand_in("k.source", [name, *others], "source")[0]
    others_in, other_params = brand_in("source", others, "other")
    for column in ("answered_by", "answered_at"):  # answered_at last: the subqueries find the copy it marks
        db.execute(_CARRY_ANSWERED.format(column=column, o_in=o_in, m_in=m_in), params)
    merged = db.execute(_DROP_COPIES.format(others=others_in, k_in=k_in),
                        {**params, **other_params, "spelled": name}).rowcount
    moved = db.execute(_RENAME.format(others=others_in), {**other_params, "spelled": name}).rowcount
    return max(merged, 0) + max(moved, 0)
