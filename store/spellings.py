"""Folding the stored spellings of one name (a brand's 'acme' and 'Acme', a source's 'Twitter' and 'twitter') into
one, keeping one copy per post."""

from __future__ import annotations

from collections.abc import Sequence

from brandpulse.store.backend import Store

# What else makes two rows copies of one post, by the column being folded ({a}: the other row's alias).
_SAME_POST = {
    "brand": "{a}.source = mentions.source AND {a}.external_id = mentions.external_id",
    "source": "{a}.external_id = mentions.external_id AND coalesce({a}.brand, '') = coalesce(mentions.brand, '')",
}
# A mark of answered on any copy is kept on the copy that stays: the one under the kept spelling, else the oldest.
_CARRY_ANSWERED = """UPDATE mentions SET {column} = (
        SELECT o.{column} FROM mentions o WHERE {same_o} AND {o_in} AND o.answered_at IS NOT NULL
            ORDER BY o.answered_at LIMIT 1)
    WHERE {m_in} AND answered_at IS NULL AND EXISTS (
        SELECT 1 FROM mentions o WHERE {same_o} AND {o_in} AND o.answered_at IS NOT NULL)"""
_DROP_COPIES = """DELETE FROM mentions WHERE {others} AND EXISTS (
    SELECT 1 FROM mentions k WHERE {same_k} AND {k_in} AND (k.{field} = :spelled OR k.id < mentions.id))"""
_RENAME = "UPDATE mentions SET {field} = :spelled WHERE {others}"


def name_in(column: str, names: Sequence[str], prefix: str = "brand") -> tuple[str, dict[str, str]]:
    """`column IN (...)` over `names` (the stored spellings of one name), and its named parameters (`prefix`_0...)."""
    params = {f"{prefix}_{i}": name for i, name in enumerate(names)}
    return f"{column} IN ({', '.join(':' + key for key in params)})", params


def merge_spellings(db: Store, field: str, name: str, others: Sequence[str]) -> int:
    """Store the mentions whose `field` ('brand' or 'source') is one of `others` under `name`, one copy per post; how
    many were moved or merged. Call in a transaction."""
    spellings = [name, *others]
    m_in, params = name_in(field, spellings, field)
    o_in, k_in = name_in(f"o.{field}", spellings, field)[0], name_in(f"k.{field}", spellings, field)[0]
    others_in, other_params = name_in(field, others, "other")
    same = _SAME_POST[field]
    for column in ("answered_by", "answered_at"):  # answered_at last: the subqueries find the copy it marks
        db.execute(_CARRY_ANSWERED.format(column=column, same_o=same.format(a="o"), o_in=o_in, m_in=m_in), params)
    merged = db.execute(_DROP_COPIES.format(others=others_in, same_k=same.format(a="k"), k_in=k_in, field=field),
                        {**params, **other_params, "spelled": name}).rowcount
    moved = db.execute(_RENAME.format(field=field, others=others_in), {**other_params, "spelled": name}).rowcount
    return max(merged, 0) + max(moved, 0)
