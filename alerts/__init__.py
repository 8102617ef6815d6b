"""Alerts: detect negative spikes, compose alert emails and deliver them."""

from brandpulse.alerts.base import Alert, AlertsError, Bucket

__all__ = ["Alert", "AlertsError", "Bucket"]
