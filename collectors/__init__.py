"""Collectors: fetch brand mentions from sources and normalise them into `Mention` records."""

from brandpulse.collectors.base import CollectResult, Collector, CollectorError, Mention

__all__ = ["CollectResult", "Collector", "CollectorError", "Mention"]
