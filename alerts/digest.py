"""The daily digest's figures: per brand (volume, categories, complaints, net score and its trend, themes, grouped top
mentions, sources, alerts) and across brands (share of voice), and their stable JSON shape."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from brandpulse.alerts.background import bundled_background, in_background_language
from brandpulse.alerts.complaints_first import complaint_figures, flagged, is_complaint
from brandpulse.alerts.evidence import themes_by_count
from brandpulse.alerts.neardup import largest_groups
from brandpulse.alerts.themes import themes

SCORED = ("promoter", "passive", "detractor")
TREND_DAYS = 30
AVERAGE_DAYS = 7
BASELINE_DAYS = 28  # the day's negative themes are contrasted with the brand's detractors of the 28 days before
MENTION_FIELDS = ("id", "source", "author", "text", "url", "created_at", "score", "complaint", "similar", "answered_by",
                  "answered", "complaints")


@dataclass(frozen=True)
class BrandDigest:
    """One brand's day: volume, categories, complaints, net score with its trend, themes, grouped top mentions,
    sources, alerts."""

    brand: str
    day: date
    counts: Mapping[str, int]
    trend: Sequence[tuple[date, Mapping[str, int]]]  # TREND_DAYS days, oldest first, the digest's day last
    themes: Sequence[Mapping[str, Any]]
    top_positive: Sequence[Mapping[str, Any]]
    top_negative: Sequence[Mapping[str, Any]]
    sources: Sequence[Mapping[str, Any]]
    alerts: Sequence[Mapping[str, Any]] = ()
    complaints: int = 0  # mentions the complaint head reads as complaints: the posts support has to answer
    passive_complaints: int = 0  # of those, the ones no detractor (a 4-star review's): to answer all the same
    complaint_unknown: int = 0  # detractors without a complaint probability (imported labels): to answer, as every one
    unclassified: int = 0  # posted that day but not read by the classifier yet: in no figure of the digest
    tracked_days: int = AVERAGE_DAYS  # of the 7 days before, those the brand was followed all day (latest ones)
    baseline_days: int = BASELINE_DAYS  # the days before the day its themes were contrasted with: fewer in a new store

    @property
    def volume(self) -> int:
        """Classified mentions of the day, every category (`unscored` included)."""
        return sum(self.counts.values())

    @property
    def nss(self) -> float | None:
        """The day's net sentiment score."""
        return net_score(self.counts)

    @property
    def nss_previous_day(self) -> float | None:
        """The net score of the day before, None when the brand was not followed all that day (as for
        `volume_previous_day`): the few posts of its first evening read as the day's score, a +150 change."""
        return net_score(self.trend[-2][1]) if self.tracked_days and len(self.trend) >= 2 else None

    @property
    def followed_week(self) -> Sequence[tuple[date, Mapping[str, int]]]:
        """The days of the 7 before the brand was followed all day (the latest `tracked_days`), oldest first: what
        both 7-day averages are taken over."""
        return self.trend[:-1][-min(self.tracked_days, AVERAGE_DAYS):] if self.tracked_days else []

    @property
    def nss_7d_average(self) -> float | None:
        """The net score of the 7 days before (those the brand was followed all day, as for `volume_7d_average`),
        their mentions together. Not the mean of the daily scores: a Sunday of one detractor (-100) weighed as much
        as six days of a hundred mentions each, and took the average from +60 to +37."""
        week: Counter[str] = Counter()
        for _, counts in self.followed_week:
            week.update(counts)
        return net_score(week)

    @property
    def volume_previous_day(self) -> int | None:
        """Mentions of the day before, None when the brand was not followed yet (no day to compare with)."""
        return sum(self.trend[-2][1].values()) if self.tracked_days and len(self.trend) >= 2 else None

    @property
    def volume_7d_average(self) -> float | None:
        """Mentions a day over the 7 days before, or over those of them the brand was followed all day: a brand
        added two days ago had five days of no mention in its average, its volume read as five times its usual."""
        days = self.followed_week
        return sum(sum(counts.values()) for _, counts in days) / len(days) if days else None

    @property
    def change(self) -> float | None:
        """Net score change against the previous day, in points: the difference of the two scores as shown (rounded to
        0.1), so that 19.8 against 27.9 reads -8.1, not the -8.2 of the unrounded 19.77 and 27.94."""
        return _minus(_round(self.nss), _round(self.nss_previous_day))

    @property
    def change_7d(self) -> float | None:
        """Net score change against the 7-day average, in points (of the two as shown, as `change`)."""
        return _minus(_round(self.nss), _round(self.nss_7d_average))


def percent_change(now: float, then: float | None) -> float | None:
    """The change from `then` to `now` in % of `then`, rounded to 0.1; None without `then` or from 0."""
    return None if not then else _round(100.0 * (now - then) / then)


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def net_score(counts: Mapping[str, int]) -> float | None:
    """% promoters - % detractors of the scored mentions (`unscored` ones left out), None without any."""
    total = sum(counts.get(k, 0) for k in SCORED)
    return 100.0 * (counts.get("promoter", 0) - counts.get("detractor", 0)) / total if total else None


def category_counts(mentions: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Mentions per category: the three scored ones always, any other (such as `unscored`) when present."""
    counts = Counter(m["category"] for m in mentions)
    return {**{k: 0 for k in SCORED}, **dict(sorted(counts.items()))}


def by_source(mentions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per source, busiest first: volume, each category's count and the net score."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for m in mentions:
        groups.setdefault(m["source"], []).append(m)
    rows = []
    for source, found in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        counts = category_counts(found)
        rows.append({"source": source, "volume": len(found), **counts, "net_score": _round(net_score(counts))})
    return rows


def top_grouped(mentions: Sequence[Mapping[str, Any]], category: str, limit: int,
                complaint_threshold: float | None = None) -> list[dict[str, Any]]:
    """The largest near-duplicate groups of promoters (or detractors), one mention each with `similar` and `answered`
    (how many of its group, itself included, were marked answered: one answered post of fourteen is not the group's
    answer), and, given `complaint_threshold`, `complaints` (how many of its group are complaints, None without):
    what the day was most about; among groups of one size the most positive (or negative) first."""
    chosen = [m for m in mentions if m["category"] == category]
    chosen.sort(key=lambda m: m["score"] if m["score"] is not None else 0.0, reverse=category == "promoter")
    groups = largest_groups(chosen, limit, answered=lambda m: bool(m.get("answered_by")),
                            complaints=None if complaint_threshold is None else
                            lambda m: is_complaint(m, complaint_threshold))
    return [{k: m.get(k) for k in MENTION_FIELDS} for m in groups]


def brand_digest(
    brand: str, day: date, mentions: Sequence[Mapping[str, Any]], trend: Sequence[tuple[date, Mapping[str, int]]],
    baseline_texts: Sequence[str], keywords: Sequence[str], alerts: Sequence[Mapping[str, Any]] = (),
    top: int = 3, terms: int = 5, *, complaint_threshold: float, unclassified: int = 0,
    tracked_days: int = AVERAGE_DAYS, baseline_days: int = BASELINE_DAYS,
) -> BrandDigest:
    """The digest of `brand` for `day` from its classified mentions, the category counts of the days before
    (oldest first) and the texts of its detractor mentions of the `BASELINE_DAYS` before. A mention is a complaint
    from `complaint_threshold` on (`alerts.complaints_first`); the top negative mentions say which are
    (`is_complaint`). `tracked_days`: how many of the 7 days before the brand was followed all day;
    `baseline_days`: how many days before the day the baseline texts span (fewer than 28 in a store begun since).
    Themes are listed by their count on the day (of those standing out most): by score, 'charged 37, double charged
    21, billing 23' read as a miscount."""
    counts = category_counts(mentions)
    negative = [m for m in mentions if m["category"] == "detractor"]
    found = themes([m["text"] or "" for m in negative], baseline_texts, [brand, *keywords], terms, bundled_background(),
                   [in_background_language(m.get("lang")) for m in negative])
    return BrandDigest(
        brand=brand, day=day, counts=counts, trend=[*trend, (day, counts)][-TREND_DAYS:],
        themes=themes_by_count(t.as_dict() for t in found),
        top_positive=top_grouped(mentions, "promoter", top),
        top_negative=flagged(top_grouped(mentions, "detractor", top, complaint_threshold), complaint_threshold),
        sources=by_source(mentions), alerts=[alert_summary(a) for a in alerts],
        unclassified=unclassified, tracked_days=tracked_days, baseline_days=baseline_days,
        **_complaints(mentions, complaint_threshold),
    )


def _complaints(mentions: Sequence[Mapping[str, Any]], threshold: float) -> dict[str, int]:
    figures = complaint_figures(mentions, threshold)
    return {key: figures[key] for key in ("complaints", "passive_complaints", "complaint_unknown")}


def alert_summary(alert: Mapping[str, Any]) -> dict[str, Any]:
    """An alert as the digest lists it: kind, source, window, counts, reason (and what a failing collector's is
    made of) and themes."""
    details = alert.get("details") or {}
    return {"kind": alert["kind"], "source": alert["source"], "window_start": alert["window_start"],
            "window_end": alert["window_end"], "observed": alert["observed"], "expected": alert["expected"],
            "reason": alert["reason"], "themes": themes_by_count(details.get("themes") or []),
            # What a failing collector's reason is rebuilt from, on the digest zone's wall clock (stored: UTC).
            "health": {k: details[k] for k in ("check", "last_success", "last_error") if k in details}}


def shares_summing_to_100(counts: Sequence[int], digits: int = 1) -> list[float | None]:
    """Each count's share (%) of their sum in `digits` decimals, by largest remainder: rounded one by one, three
    brands' 33.35 % + 33.35 % + 33.3 % showed 100.1 %; these always add up to exactly 100 (None each for no count)."""
    whole, units = sum(counts), 100 * 10 ** digits
    if not whole:
        return [None] * len(counts)
    floors = [count * units // whole for count in counts]
    # The units rounding down left over go to the largest remainders, the first brand first on a tie.
    by_remainder = sorted(range(len(counts)), key=lambda i: -(counts[i] * units % whole))
    for i in by_remainder[:units - sum(floors)]:
        floors[i] += 1
    return [floor / 10 ** digits for floor in floors]


def share_of_voice(
    day: Mapping[str, Mapping[str, int]], before: Mapping[str, Mapping[str, int]], untracked: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Each brand's share (%) of all, positive (promoter) and negative (detractor) mentions of the configured brands
    on the day, with its change in points against the share over the days `before` (summed counts). The shares of
    each kind add up to exactly 100 (`shares_summing_to_100`). A brand of `untracked` (not followed yet on the day)
    has none (`tracked` false): its `0.0 %` read as a brand nobody spoke of."""
    brands = list(day)
    rows: list[dict[str, Any]] = [{"brand": brand, "tracked": brand not in untracked} for brand in brands]
    for key, pick in (("all", None), ("positive", "promoter"), ("negative", "detractor")):
        shown = shares_summing_to_100([_count(day[brand], pick) for brand in brands])
        for row, share, brand in zip(rows, shown, brands):
            # From the exact shares: two brands of equal counts (shown 33.4 and 33.3 before) change alike.
            now = _share(_count(day[brand], pick), sum(_count(c, pick) for c in day.values()))
            then = _share(_count(before.get(brand, {}), pick), sum(_count(c, pick) for c in before.values()))
            row[key] = ({"share": share, "change": _round(_minus(now, then))} if row["tracked"]
                        else {"share": None, "change": None})
    return rows


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _count(counts: Mapping[str, int], category: str | None) -> int:
    return sum(counts.values()) if category is None else counts.get(category, 0)


def round_half_away(value: float, digits: int = 1) -> float:
    """`value` rounded half away from zero, as SQL's round() in `stats` does: 12.25 is 12.3 and 12.5 is 13 in both
    (Python's own round() gives 12.2 and 12); never -0."""
    scale = 10 ** digits
    return math.copysign(math.floor(abs(value) * scale + 0.5) / scale, value) + 0.0


def _round(value: float | None) -> float | None:
    return None if value is None else round_half_away(value)


def brand_json(d: BrandDigest, tracked: bool = True) -> dict[str, Any]:
    """One brand's part of the digest JSON (the shape documented in the README); `tracked` false for a brand not
    followed yet on the day (configured, or first mentioned, later), as its share of voice says."""
    return {
        "brand": d.brand, "tracked": tracked, "volume": d.volume, "volume_previous_day": d.volume_previous_day,
        "volume_7d_average": _round(d.volume_7d_average), "volume_7d_days": min(d.tracked_days, AVERAGE_DAYS),
        "volume_change": {"previous_day": percent_change(d.volume, d.volume_previous_day),
                          "7d_average": percent_change(d.volume, d.volume_7d_average)},
        "categories": dict(d.counts), "complaints": d.complaints,
        "passive_complaints": d.passive_complaints, "complaint_unknown": d.complaint_unknown,
        # What `query --to-answer` lists for the day: every detractor and the other complaints.
        "to_answer": d.counts.get("detractor", 0) + d.passive_complaints, "unclassified": d.unclassified,
        "net_score": _round(d.nss), "net_score_previous_day": _round(d.nss_previous_day),
        "net_score_7d_average": _round(d.nss_7d_average),
        "net_score_change": {"previous_day": _round(d.change), "7d_average": _round(d.change_7d)},
        "trend": [{"date": day.isoformat(), "volume": sum(c.values()),
                   **{k: c.get(k, 0) for k in (*SCORED, "unscored")},
                   "net_score": _round(net_score(c))} for day, c in d.trend],
        "themes": list(d.themes), "themes_baseline_days": d.baseline_days, "top_positive": list(d.top_positive),
        "top_negative": list(d.top_negative),
        "sources": list(d.sources), "alerts": list(d.alerts),
    }


def digest_json(
    digests: Sequence[BrandDigest], sov: Sequence[Mapping[str, Any]], day: date, zone: str,
    sov_days: int = AVERAGE_DAYS, as_of: str | None = None, hours: float = 24,
) -> dict[str, Any]:
    """The whole digest as one JSON object: date, time zone, the day's `hours` on its wall clock (23 or 25 where the
    clocks change), whether the day was over when it was built (else `as_of`, when: its figures are the day so far),
    brands, share of voice (its changes against the `sov_days` days before, those of the week every brand was
    tracked). A brand is `tracked` as its share of voice row says."""
    tracked = {row["brand"]: row.get("tracked", True) for row in sov}
    return {"date": day.isoformat(), "timezone": zone, "hours": hours, "complete": as_of is None, "as_of": as_of,
            "brands": [brand_json(d, tracked.get(d.brand, True)) for d in digests], "share_of_voice": list(sov),
            "share_of_voice_days": sov_days}
