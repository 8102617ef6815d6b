"""The digest as people read it: plain text, HTML (charts inline by cid for email, as data URIs for a browser)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import date
from email.message import EmailMessage
from typing import Any

from brandpulse.alerts.digest import AVERAGE_DAYS, BASELINE_DAYS, SCORED
from brandpulse.alerts.emails import (ANSWERED_HOW, UNSCORED_WHY, build_message, new_cid, render, signed, signed_change,
                                      so_far)


def digest_subject(doc: Mapping[str, Any]) -> str:
    """`[brandpulse] Daily digest 2026-03-06 (Europe/Paris): Acme, Pinebrook` from configured names only, the day's
    zone named as the chat digest's title names it (`2026-03-06 so far, until 10:15 Europe/Paris` for a day not
    over)."""
    until = so_far(doc)
    day = f"{doc['date']} so far, until {until}" if until else f"{doc['date']} ({doc['timezone']})"
    return f"[brandpulse] Daily digest {day}: {', '.join(b['brand'] for b in doc['brands'])}"


def trend_png(brand: Mapping[str, Any]) -> bytes:
    """The brand's 30-day chart: mentions per day and the net score."""
    from brandpulse.alerts.charts import trend_chart

    trend = brand["trend"]
    return trend_chart([date.fromisoformat(t["date"]) for t in trend], [t["volume"] for t in trend],
                       [t["net_score"] for t in trend], f"{brand['brand']}: mentions and net score, {len(trend)} days")


def share_png(doc: Mapping[str, Any]) -> bytes | None:
    """The share-of-voice chart, None with fewer than two brands followed on the day (one brand's share is always
    100 %) or on a day without a mention of any (no share to draw: an empty frame, its axis from 0 to 10 %)."""
    from brandpulse.alerts.charts import share_chart

    # A brand not followed yet on the day has no share: no bar of 0 % beside the others.
    sov = [row for row in doc["share_of_voice"] if row.get("tracked", True)]
    if len(sov) < 2 or all(row["all"]["share"] is None for row in sov):
        return None
    shares = {k: [row[k]["share"] for row in sov] for k in ("all", "positive", "negative")}
    return share_chart([row["brand"] for row in sov], shares, f"Share of voice, {doc['date']}")


def _charts(doc: Mapping[str, Any], source: Callable[[bytes], str]) -> dict[str, Any]:
    share = share_png(doc)
    # A brand not followed yet on the day has no trend to draw (its section says so).
    return {"trend": {b["brand"]: source(trend_png(b)) for b in doc["brands"] if is_tracked(b)},
            "share": source(share) if share else None}


def net_compared(brand: Mapping[str, Any]) -> str:
    """What the text digest says after a brand's net score: ` (-22 vs previous day, -4 vs 7-day average +25)`, each
    change where both scores exist, and why there is none (`n/a (no mention on the day; 7-day average +9)`). It gave
    the 7-day average bare, so a reader had to subtract to see the day's score against the week's, which the HTML
    and the JSON give. The average is over the days of the week the brand was followed all day (`2-day average`),
    as for its mentions."""
    now, day, week = brand["net_score"], brand.get("net_score_previous_day"), brand.get("net_score_7d_average")
    changes = []
    if now is not None and day is not None:
        changes.append(f"{signed_change(now, day)} vs previous day")
    if week is not None:
        average = f"{brand.get('volume_7d_days', AVERAGE_DAYS)}-day average {signed(week)}"
        changes.append(f"{signed_change(now, week)} vs {average}" if now is not None else average)
    shown = [part for part in (no_score_why(brand), ", ".join(changes) or no_earlier_day(brand)) if part]
    return f" ({'; '.join(shown)})" if shown else ""


# A brand's section on a day before the store followed it, in place of its figures (as its share of voice says it):
# 'Mentions: 0' and a 30-day trend line of '·' read as a quiet month.
NOT_TRACKED_SECTION = "Not tracked yet on the day (configured or first mentioned later): no figure to show."
# Why a brand's first day followed all day (no full day before it that week) has no change of its net score: the
# HTML read 'n/a vs previous day / n/a vs 0-day average (n/a)'.
NO_EARLIER_DAY = "no earlier full day to compare with"


def is_tracked(brand: Mapping[str, Any]) -> bool:
    """Whether the store followed the brand on the digest's day (true in a digest built before it was said)."""
    return brand.get("tracked") is not False


def no_earlier_day(brand: Mapping[str, Any]) -> str | None:
    """`NO_EARLIER_DAY` for a followed brand with no day of the week before followed all day, else None."""
    return NO_EARLIER_DAY if is_tracked(brand) and brand.get("volume_7d_days", AVERAGE_DAYS) == 0 else None


def no_score_why(brand: Mapping[str, Any]) -> str | None:
    """Why a brand's day has no net score: `no mention on the day` or `no scored mention, only 2 unscored`; None where
    it has one. A bare `n/a` read as a fault of the digest on a day of mentions no model reads (a brand not tracked
    yet has `NOT_TRACKED_SECTION` in place of its figures)."""
    if brand["net_score"] is not None:
        return None
    others = {name: n for name, n in brand["categories"].items() if name not in SCORED and n}
    if not others:
        return "no mention on the day"
    return "no scored mention, only " + ", ".join(f"{n} {name}" for name, n in others.items())


def volume_compared(brand: Mapping[str, Any]) -> list[str]:
    """A brand's mentions against the day before and the 7-day average: `+20 % vs previous day (20)`, `+53 % vs 7-day
    average (15.7 a day)` (`3-day average` over the 3 days a brand added since was followed); none for a brand not
    followed before the day (or a digest built before they were given)."""
    change, shown = brand.get("volume_change") or {}, []
    if brand.get("volume_previous_day") is not None:
        shown.append(f"{_percent_change(change.get('previous_day'))} vs previous day ({brand['volume_previous_day']})")
    if brand.get("volume_7d_average") is not None:
        days = brand.get("volume_7d_days", AVERAGE_DAYS)
        shown.append(f"{_percent_change(change.get('7d_average'))} vs {days}-day average "
                     f"({brand['volume_7d_average']:g} a day)")
    return shown


def _percent_change(value: float | None) -> str:
    return "n/a" if value is None else f"{signed(value)} %"


def day_length(doc: Mapping[str, Any]) -> str | None:
    """What a day the clocks changed on is (`2026-10-25 had 25 hours in Europe/Berlin: the clocks went back; its
    counts cover one hour more than a usual day's`), None for a day of 24 hours: a 25-hour day's volume read as a
    rise of 4 % that was the extra hour's."""
    hours = doc.get("hours", 24)
    if hours == 24:
        return None
    went, more = ("back", "more") if hours > 24 else ("forward", "less")
    minutes = round(abs(hours - 24) * 60)
    extra = "one hour" if minutes == 60 else f"{minutes // 60} hours" if minutes % 60 == 0 else f"{minutes} minutes"
    return (f"{doc['date']} had {hours:g} hours in {doc['timezone']}: the clocks went {went}; its counts cover "
            f"{extra} {more} than a usual day's.")


def no_share_chart_why(doc: Mapping[str, Any]) -> str:
    """Why the digest has no share-of-voice chart: no mention of any brand, or a single brand followed on the day."""
    if any(row.get("tracked", True) and row["all"]["share"] is not None for row in doc["share_of_voice"]):
        return "Only one brand was followed on the day: no share to compare."
    return "No mention of any brand on the day: no share to compare."


def baseline_span(brand: Mapping[str, Any]) -> str:
    """What a brand's themes were contrasted with: `the previous 28 days`, `the previous 3 days` in a store begun three
    days ago (it said 28), `the previous day`, or `no earlier day: the brand's first`."""
    days = brand.get("themes_baseline_days", BASELINE_DAYS)
    if days == 0:
        return "no earlier day: the brand's first"
    return "the previous day" if days == 1 else f"the previous {days} days"


def digest_text(doc: Mapping[str, Any]) -> str:
    """The digest as plain text."""
    return render("digest.txt", {"doc": doc, "unscored_why": UNSCORED_WHY, "answered_how": ANSWERED_HOW,
                                 "net_compared": net_compared, "volume_compared": volume_compared,
                                 "baseline_span": baseline_span, "is_tracked": is_tracked,
                                 "not_tracked": NOT_TRACKED_SECTION, "day_length": day_length(doc)})


def digest_html(doc: Mapping[str, Any], source: Callable[[bytes], str]) -> str:
    """The digest as HTML; `source` turns each chart's PNG into the image's `src`."""
    return render("digest.html", {"doc": doc, "charts": _charts(doc, source), "unscored_why": UNSCORED_WHY,
                                  "no_share_chart_why": no_share_chart_why(doc),
                                  "answered_how": ANSWERED_HOW, "volume_compared": volume_compared,
                                  "no_score_why": no_score_why, "baseline_span": baseline_span,
                                  "no_earlier_day": no_earlier_day, "is_tracked": is_tracked,
                                  "not_tracked": NOT_TRACKED_SECTION, "day_length": day_length(doc)})


def data_uri(png: bytes) -> str:
    """A PNG as a data URI, for a page read in a browser."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def digest_preview(doc: Mapping[str, Any]) -> str:
    """The digest as a standalone HTML page, charts embedded as data URIs."""
    return digest_html(doc, data_uri)


def digest_email(doc: Mapping[str, Any], sender: str, recipients: list[str]) -> EmailMessage:
    """The digest email: text and HTML, its charts inline by cid."""
    images: dict[str, bytes] = {}

    def cid_for(png: bytes) -> str:
        cid = new_cid()
        images[cid] = png
        return f"cid:{cid}"

    html = digest_html(doc, cid_for)
    return build_message(digest_subject(doc), sender, recipients, digest_text(doc), html, images)
