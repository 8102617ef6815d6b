"""Composing emails: plain text and HTML from jinja2 templates (mention text escaped), charts inline by cid."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from brandpulse.alerts.base import Alert, ambiguous
from brandpulse.alerts.digest import AVERAGE_DAYS, round_half_away
from brandpulse.alerts.evidence import themes_by_count
from brandpulse.alerts.health import shown_reason
from brandpulse.alerts.shown import excerpt
from brandpulse.alerts.unscored import NO_LANGUAGE, is_unscored, language_name

_LINE_BREAKS = re.compile(r"[\r\n]+")
_WEB_LINK = re.compile(r"^https?://", re.IGNORECASE)


def web_link(url: str | None) -> str | None:
    """The URL when it is an http(s) link, else None: a mention's `javascript:` link must not become clickable."""
    return url if url and _WEB_LINK.match(url) else None


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("brandpulse.alerts", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=jinja2.StrictUndefined,
)
_ENV.filters["web_link"] = web_link
_ENV.filters["post"] = excerpt


def signed(value: float | None, digits: int = 0) -> str:
    """`+12`, `-3.5` or `n/a`: a net score or a change as the digest shows it."""
    return "n/a" if value is None else f"{round_half_away(value, digits):+.{digits}f}"


def signed_change(now: float | None, then: float | None, digits: int = 0) -> str:
    """The change from `then` to `now` as `signed` shows it: the difference of the two scores as shown, so that a
    digest's +13 against +10 reads +3, not the +2 of 12.5 - 10.4."""
    if now is None or then is None:
        return "n/a"
    return signed(round_half_away(now, digits) - round_half_away(then, digits), digits)


def compared_days(doc: Mapping[str, Any]) -> str:
    """What the share-of-voice changes compare with: the previous 7 days, or those of them every brand was tracked
    ("the previous 2 days, since every brand is tracked"), or nothing ("no change: ...")."""
    days = doc.get("share_of_voice_days", AVERAGE_DAYS)
    if days == 0:
        return "no change: not every brand was tracked the day before"
    since = "" if days == AVERAGE_DAYS else ", since every brand is tracked"
    return f"change in points against the previous {days} day{'s' if days != 1 else ''}{since}"


def so_far(doc: Mapping[str, Any]) -> str | None:
    """Until when a digest built before its day was over counts ("10:15 America/New_York"), None for a whole day:
    a digest of today sent by hand read as a whole day of few mentions (and a share of voice lost in the morning)."""
    if not doc.get("as_of"):
        return None
    moment = datetime.fromisoformat(doc["as_of"].replace("Z", "+00:00")).astimezone(ZoneInfo(doc["timezone"]))
    offset = f" ({moment.isoformat()[-6:]})" if ambiguous(moment) else ""  # 02:30 happens twice on an autumn night
    return f"{moment:%H:%M}{offset} {doc['timezone']}"


def figure(value: float) -> str:
    """A guard's observed value in three significant digits, `3000` rather than `3e+03` from a thousand on (a storm of
    thousands is when support reads it)."""
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def p_value(value: float) -> str:
    """A p-value in two significant digits, `6.1e-17`, as the alert's reason (`p=6.1e-17`) gives it."""
    return f"{value:.2g}"


def guard_figure(value: float, name: str) -> str:
    """A guard's observed value: the `p_value` guard's as every other p-value of the email (`figure`'s three digits
    read `6.06e-17` beside `6.1e-17`), the others by `figure`."""
    return p_value(value) if name == "p_value" else figure(value)


def percent(value: float | None) -> str:
    """`42.0 %` or `n/a`."""
    return "n/a" if value is None else f"{value:.1f} %"


_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None], low: float = -100.0, high: float = 100.0) -> str:
    """One block character per value between `low` and `high`, `·` where there is none: a trend in plain text."""
    steps = len(_BLOCKS) - 1
    return "".join("·" if v is None else _BLOCKS[round((min(max(v, low), high) - low) / (high - low) * steps)]
                   for v in values)


def on_clock(moment: datetime, zone: str) -> datetime:
    """`moment` on the wall clock of the IANA time zone `zone`, where the team reading an alert lives."""
    return moment.astimezone(ZoneInfo(zone))


def clocks(start: datetime, end: datetime, start_format: str, end_format: str = "%H:%M") -> tuple[str, str]:
    """`start` and `end` (on one zone's wall clock) in their formats, each followed by its UTC offset when the two
    differ (the clocks went back between them: the repeated hour read "02:00 to 02:00" without) or when either is
    in the hour that happens twice (02:00-03:00 in winter time, its two ends at +01:00, read as summer time's)."""
    if start.utcoffset() == end.utcoffset() and not ambiguous(start) and not ambiguous(end):
        return start.strftime(start_format), end.strftime(end_format)
    return (f"{start.strftime(start_format)} ({start.isoformat()[-6:]})",
            f"{end.strftime(end_format)} ({end.isoformat()[-6:]})")


def alert_window(alert: Alert, zone: str) -> str:
    """An alert's window on `zone`'s wall clock, zone named: `2026-03-06 15:00 to 2026-03-06 16:00 Europe/Berlin`."""
    start, end = clocks(on_clock(alert.window_start, zone), on_clock(alert.window_end, zone), "%Y-%m-%d %H:%M",
                        "%Y-%m-%d %H:%M")
    return f"{start} to {end} {zone}"


def window_in(alert: Mapping[str, Any], zone: str) -> str:
    """An alert's window in the digest's time zone, with its dates: "2026-12-04 20:00-21:00 UTC" (a digest of a day
    in Asia/Kolkata may hold an alert whose UTC hours fall on the day before; a health alert may span days)."""
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(alert["window_start"].replace("Z", "+00:00")).astimezone(tz)
    end = datetime.fromisoformat(alert["window_end"].replace("Z", "+00:00")).astimezone(tz)
    since, until = clocks(start, end, "%Y-%m-%d %H:%M", "%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M")
    return f"{since}-{until} {zone}"


def reason_in(alert: Mapping[str, Any], zone: str) -> str:
    """A digest alert's reason with its moments on `zone`'s wall clock (a failing collector's last success)."""
    return shown_reason(alert.get("source"), alert["reason"], alert.get("health") or {}, zone)


_ENV.filters["window_in"] = window_in
_ENV.filters["reason_in"] = reason_in
_ENV.filters["signed"] = signed
_ENV.filters["signed_change"] = signed_change
_ENV.filters["compared_days"] = compared_days
_ENV.filters["sparkline"] = sparkline
_ENV.filters["percent"] = percent
_ENV.filters["figure"] = figure
_ENV.filters["guard_figure"] = guard_figure
_ENV.filters["p_value"] = p_value
_ENV.filters["so_far"] = so_far


def render(template: str, context: Mapping[str, Any]) -> str:
    """One of the package's templates rendered with `context`."""
    return _ENV.get_template(template).render(context)


def header_safe(value: str) -> str:
    """Strip CR/LF so that nothing can smuggle extra headers into a message."""
    return _LINE_BREAKS.sub(" ", value).strip()


def alert_subject(alert: Alert) -> str:
    """Built from the configured brand or source name, counts and the top theme (letters, apostrophes and spaces
    only, by construction), never from raw mention text. The top theme is the first of the body's About line: the
    most frequent of the themes standing out most (`themes_by_count`), not the first of their ranking by score, which
    the line listed below more frequent ones."""
    if alert.kind == "health":
        return header_safe(f"[brandpulse] Collector health: {alert.source}")
    update = " (update: growing)" if alert.details.get("update") else ""
    if is_unscored(alert):
        return header_safe(f"[brandpulse] Mentions no model scores{update}: {alert.brand}, "
                           f"{unscored_count_text(alert)} (usually {alert.expected:.1f})")
    themes = themes_by_count(alert.details.get("themes") or [])
    about = f': "{themes[0]["term"]}"' if themes else ""
    return header_safe(
        f"[brandpulse] Negative spike{update}: {alert.brand}, {alert.observed:g} detractor mentions "
        f"(usually {alert.expected:.1f}){about}"
    )


def unscored_count_text(alert: Alert) -> str:
    """`40 mentions in Hindi that are not scored`: what an unscored-volume alert counts, in its own words."""
    count = f"{alert.observed:g} mention{'' if alert.observed == 1 else 's'}"
    return f"{count} in {alert.details.get('language') or language_name(alert.details['unscored_lang'])} that " \
           f"{'is' if alert.observed == 1 else 'are'} not scored"


def unscored_listing(alert: Alert, zone: str = "UTC") -> str:
    """The command listing an unscored-volume alert's mentions in its language from its storm's start on, open-ended,
    those marked answered left out (`_listing`)."""
    lang = alert.details["unscored_lang"]
    return _listing(alert, zone, "--category", "unscored", *(["--lang", lang] if lang != NO_LANGUAGE else []),
                    "--unanswered")


def unscored_query(alert: Alert, zone: str = "UTC") -> str | None:
    """The command that lists the storm's mentions in languages no model reads, when its window has any: they are in
    no count of the alert, and support must still read them. Its --since on `zone`'s wall clock (`_listing`)."""
    return _listing(alert, zone, "--category", "unscored", "--unanswered") if alert.details.get("unscored") else None


ANSWERED_HOW = "brandpulse alerts answered ID... --by NAME"


def window_query(alert: Alert, zone: str = "UTC") -> str:
    """The command that lists every post to answer of a spike's storm from its start on, open-ended (its detractors
    and its other complaints, such as a 4-star review's), the likeliest complaints first: the top mentions are only a
    sample of them. Run again as the storm goes on, it leaves out the posts marked answered (`ANSWERED_HOW`). Its
    --since on `zone`'s wall clock (`_listing`)."""
    return _listing(alert, zone, "--to-answer", "--unanswered", "--order", "complaint")


def storm_start(alert: Alert) -> datetime:
    """Where the alert's storm began (`details.storm_start`), or its own window's start (alerts stored before it)."""
    start = alert.details.get("storm_start")
    return datetime.fromisoformat(start.replace("Z", "+00:00")) if start else alert.window_start


# Why a detractor has no complaint probability; the alert still lists it to answer, as every detractor.
UNKNOWN_WHY = "labels imported without a complaint probability, or read by a model without a complaint head"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def to_answer_line(details: Mapping[str, Any]) -> str:
    """The posts to answer as what they are made of, the same words in every email, digest and chat message: `20 =
    18 detractor mentions (17 of them complaints) + 2 other complaints (...)`. Said apart, '17 complaints (posts that
    need an answer)' beside '20 posts to answer' read as a contradiction: every detractor is to answer, complaint or
    not, and so is a complaint that is no detractor (a 4-star review the complaint head reads as one)."""
    passive, unknown = details.get("passive_complaints") or 0, details.get("complaint_unknown") or 0
    detractors = details.get("detractors")
    among = details["complaints"] - passive
    inner = f"{among} of them {'a complaint' if among == 1 else 'complaints'}" + (
        f", {unknown} not known: {UNKNOWN_WHY}" if unknown else "")
    if detractors is None:  # an alert stored before alerts counted their detractors
        return f"the detractor mentions ({inner}) + {_plural(passive, 'other complaint')}"
    other = _plural(passive, "other complaint") + (" (passive mentions, a 4-star review say, that read as complaints)"
                                                   if passive else "")
    return f"{detractors + passive} = {_plural(detractors, 'detractor mention')} ({inner}) + {other}"


def unlisted_line(details: Mapping[str, Any]) -> str | None:
    """The posts still to answer that an alert's email lists in no group (past its first TOP_GROUPS), or None."""
    unlisted = details.get("unlisted") or {}
    if not unlisted.get("posts"):
        return None
    groups = unlisted.get("groups")
    return (f"{_plural(unlisted['posts'], 'more post')} to answer, in "
            + (_plural(groups, "more group") if groups else "more groups") + " of near-duplicates not listed here")


def day_to_answer(brand: Mapping[str, Any]) -> str:
    """A digest brand's posts to answer worded as an alert's (`to_answer_line`): `0 of them complaints, 5 not known:
    ...` where labels were imported without a complaint probability, not a bare 0."""
    return to_answer_line({**brand, "detractors": brand["categories"].get("detractor", 0)})


def day_query(brand: Mapping[str, Any], doc: Mapping[str, Any], category: str | None = None) -> str:
    """The command listing the posts to answer of a digest's brand and day (its `to_answer`), or its mentions of
    `category` (`unscored`), the day read in the digest's time zone."""
    day = date.fromisoformat(doc["date"])
    chosen = ["--category", category] if category else ["--to-answer"]
    return shlex.join(["brandpulse", "query", "--brand", brand["brand"], "--tz", doc["timezone"], "--since",
                       day.isoformat(), "--until", (day + timedelta(days=1)).isoformat(), *chosen, "--all"])


def answered_note(mention: Mapping[str, Any]) -> str:
    """How much of a digest's listed group was marked answered: `answered by dana` for a post alone, `1 of the 14
    answered, this one by dana` for a group (shown `answered by dana` beside `+13 similar`, it read as all answered),
    or `3 of the 14 answered` where its listed post is not; empty while none is."""
    by = excerpt(mention["answered_by"], 60) if mention.get("answered_by") else None
    size, answered = (mention.get("similar") or 0) + 1, mention.get("answered")
    if size == 1 or answered is None:  # a digest built before groups counted their answered posts
        return f"answered by {by}" if by else ""
    if not answered:
        return ""
    done = f"all {size} answered" if answered == size else f"{answered} of the {size} answered"
    return done + (f", this one by {by}" if by else "")


def complaint_note(mention: Mapping[str, Any]) -> str:
    """Which of a listed post's near-duplicate group are complaints: `complaint` for a post alone, `all 14
    complaints`, `9 of the 14 complaints` (a group led by a complaint may hold posts that are none, and flagged
    `complaint` beside `+13 similar` it read as fourteen), `this one a complaint` where the group was not counted (an
    alert stored before); empty when none is."""
    size, complaints = (mention.get("similar") or 0) + 1, mention.get("complaints")
    if size == 1 or complaints is None:
        if not mention.get("is_complaint"):
            return ""
        return "complaint" if size == 1 else "this one a complaint"
    if not complaints:
        return ""
    return f"all {size} complaints" if complaints == size else f"{complaints} of the {size} complaints"


# What a digest says of its unscored mentions: support reads them too, as no figure or list of the digest holds them.
UNSCORED_WHY = "in a language no model reads, in no figure of sentiment or complaints, nor in the posts to answer"


def _listing(alert: Alert, zone: str, *filters: str) -> str:
    # From the storm's start and open-ended: an alert and its update each cover one bucket, and the buckets between
    # them, or after the last one that doubled, are named by no other message (nor by any once the storm is
    # acknowledged: its updates are not sent). `--all`, not the count at alert time: posts collected or classified
    # late join the window afterwards, and a limit would drop the last of them. The --since is the message's wall
    # clock with its offset (`2026-03-06T15:00:00+01:00` beside "15:00 Europe/Berlin"), which means one moment in any
    # --tz; the offset also tells apart the two 02:00 of an autumn night.
    args = ["brandpulse", "query", "--brand", alert.brand or "", "--since", since_text(storm_start(alert), zone),
            *filters, "--all"]
    return shlex.join(args + (["--source", alert.source] if alert.source else []))


def since_text(moment: datetime, zone: str) -> str:
    """`moment` as a command's --since: `2026-03-06T14:00:00Z` in UTC, `2026-03-06T15:00:00+01:00` in Berlin."""
    local = on_clock(moment, zone).replace(microsecond=0)
    return f"{local:%Y-%m-%dT%H:%M:%SZ}" if zone == "UTC" else local.isoformat()


def new_cid() -> str:
    """A Content-ID for an inline image, without its angle brackets (as the HTML's `cid:` reference wants it)."""
    return make_msgid(domain="brandpulse.local")[1:-1]


def build_message(
    subject: str, sender: str, recipients: list[str], text: str, html: str, images: Mapping[str, bytes] | None = None,
) -> EmailMessage:
    """A multipart/alternative message; `images` (cid -> PNG) become related parts of the HTML."""
    message = EmailMessage()
    message["Subject"] = header_safe(subject)
    message["From"] = header_safe(sender)
    message["To"] = ", ".join(header_safe(r) for r in recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)  # +0000: "-0000" says the zone is unknown
    message["Message-ID"] = make_msgid(domain="brandpulse.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for cid, png in (images or {}).items():
        # Inline: shown in the HTML, not listed as an attachment.
        html_part.add_related(png, "image", "png", cid=f"<{cid}>", disposition="inline",
                              filename=f"{cid.split('@')[0]}.png")
    return message


def acknowledge_line(alert_id: int) -> str:
    """How to own a stored alert (and stop its storm's updates): its id and the command."""
    return f"Alert #{alert_id}; acknowledge with: brandpulse alerts ack {alert_id} --by NAME"


def alert_email(
    alert: Alert, sender: str, recipients: list[str], top_mentions: list[dict[str, Any]], chart_png: bytes | None = None,
    alert_id: int | None = None, zone: str = "UTC",
) -> EmailMessage:
    """The email support staff receive for one alert: the explanation, the top mentions, a 48-hour chart, and the
    stored alert's id with the command that acknowledges it; its times on the wall clock of the IANA zone `zone`."""
    cid = new_cid() if chart_png else None
    unscored = is_unscored(alert)
    context = {"alert": alert, "mentions": top_mentions, "chart_cid": cid, "guards": alert.details.get("guards", {}),
               "acknowledge": acknowledge_line(alert_id) if alert_id is not None else None,
               "themes": themes_by_count(alert.details.get("themes") or []),
               "themes_change": alert.details.get("themes_change"),
               "window_query": (unscored_listing(alert, zone) if unscored else window_query(alert, zone))
               if alert.kind == "spike" else None,
               "answered_how": ANSWERED_HOW,
               "window": alert_window(alert, zone),
               "reason": shown_reason(alert.source, alert.reason, alert.details, zone),
               "answered": alert.details.get("answered", 0),
               "storm_start": f"{on_clock(storm_start(alert), zone):%Y-%m-%d %H:%M} {zone}",
               "to_answer": to_answer_line(alert.details) if "complaints" in alert.details else None,
               "unlisted": unlisted_line(alert.details),
               "unscored_query": unscored_query(alert, zone) if alert.kind == "spike" else None}
    name = "unscored" if unscored else "alert"
    return build_message(
        alert_subject(alert), sender, recipients, render(f"{name}.txt", context), render(f"{name}.html", context),
        {cid: chart_png} if cid and chart_png else None,
    )


_ENV.filters["day_to_answer"] = day_to_answer
_ENV.filters["day_query"] = day_query
_ENV.filters["answered_note"] = answered_note
_ENV.filters["complaint_note"] = complaint_note
