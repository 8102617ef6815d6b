"""Short chat messages (Slack, Teams, webhooks) for alerts and digests: plain text, mention text defused."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from brandpulse.alerts.base import Alert
from brandpulse.alerts.digest import AVERAGE_DAYS
from brandpulse.alerts.digest_render import NOT_TRACKED_SECTION, net_compared
from brandpulse.alerts.emails import (
    ANSWERED_HOW, acknowledge_line, clocks, complaint_note, on_clock, signed, storm_start,
    to_answer_line, unscored_count_text, unscored_listing, unscored_query, web_link, window_query,
)
from brandpulse.alerts.evidence import themes_by_count
from brandpulse.alerts.health import shown_reason
from brandpulse.alerts.shown import cut, excerpt
from brandpulse.alerts.unscored import is_unscored

MENTION_CHARS = 140
MAX_LINK = 300  # a longer link is left out: it would crowd out the message (Teams cuts messages at 1,000 characters)
TOP_MENTIONS = 3
TOP_THEMES = 3
DIGEST_ALERTS = 5  # a day's alerts a digest message names; the rest are counted
TAIL = 2  # a spike message's last lines: the query listing every post to answer, and the alert id
_BLANKS = re.compile(r"\s+")
# `@channel` in Slack, `@everyone` in Discord, `@sam` or `@support-team` in Mattermost: a customer's post must page
# nobody. A zero-width space after the @ keeps it readable and breaks the mention. An address's @ (a letter or digit
# before it) is left alone, but never before a broadcast word: `x@here`, `__@everyone__` (underlined) ping too.
_MENTION = re.compile(r"(?<![^\W_])@(?=\w)|@(?=(?:channel|here|everyone|all))", re.IGNORECASE)
# `[Refund desk](https://phish)` and `![x](https://tracker)`: Markdown links and images in Mattermost and Discord,
# which apprise passes through as "text". Broken the same way, so the address shows as written.
_MARKDOWN_LINK = re.compile(r"\]\s*\(")


@dataclass(frozen=True)
class ChatMessage:
    """A title and a plain-text body, as apprise sends them."""

    title: str
    body: str


def defuse(text: str, limit: int = MENTION_CHARS) -> str:
    """One line of at most `limit` characters, without chat markup that links, pings or embeds (`<...>`, `@here`,
    `@sam`, `[text](url)`, `![x](url)`)."""
    text = (text or "").replace("<", "‹").replace(">", "›")
    return excerpt(_MARKDOWN_LINK.sub("]\u200b(", _MENTION.sub("@\u200b", text)), limit)


def _themes(details: Mapping[str, Any]) -> str | None:
    # By count, as the email's About line and the digest list them (`themes_by_count`).
    themes = themes_by_count(t for t in details.get("themes") or [] if isinstance(t, Mapping) and t.get("term"))
    if not themes:
        return None
    shown = [f"{defuse(str(t['term']), 40)} ({t.get('count', '?')}, {t.get('baseline_count', 0)} in the baseline)"
             for t in themes[:TOP_THEMES]]
    return "Themes: " + ", ".join(shown)


def _ids(group: Mapping[str, Any]) -> str:
    """`: #360, #371` for a listed group's other posts (`, ...` when it holds more), what `alerts answered` takes."""
    ids = [i for i in group.get("similar_ids") or [] if isinstance(i, int)]
    if not ids:
        return ""
    return ": " + ", ".join(f"#{i}" for i in ids) + (", ..." if group["similar"] > len(ids) else "")


def _mention_lines(mentions: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for number, m in enumerate(mentions[:TOP_MENTIONS], start=1):
        who = defuse(f"{m.get('source') or '?'} {m.get('author') or ''}".strip(), 40)
        who = f"#{m['id']} {who}" if isinstance(m.get("id"), int) else who  # what `alerts answered` takes
        link = web_link(m.get("url"))
        link = link if link and len(link) <= MAX_LINK and not _BLANKS.search(link) else None
        similar = f" (+{m['similar']} similar{_ids(m)})" if m.get("similar") else ""
        note = complaint_note(m)
        flag = f" ({note})" if note else ""
        text = defuse(m.get('text') or '')
        lines.append(f"{number}. {who}{flag}: \"{text}\"{similar}" + (f" {link}" if link else ""))
    return lines


def spike_chat(alert: Alert, alert_id: int, zone: str = "UTC") -> ChatMessage:
    """Brand, observed against expected (the window on the wall clock of the IANA zone `zone`, named), how many are
    complaints, top themes when known, the top 3 mentions (complaints first) with links, and the alert id."""
    update = " (growing)" if alert.details.get("update") else ""
    scope = f" on {alert.source}" if alert.source else ""
    start = on_clock(alert.window_start, zone)
    since, until = clocks(start, on_clock(alert.window_end, zone), "%H:%M")
    lines = [
        f"{alert.observed:g} detractor mentions{scope} between {since} and {until} {zone} on {start:%Y-%m-%d}, "
        f"usually {alert.expected:.1f}.",
    ]
    if "complaints" in alert.details:
        lines.append(f"Posts to answer: {to_answer_line(alert.details)}.")
    if unscored := unscored_query(alert, zone):
        lines.append(f"{alert.details['unscored']} more in a language no model reads, in no count: {unscored}")
    if themes := _themes(alert.details):
        lines.append(themes)
    answered = alert.details.get("answered") or 0
    if mentions := _mention_lines(alert.details.get("top_mentions") or []):
        lines += [f"Top mentions still to answer ({answered} already marked answered left out):" if answered
                  else "Top mentions:", *mentions]
    elif answered:
        lines.append(f"All {answered} posts to answer of the window were already marked answered.")
    # The rest of the posts to answer: only 3 fit in a chat message. One of the TAIL lines `fit` keeps.
    began = on_clock(storm_start(alert), zone)
    began_at = f"{began:%H:%M}" if began.date() == start.date() else f"{began:%Y-%m-%d %H:%M}"
    lines.append(f"All of them since the storm began ({began_at} {zone}), later hours too, but those marked answered "
                 f"({ANSWERED_HOW}), the likeliest complaints first: {window_query(alert, zone)}\n"
                 f"{acknowledge_line(alert_id)}")
    return ChatMessage(defuse(f"Negative spike{update}: {alert.brand}", 200), "\n".join(lines))


def unscored_chat(alert: Alert, alert_id: int, zone: str = "UTC") -> ChatMessage:
    """An unscored-volume alert: how many mentions in which language are not scored (the window on `zone`'s wall
    clock), usually how many, their themes and top mentions, the command listing them all, and the alert id."""
    update = " (growing)" if alert.details.get("update") else ""
    start = on_clock(alert.window_start, zone)
    since, until = clocks(start, on_clock(alert.window_end, zone), "%H:%M")
    lines = [f"{unscored_count_text(alert)} between {since} and {until} {zone} on {start:%Y-%m-%d}, "
             f"usually {alert.expected:.1f}: no model reads them, so no detractor count or spike alert holds them."]
    if themes := _themes(alert.details):
        lines.append(themes)
    if mentions := _mention_lines(alert.details.get("top_mentions") or []):
        lines += ["Top mentions:", *mentions]
    lines.append(f"All of them since the storm began, later hours too, but those marked answered ({ANSWERED_HOW}): "
                 f"{unscored_listing(alert, zone)}\n{acknowledge_line(alert_id)}")
    return ChatMessage(defuse(f"Mentions no model scores{update}: {alert.brand}", 200), "\n".join(lines))


def health_chat(alert: Alert, alert_id: int, zone: str = "UTC") -> ChatMessage:
    """The source or collector, why it is unhealthy (its moments on `zone`'s wall clock), and the alert id."""
    reason = shown_reason(alert.source, alert.reason, alert.details, zone)
    return ChatMessage(
        defuse(f"Collector health: {alert.source}", 200),
        f"{defuse(reason, 400)}.\n{acknowledge_line(alert_id)}",
    )


def alert_chat(alert: Alert, alert_id: int, zone: str = "UTC") -> ChatMessage:
    """The chat message for a stored alert of either kind, its times on the wall clock of the IANA zone `zone`."""
    if alert.kind == "health":
        return health_chat(alert, alert_id, zone)
    return unscored_chat(alert, alert_id, zone) if is_unscored(alert) else spike_chat(alert, alert_id, zone)


def _counted(n: int, noun: str) -> str:
    """`n` with its noun, plural but for one ("1 passive", "0 promoters")."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _alert_times(alert: Mapping[str, Any], day: str, zone: str) -> str:
    """A digest alert's window on `zone`'s wall clock: `10:00-11:00`, with the dates where it is not all on `day`."""
    start, end = (on_clock(datetime.fromisoformat(alert[key].replace("Z", "+00:00")), zone)
                  for key in ("window_start", "window_end"))
    # A window ending at midnight (23:00-00:00) is still all on its day.
    on_day = start.date().isoformat() == day and (end - timedelta(microseconds=1)).date() == start.date()
    return "-".join(clocks(start, end, *(("%H:%M",) if on_day else ("%Y-%m-%d %H:%M",) * 2)))


def _alerts_line(alerts: Sequence[Mapping[str, Any]], day: str, zone: str) -> str:
    """The day's alerts in one line, as the digest email lists them: kind, source, window (in `zone`), counts."""
    shown = []
    for alert in alerts[:DIGEST_ALERTS]:
        source = f" ({defuse(str(alert['source']), 40)})" if alert.get("source") else ""
        spike = alert["kind"] == "spike"
        counts = f", {alert['observed']:g} detractor mentions, usually {alert['expected']:.1f}" if spike else ""
        shown.append(f"{alert['kind']}{source} {_alert_times(alert, day, zone)}{counts}")
    more = f"; and {len(alerts) - DIGEST_ALERTS} more" if len(alerts) > DIGEST_ALERTS else ""
    return f"Alerts ({len(alerts)}): " + "; ".join(shown) + more + "."


def _day_to_answer(counts: Mapping[str, int], complaints: int, unknown: int, to_answer: int) -> str:
    """The day's posts to answer as the digest email words them (`to_answer_line`)."""
    detractors = counts.get("detractor", 0)
    return to_answer_line({"detractors": detractors, "complaints": complaints, "complaint_unknown": unknown,
                           "passive_complaints": to_answer - detractors})


def _in_hours(hours: float) -> str:
    """` in 25 hours (the clocks went back)` on a day the clocks changed: its counts are not a usual day's."""
    if hours == 24:
        return ""
    return f" in {hours:g} hours (the clocks went {'back' if hours > 24 else 'forward'})"


def digest_chat(brand: str, day: str, volume: int, counts: Mapping[str, int], nss: float | None,
                previous: float | None, terms: Sequence[tuple[str, int]], complaints: int = 0,
                unclassified: int = 0, complaint_unknown: int = 0, so_far: str | None = None,
                unscored_query: str | None = None, to_answer: int = 0, to_answer_query: str | None = None, *,
                zone: str = "UTC", alerts: Sequence[Mapping[str, Any]] = (), week: float | None = None,
                volume_change: Sequence[str] = (), hours: float = 24, week_days: int = AVERAGE_DAYS,
                tracked: bool = True) -> ChatMessage:
    """A day's figures for one brand in three to nine lines, as the emailed digest gives them: volume (in how many
    `hours` where the clocks changed) and categories (and the mentions not classified yet, in no figure), the
    `volume_change` against the day before and the 7-day average (`digest_render.volume_compared`), the
    `to_answer` posts to answer as what they are made of (detractors, of them `complaints` and those not known to
    be, `complaint_unknown`, and the other complaints), as a spike's message says, net sentiment (with its change
    against the `previous` day's score and the `week`'s, over its `week_days` days followed, as the scores are
    shown, or why it has none), themes of negative mentions, the day's `alerts` (the digest JSON's). The title
    names the day's time zone `zone`; `so_far` ("10:15 Europe/Paris") says the day was not over; `to_answer_query`
    lists the `to_answer` posts to answer, `unscored_query` the unscored mentions, in no other figure. A brand not
    `tracked` yet on the day gets one line saying so (`digest_render.NOT_TRACKED_SECTION`)."""
    title = f"{day} so far, until {so_far}" if so_far else f"{day} ({zone})"  # so_far names the zone
    if not tracked:  # no figure of the day is the brand's: '0 mentions' read as a quiet day
        return ChatMessage(defuse(f"Daily digest {title}: {brand}", 200), NOT_TRACKED_SECTION)
    score = signed(nss) + net_compared({"net_score": nss, "net_score_previous_day": previous,
                                        "net_score_7d_average": week, "volume_7d_days": week_days,
                                        "categories": counts})
    lines = [
        f"{_counted(volume, 'mention')}{_in_hours(hours)}: {_counted(counts.get('promoter', 0), 'promoter')}, "
        f"{_counted(counts.get('passive', 0), 'passive')}, {_counted(counts.get('detractor', 0), 'detractor')}"
        + (f", {counts['unscored']} unscored." if counts.get("unscored") else "."),
        *([f"Change in mentions: {', '.join(volume_change)}."] if volume_change else []),
        *([f"{unclassified} more not classified yet, in no figure here."] if unclassified else []),
        *([f"Posts to answer: {_day_to_answer(counts, complaints, complaint_unknown, to_answer)}"
           + (f"; listed by: {to_answer_query}" if to_answer_query else "")] if to_answer else []),
        # Below the posts to answer: `fit` drops it before them for a service's limit (Teams: 1,000 characters).
        *([f"The {counts['unscored']} unscored, in a language no model reads and in no figure here: {unscored_query}"]
          if counts.get("unscored") and unscored_query else []),
        f"Net sentiment: {score}.",
    ]
    if terms:
        lines.append("Themes of negative mentions: " + ", ".join(f"{defuse(t, 40)} ({n})" for t, n in terms[:5]))
    if alerts:
        lines.append(_alerts_line(alerts, day, zone))
    return ChatMessage(defuse(f"Daily digest {title}: {brand}", 200), "\n".join(lines))


def fit(body: str, limit: int) -> str:
    """`body` in at most `limit` characters for a service that refuses longer messages (Discord 2,000, Teams
    Workflows 1,000): its first line and its last `TAIL` lines kept (what happened; where the rest is and how to
    acknowledge it), the lines before those dropped from the bottom (the least important mentions first), then a
    hard cut (never inside an emoji or a flag)."""
    if len(body) <= limit:
        return body
    lines = body.splitlines()
    tail = min(TAIL, len(lines) - 1)
    while len(lines) > tail + 1 and len("\n".join(lines)) + 2 > limit:
        del lines[-tail - 1]
    shortened = "\n".join(lines[:len(lines) - tail] + ["…"] + lines[len(lines) - tail:]) if tail else lines[0]
    return cut(shortened, limit)
