"""Building collectors, the classifier policy and the email transport from the configuration."""

from __future__ import annotations

import logging
import os
from datetime import datetime

from alerts.health import HealthRule
from alerts.spike import SpikeRule
from alerts.transports import FileTransport, SmtpTransport
from brandpulse.config import CollectorConfig, Config, ReplayCollectorConfig
from collectors.base import BrandQuery, Collector
from collectors.replay import ReplayCollector
from sentiment.nps import NpsPolicy

log = logging.getLogger(__name__)


def brand_queries(config: Config) -> list[BrandQuery]:
    """One query per configured brand."""
    return [BrandQuery(b.name, tuple(b.keywords), tuple(b.exclusions)) for b in config.brands]


def build_collector(settings: CollectorConfig, now: datetime) -> Collector:
    """The collector a config entry describes."""
    if isinstance(settings, ReplayCollectorConfig):
        return ReplayCollector(settings.name, settings.path, now)
    raise TypeError(f"no collector for {type(settings).__name__}")


def nps_policy(config: Config) -> NpsPolicy:
    """The NPS mapping the config asks for."""
    return NpsPolicy(config.sentiment.confidence_threshold, config.sentiment.rating_takes_precedence)


def spike_rule(config: Config) -> SpikeRule:
    """The spike rule the config asks for."""
    spike = config.alerts.spike
    return SpikeRule(
        spike.min_count, spike.min_ratio, spike.min_share, spike.warmup_days, spike.cooldown,
        spike.max_p_value, spike.history_days, spike.growth,
    )


def health_rule(config: Config) -> HealthRule:
    """The collector-health rule the config asks for."""
    health = config.alerts.health
    return HealthRule(health.silence, health.min_expected, health.max_p_value, 3, health.failing_for, health.cooldown)


def email_transport(config: Config) -> FileTransport | SmtpTransport:
    """SMTP when configured (login from the environment), else `.eml` files in the outbox folder."""
    smtp = config.email.smtp
    if smtp is None:
        return FileTransport(config.email.outbox_dir)
    return SmtpTransport(
        smtp.host, smtp.port, smtp.security,
        os.environ.get(smtp.username_env), os.environ.get(smtp.password_env), smtp.timeout, smtp.ca_file,
    )
