"""The daily digest for marketing: per-brand figures from a day's mentions, and its email (text, HTML, charts)."""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from typing import Any

from brandpulse.alerts.emails import build_message, new_cid, render

_WORD = re.compile(r"[a-zA-Z][a-zA-Z'\-]{2,}")
STOPWORDS = frozenset("""
a about after again all also am an and any are aren't as at be because been before being but by can can't could
did didn't do does doesn't doing don't for from get got had has have haven't having he her here hers him his how i
i'm if in into is isn't it it's its just let me more most my no not now of off on once only or other our out over
own same she should so some such than that that's the their them then there these they this those through to too
under until up very was wasn't we were what when where which while who why will with won't would you your yours
again still really today yesterday one two get gets getting
""".split())


@dataclass(frozen=True)
class BrandDigest:
    """One brand's day: volume, categories, net sentiment and its trend, top mentions, negative terms, sources."""

    brand: str
    day: date
    volume: int
    counts: Mapping[str, int]
    nss: float | None
    nss_previous_day: float | None
    nss_7d_average: float | None
    top_positive: Sequence[Mapping[str, Any]]
    top_negative: Sequence[Mapping[str, Any]]
    negative_terms: Sequence[tuple[str, int]]
    sources: Sequence[Mapping[str, Any]]
    history: Sequence[tuple[date, Mapping[str, int]]] = field(default=())

    @property
    def change(self) -> float | None:
        """Net sentiment change against the previous day, in points."""
        if self.nss is None or self.nss_previous_day is None:
            return None
        return self.nss - self.nss_previous_day


def net_score(counts: Mapping[str, int]) -> float | None:
    """% promoters - % detractors, None without mentions (the same definition as the sentiment stage's)."""
    total = sum(counts.get(k, 0) for k in ("promoter", "passive", "detractor"))
    return 100.0 * (counts.get("promoter", 0) - counts.get("detractor", 0)) / total if total else None


def frequent_terms(texts: Sequence[str], ignore: Sequence[str], limit: int) -> list[tuple[str, int]]:
    """The most frequent words of `texts` (counted once per text), without stop words or the brand's own words."""
    ignored = STOPWORDS | {w.lower() for phrase in ignore for w in _WORD.findall(phrase)}
    counter: Counter[str] = Counter()
    for text in texts:
        counter.update({w.lower() for w in _WORD.findall(text)} - ignored)
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _by_source(mentions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, Counter[str]] = {}
    for m in mentions:
        groups.setdefault(m["source"], Counter())[m["category"]] += 1
    return [
        {"source": s, "volume": sum(c.values()), "promoters": c["promoter"], "passives": c["passive"],
         "detractors": c["detractor"], "unscored": c["unscored"], "nss": net_score(c)}
        for s, c in sorted(groups.items(), key=lambda item: -sum(item[1].values()))
    ]


def brand_digest(
    brand: str, day: date, mentions: Sequence[Mapping[str, Any]], history: Sequence[tuple[date, Mapping[str, int]]],
    keywords: Sequence[str], top: int = 3, terms: int = 10,
) -> BrandDigest:
    """The digest of `brand` for `day` from its classified mentions and the category counts of the 7 days before."""
    counts = Counter(m["category"] for m in mentions)
    earlier = [net_score(c) for _, c in history]
    scored = [s for s in earlier if s is not None]
    ranked = sorted(mentions, key=lambda m: m["score"] if m["score"] is not None else 0.0)
    return BrandDigest(
        brand=brand, day=day, volume=len(mentions),
        counts={k: counts.get(k, 0) for k in ("promoter", "passive", "detractor", "unscored")},
        nss=net_score(counts), nss_previous_day=earlier[-1] if earlier else None,
        nss_7d_average=sum(scored) / len(scored) if scored else None,
        top_positive=[m for m in reversed(ranked) if m["category"] == "promoter"][:top],
        top_negative=[m for m in ranked if m["category"] == "detractor"][:top],
        negative_terms=frequent_terms([m["text"] for m in mentions if m["category"] == "detractor"], [brand, *keywords], terms),
        sources=_by_source(mentions), history=[*history, (day, counts)],
    )


def _chart(digest: BrandDigest) -> bytes:
    from brandpulse.alerts.charts import daily_chart

    days = [d for d, _ in digest.history]
    return daily_chart(
        days, [c.get("promoter", 0) for _, c in digest.history], [c.get("passive", 0) for _, c in digest.history],
        [c.get("detractor", 0) for _, c in digest.history], f"{digest.brand}: mentions per day",
    )


def _parts(digests: Sequence[BrandDigest], day: date, chart_src) -> tuple[str, str]:
    context = {"day": day, "digests": [(d, chart_src(d)) for d in digests]}
    return render("digest.txt", context), render("digest.html", context)


def digest_subject(digests: Sequence[BrandDigest], day: date) -> str:
    """`[brandpulse] Daily digest 2026-03-06: Acme, Pinebrook` from configured names only."""
    return f"[brandpulse] Daily digest {day.isoformat()}: {', '.join(d.brand for d in digests)}"


def digest_email(digests: Sequence[BrandDigest], day: date, sender: str, recipients: list[str]) -> EmailMessage:
    """The digest email: text and HTML, one chart per brand inline by cid."""
    images: dict[str, bytes] = {}

    def cid_for(digest: BrandDigest) -> str:
        cid = new_cid()
        images[cid] = _chart(digest)
        return f"cid:{cid}"

    text, html = _parts(digests, day, cid_for)
    return build_message(digest_subject(digests, day), sender, recipients, text, html, images)


def digest_preview(digests: Sequence[BrandDigest], day: date) -> str:
    """The digest as a standalone HTML page, charts embedded as data URIs."""
    return _parts(digests, day, lambda d: "data:image/png;base64," + base64.b64encode(_chart(d)).decode("ascii"))[1]
