"""Wiring the alert rules to the store: read bucketed counts and state, record alerts, queue their messages."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from brandpulse.alerts import charts as alerts_charts
from brandpulse.alerts import chat as alerts_chat
from brandpulse.alerts import emails as alerts_emails
from brandpulse.alerts import evidence as alerts_evidence
from brandpulse.alerts import health as alerts_health
from brandpulse.alerts import spike as alerts_spike
from brandpulse.alerts import unscored as alerts_unscored
from brandpulse.store import alerts as store_alerts
from brandpulse.store import outbox as store_outbox
from brandpulse.store import state as store_state
from brandpulse.store import triage as store_triage
from brandpulse.alerts.base import Alert, Bucket, floor_to
from brandpulse.alerts.themes import theme_terms
from brandpulse import factory
from brandpulse.channels import Channel, queue_chat
from brandpulse.config import Config
from brandpulse.sentiment.nps import COMPLAINT_THRESHOLD
from brandpulse.store import transaction
from brandpulse.store.timestamps import from_db, to_db

log = logging.getLogger(__name__)

ALERTS_WATERMARK = "alerts.evaluated_until"
ALERTS_SEEN_AT = "alerts.evaluated_at"  # when the last run read the store: mentions classified later are unseen
# A classify pass stamps its rows before it commits them: rows stamped this long before a run may still have been
# invisible to it, so they count as unseen too (reading a bucket again is harmless).
SEEN_MARGIN = timedelta(minutes=10)
CHART_SPAN = timedelta(hours=48)
# The day before an alert's window is left out of its themes' baseline: a storm that built up over hours (or an
# update) would otherwise find its own topic usual there, and name no theme.
BUILD_UP = timedelta(hours=24)


def _storm_key(brand: str, source: str | None) -> str:
    return f"alerts.storm:{brand}" + (f":{source}" if source else "")


def _load_storm(db: Any, value: str | None) -> tuple[alerts_spike.Storm | None, int | None]:
    """The storm in progress and the id of its first alert (None for storms stored before acknowledgements); a
    storm stored before its start was kept starts where its first alert's window did."""
    if not value:
        return None, None
    data = json.loads(value)
    storm_id = data.get("alert_id")
    start = data.get("start") or (store_alerts.window_start_of(db, storm_id) if storm_id else None)
    storm = alerts_spike.Storm(from_db(data["last_end"]), data["reported"], data.get("alert_count", 1),
                               tuple(data.get("themes", ())), from_db(start) if start else None)
    return storm, storm_id


def _dump_storm(storm: alerts_spike.Storm, storm_id: int | None) -> str:
    return json.dumps({"last_end": to_db(storm.last_end), "reported": storm.reported, "alert_count": storm.alert_count,
                       "alert_id": storm_id, "themes": list(storm.themes),
                       "start": to_db(storm.start) if storm.start else None})


def spike_scopes(config: Config, db: Any, brand: str, since: datetime) -> list[str | None]:
    """The brand as a whole (None), plus each of its sources when `per_source` is on."""
    if not config.alerts.spike.per_source:
        return [None]
    return [None, *store_alerts.brand_sources(db, brand, since)]


def detect(
    config: Config, db: Any, brand: str, source: str | None, evaluate_from: datetime, until: datetime,
    storm: alerts_spike.Storm | None,
) -> tuple[list[Alert], alerts_spike.Storm | None, list[Bucket]]:
    """Spike alerts of one brand (or one of its sources) for the buckets in [evaluate_from, until)."""
    rule = factory.spike_rule(config)
    width = config.alerts.spike.bucket
    history_from = _history_from(db, brand, source, evaluate_from, rule, width)
    if history_from >= until:
        return [], storm, []
    buckets = store_alerts.bucket_counts(db, brand, history_from, until, width, source)
    # The usual count of an hour is that of the same hour of the day and weekday where the team (and, as a rule, the
    # brand's customers) live: counted in UTC, a Berlin brand's 09:00 rush was compared with its 08:00 for half the
    # year, and its days cut at 01:00 or 02:00 (bench/alerts.py --zone).
    fired, storm = alerts_spike.detect_spikes(brand, buckets, evaluate_from, width, rule, storm,
                                              spike_zone(config.digest.timezone))
    return [replace(a, source=source) for a in fired], storm, buckets


def _history_from(db: Any, brand: str, source: str | None, evaluate_from: datetime, rule: alerts_spike.SpikeRule,
                  width: timedelta) -> datetime:
    """Where the history a rule reads before `evaluate_from` starts: `history_days` back, but not before the
    brand's (source's) first stored mention."""
    first = store_alerts.first_mention_at(db, brand, source)
    # Hours before the first stored mention are unknown, not quiet: they must not count towards warm-up.
    return max(evaluate_from - timedelta(days=rule.history_days), floor_to(first, width)) if first else evaluate_from


def _unscored_key(brand: str, lang: str) -> str:
    return f"alerts.unscored:{brand}:{lang}"


def detect_unscored(
    config: Config, db: Any, brand: str, evaluate_from: datetime, until: datetime,
    storm_of: Callable[[str], alerts_spike.Storm | None] = lambda lang: None,
) -> list[tuple[str, list[Alert], alerts_spike.Storm | None]]:
    """Per language of the brand's mentions no model scores: its volume alerts for the buckets in [evaluate_from,
    until) (the spike rule's history, seasonality, warm-up and storms; no share guard) and the storm to carry on,
    from the storm `storm_of` the language gives."""
    if not config.alerts.spike.unscored:
        return []
    rule = alerts_unscored.volume_rule(factory.spike_rule(config))
    width = config.alerts.spike.bucket
    history_from = _history_from(db, brand, None, evaluate_from, rule, width)
    if history_from >= until:
        return []
    found = []
    for lang, buckets in store_alerts.unscored_bucket_counts(db, brand, history_from, until, width).items():
        fired, storm = alerts_unscored.detect_unscored(brand, lang, buckets, evaluate_from, width, rule,
                                                       storm_of(lang), spike_zone(config.digest.timezone))
        found.append((lang, [with_unscored_evidence(config, db, alert) for alert in fired], storm))
    return found


def with_unscored_evidence(config: Config, db: Any, alert: Alert) -> Alert:
    """An unscored-volume alert with its themes (against the same language's unscored mentions of the brand's last
    `history_days`) and its top posts still to answer, one per near-duplicate group."""
    brand, lang = alert.brand or "", alert.details["unscored_lang"]
    window = store_alerts.unscored_mentions(db, brand, lang, alert.window_start, alert.window_end)
    baseline_from = alert.window_start - timedelta(days=factory.spike_rule(config).history_days)
    baseline = store_alerts.unscored_mentions(db, brand, lang, baseline_from, alert.window_start - BUILD_UP, 200_000)
    still_open = [{k: v for k, v in m.items() if k != "answered_by"} for m in window if not m.get("answered_by")]
    evidence = alerts_unscored.unscored_evidence(still_open, [m["text"] or "" for m in baseline],
                                                 keywords_of(config, brand))
    return replace(alert, details={**alert.details, **evidence, "answered": len(window) - len(still_open)})


def spike_zone(name: str) -> tzinfo:
    """The zone whose wall clock the spike rule's hours of the day and weekdays and the silence check's earlier days
    follow (UTC's own tzinfo for UTC, on which the rules take their faster path)."""
    return timezone.utc if name == "UTC" else ZoneInfo(name)


def keywords_of(config: Config, brand: str) -> list[str]:
    """The words that are never themes of the brand's mentions: its name, keywords and own accounts, then every other
    configured brand's (alerts.themes.ignored_words)."""
    # A competitor named beside the brand is no topic: Acme's storm had "compared to zetaphone" as its top theme.
    ordered = sorted(config.brands, key=lambda b: b.name != brand)
    # An @handle is a boundary already; written bare ("#acmesupport") it is one word. One of several ("acme_support")
    # would ignore "support" in every post, so it is left out.
    accounts = [[a.lstrip("@") for a in b.own_accounts if a.lstrip("@").isalpha()] for b in ordered]
    return [brand, *(word for b, handles in zip(ordered, accounts) for word in (b.name, *b.keywords, *handles))]


def with_evidence(config: Config, db: Any, alert: Alert, previous_themes: tuple[str, ...] = ()) -> Alert:
    """The alert with its themes (against the brand's detractors of the last `history_days`) and its top posts to
    answer (detractors and complaints), one per near-duplicate group; an update also says whether the themes changed
    since `previous_themes`."""
    if alert.kind != "spike" or alert.brand is None:
        return alert
    window = store_alerts.mentions_to_answer(db, alert.brand, alert.window_start, alert.window_end, alert.source)
    baseline_from = alert.window_start - timedelta(days=factory.spike_rule(config).history_days)
    baseline = store_alerts.detractor_texts(db, alert.brand, baseline_from, alert.window_start - BUILD_UP,
                                            alert.source)
    answered = store_alerts.answered_count(db, alert.brand, alert.window_start, alert.window_end, alert.source)
    evidence = alerts_evidence.spike_evidence(window, baseline, keywords_of(config, alert.brand), COMPLAINT_THRESHOLD,
                                              answered=answered)
    unscored = store_alerts.unscored_count(db, alert.brand, alert.window_start, alert.window_end, alert.source)
    details = {**alert.details, **evidence, "unscored": unscored}
    if alert.details.get("update"):
        details["themes_change"] = alerts_evidence.themes_change(previous_themes, details["themes"])
    return replace(alert, details=details)


def with_storm_evidence(
    config: Config, db: Any, alerts: list[Alert], storm: alerts_spike.Storm | None, reported: tuple[str, ...] = (),
) -> tuple[list[Alert], alerts_spike.Storm | None]:
    """One scope's alerts, in order, with their evidence; each update compared with the themes reported before it.
    The storm returned carries the themes last reported, for the next run's comparison."""
    done = []
    for alert in alerts:
        alert = with_evidence(config, db, alert, reported)
        reported = tuple(theme_terms(alert.details.get("themes", [])))
        done.append(alert)
    if storm is not None and done:
        storm = replace(storm, themes=reported)
    return done, storm


def _source_history(config: Config, db: Any, since: datetime, until: datetime):
    """The health rule, the bucket width, where the history the rule needs before `since` starts, and the
    per-source bucket counts from there up to `until`."""
    rule = factory.health_rule(config)
    width = config.alerts.spike.bucket
    origin = since - timedelta(days=config.alerts.health.history_days) - rule.silence
    if spike_zone(config.digest.timezone) is not timezone.utc:
        # The same wall-clock window on the oldest day lies an hour earlier in UTC before the clocks went back.
        origin -= timedelta(days=1)
    return rule, width, origin, store_alerts.source_bucket_counts(db, origin, until, width)


def running_collectors(config: Config) -> set[str]:
    """The names of the configured collectors. Not only those with credentials here: on several hosts, the alerts
    worker lacks the collect worker's tokens, and must still report its collectors failing."""
    return {settings.name for settings in config.collectors}


def health_alerts(config: Config, db: Any, until: datetime, now: datetime, statuses: bool = True) -> list[Alert]:
    """Silent sources (from per-source counts up to `until`) and failing collectors (from their state)."""
    settings = config.alerts.health
    if not settings.enabled:
        return []
    rule, width, origin, counts = _source_history(config, db, until, until)
    # The same window on earlier days is that of the wall clock where the team and the sources' posters live: counted
    # in UTC, a Berlin source's quiet evening hour was compared with its busy 17:00 for half the year.
    zone = spike_zone(config.digest.timezone)
    activities = [
        alerts_health.activity_at(source, series, len(series), width, rule, settings.history_days, origin, zone)
        for source, series in counts.items()
    ]
    return alerts_health.check_health(
        activities, collector_statuses(db, running_collectors(config)) if statuses else [], now, rule,
        store_alerts.last_health_ends(db),
    )


def collector_statuses(db: Any, running: set[str] | None = None) -> list[alerts_health.CollectorStatus]:
    """Every collector's state as the health rule reads it (only those of the `running` collectors when given: a
    collector removed from the config fails no more); state names are `collector:brand`."""
    found = []
    for row in store_state.collector_states(db):
        name, _, brand = row["name"].partition(":")
        if running is not None and name not in running:
            continue
        found.append(alerts_health.CollectorStatus(
            row["name"], brand or None,
            from_db(row["last_success_at"]) if row["last_success_at"] else None,
            from_db(row["last_error_at"]) if row["last_error_at"] else None,
            row["last_error"],
            from_db(row["failing_since"]) if row["failing_since"] else None,
        ))
    return found


def _suppressed(db: Any, alert: Alert, now: datetime, storm_id: int | None) -> dict[str, Any] | None:
    """Why this alert is stored but not sent: its brand is silenced, or it updates an acknowledged storm."""
    if alert.kind != "spike" or alert.brand is None:
        return None
    silence = store_triage.active_silence(db, alert.brand, now)
    if silence:
        return {"silence": silence["id"], "by": silence["created_by"], "until": silence["until"]}
    owner = store_triage.storm_acknowledgement(db, storm_id) if alert.details.get("update") else None
    return {"storm": storm_id, "by": owner} if owner else None


def _chart(config: Config, db: Any, alert: Alert, buckets: list[Bucket]) -> bytes | None:
    """The email's chart of the last 48 hours up to the alert's window: a spike's detractors and other mentions, an
    unscored-volume alert's mentions in its language (read here: its rule's buckets are not a spike's)."""
    width, zone = config.alerts.spike.bucket, config.digest.timezone
    lang = alert.details.get("unscored_lang")
    if lang:
        since = alert.window_end - width * (CHART_SPAN // width)
        recent = store_alerts.unscored_bucket_counts(db, alert.brand or "", since, alert.window_end, width).get(lang)
        draw, what = alerts_charts.unscored_chart, f"unscored mentions in {alerts_unscored.language_name(lang)}"
    else:
        recent = [b for b in buckets if alert.window_end - CHART_SPAN <= b.start < alert.window_end]
        draw, what = alerts_charts.buckets_chart, "mentions"
    if not recent:
        return None
    title = f"{alert.brand}: {what} per {alerts_spike.describe_width(width)}, last 48 h ({zone})"
    return draw(recent, title, [b for b in recent if b.start == alert.window_start], zone)


def _queue_email(config: Config, db: Any, alert: Alert, alert_id: int, now: datetime, buckets: list[Bucket]) -> bool:
    recipients = config.recipients(alert.brand, "alerts")
    if not recipients:
        return False
    chart = _chart(config, db, alert, buckets)
    message = alerts_emails.alert_email(
        alert, config.email.sender, recipients, alert.details.get("top_mentions", []), chart, alert_id,
        config.digest.timezone,
    )
    store_outbox.enqueue(db, "alert", alert.brand, message["Subject"], recipients, message.as_bytes(), now)
    return True


def record(
    config: Config, db: Any, alert: Alert, now: datetime, buckets: list[Bucket], channels: list[Channel] = (),
    storm_id: int | None = None,
) -> tuple[Alert, int]:
    """Store the alert (a spike's evidence already in `details`); unless silenced or acknowledged, queue its email
    (with a chart of the last 48 hours) and one chat message per channel that wants it. Returns the alert and its id."""
    why = _suppressed(db, alert, now, storm_id)
    suppressed = store_triage.suppressed_text(why, "UTC") if why else None
    # Kept in the details too: `alerts list` shows its moment on the wall clock of --tz, the column stays UTC.
    alert = replace(alert, details={**alert.details, "suppression": why}) if why else alert
    alert_id = store_alerts.record_alert(db, alert, now, storm_id, suppressed)
    if suppressed:
        log.warning("alert %d stored, not sent: %s: %s", alert_id, alert.brand, suppressed)
        return alert, alert_id
    emailed = _queue_email(config, db, alert, alert_id, now, buckets)
    kind = "health" if alert.kind == "health" else "alerts"
    message = alerts_chat.alert_chat(alert, alert_id, config.digest.timezone)
    chats = queue_chat(db, channels, kind, alert.brand, message, now)
    if not emailed and not chats:
        log.warning("alert for %s fired but no alert recipients or channels are configured", alert.brand or alert.source)
    log.warning("alert %d: %s: %s", alert_id, alert.brand or alert.source, alert.reason)
    return alert, alert_id


def _record_storm(
    config: Config, db: Any, found: list[Alert], buckets: list[Bucket], now: datetime, channels: list[Channel],
    storm_id: int | None,
) -> tuple[list[Alert], int | None]:
    """Record a scope's alerts in order: a new storm starts with its own id, updates carry the storm's."""
    recorded = []
    for alert in found:
        alert, alert_id = record(config, db, alert, now, buckets, channels,
                                 storm_id if alert.details.get("update") else None)
        storm_id = storm_id if alert.details.get("update") else alert_id
        recorded.append(alert)
    return recorded, storm_id


def evaluate(config: Config, queries: list[Any], db: Any, now: datetime, channels: list[Channel] = ()) -> list[Alert]:
    """Spike alerts over the complete buckets since the watermark, then health alerts; each batch in one transaction."""
    spike = config.alerts.spike
    until = floor_to(now, spike.bucket)
    fired: list[Alert] = []
    mark = store_state.get_value(db, ALERTS_WATERMARK)
    evaluate_from = max(from_db(mark), until - spike.lookback) if mark else until - spike.lookback
    # Buckets already evaluated are read again when mentions in them were not counted then (classification lagged,
    # a model failed, posts arrived late): a storm must not be lost because its hour was read before its mentions.
    seen_at = store_state.get_value(db, ALERTS_SEEN_AT)
    unseen = store_alerts.first_unseen_at(db, from_db(seen_at) if seen_at else None, until - spike.lookback,
                                          evaluate_from)
    if unseen is not None:
        evaluate_from = floor_to(unseen, spike.bucket)
    if evaluate_from < until:
        with transaction(db):
            for query in queries:
                for source in spike_scopes(config, db, query.brand, evaluate_from - timedelta(days=7)):
                    key = _storm_key(query.brand, source)
                    storm, storm_id = _load_storm(db, store_state.get_value(db, key))
                    reported = storm.themes if storm else ()
                    found, storm, buckets = detect(config, db, query.brand, source, evaluate_from, until, storm)
                    found, storm = with_storm_evidence(config, db, found, storm, reported)
                    recorded, storm_id = _record_storm(config, db, found, buckets, now, channels, storm_id)
                    fired += recorded
                    if storm is not None:
                        store_state.set_value(db, key, _dump_storm(storm, storm_id))
                fired += _evaluate_unscored(config, db, query.brand, evaluate_from, until, now, channels)
            store_state.set_value(db, ALERTS_WATERMARK, to_db(until))
            store_state.set_value(db, ALERTS_SEEN_AT, to_db(now - SEEN_MARGIN))
    with transaction(db):
        fired += [record(config, db, alert, now, [], channels)[0] for alert in health_alerts(config, db, until, now)]
    return fired


def _evaluate_unscored(config: Config, db: Any, brand: str, evaluate_from: datetime, until: datetime, now: datetime,
                       channels: list[Channel]) -> list[Alert]:
    """Detect, record and queue the brand's unscored-volume alerts, each language's storm kept as a spike's is."""
    ids: dict[str, int | None] = {}

    def storm_of(lang: str) -> alerts_spike.Storm | None:
        storm, ids[lang] = _load_storm(db, store_state.get_value(db, _unscored_key(brand, lang)))
        return storm

    recorded = []
    for lang, found, storm in detect_unscored(config, db, brand, evaluate_from, until, storm_of):
        done, storm_id = _record_storm(config, db, found, [], now, channels, ids.get(lang))
        recorded += done
        if storm is not None:
            store_state.set_value(db, _unscored_key(brand, lang), _dump_storm(storm, storm_id))
    return recorded


def backtest(config: Config, brands: list[str], db: Any, since: datetime, until: datetime) -> list[Alert]:
    """The alerts that would have fired had detection run live at the end of each bucket in [since, until)."""
    width = config.alerts.spike.bucket
    since, until = floor_to(since, width), floor_to(until, width)
    found: list[Alert] = []
    for brand in brands:
        for source in spike_scopes(config, db, brand, since - timedelta(days=7)):
            fired, _, _ = detect(config, db, brand, source, since, until, None)
            found += with_storm_evidence(config, db, fired, None)[0]
        found += [alert for _, fired, _ in detect_unscored(config, db, brand, since, until) for alert in fired]
    found += replay_silence(config, db, since, until)
    return sorted(found, key=lambda a: (a.window_end, a.kind, a.brand or "", a.source or ""))


def replay_silence(config: Config, db: Any, since: datetime, until: datetime) -> list[Alert]:
    """Silence alerts as the live rule would have raised them at each bucket end (collector failures leave no history)."""
    settings = config.alerts.health
    if not settings.enabled:
        return []
    rule, width, origin, counts = _source_history(config, db, since, until)
    offset = int((since - origin) / width) + 1  # the bucket ending at since + width
    return alerts_health.replay_silence(counts, since + width, int((until - since) / width), offset, width, rule,
                                        settings.history_days, spike_zone(config.digest.timezone))
