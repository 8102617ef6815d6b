"""Chat channels from the configuration: resolve their URLs from the environment, route and queue messages.

`resolve_channels` and `send_message` are what a probe needs: each configured channel, enabled with its URL or
disabled with why, and one message sent to one of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from brandpulse.alerts import channels as alerts_channels
from brandpulse.alerts.base import DeliveryError
from brandpulse.alerts.chat import ChatMessage
from brandpulse.config import ChannelConfig, Config, looks_like_secret, unset_variable, variable_label
from brandpulse.logging_setup import add_secrets
from brandpulse.store import outbox as store_outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    """A configured channel: its URL when its variable is set (never printed), else why it is disabled."""

    name: str
    kinds: tuple[str, ...]
    brands: tuple[str, ...] | None
    url_env: str
    url: str | None = field(default=None, repr=False)

    @property
    def disabled(self) -> str | None:
        """Why the channel sends nothing, or None when it is enabled."""
        if self.url:
            return None
        if looks_like_secret(self.url_env):
            return unset_variable(f"channel {self.name}'s url_env", self.url_env, "SLACK_WEBHOOK_URL")
        return f"set {self.url_env} in the environment to enable it"

    def wants(self, kind: str, brand: str | None) -> bool:
        """Whether messages of `kind` about `brand` go here (brandless ones only to channels of every brand)."""
        return kind in self.kinds and (self.brands is None or brand in self.brands)

    def describe(self) -> dict[str, Any]:
        """What `status` shows: name, kinds, brands, whether it is enabled; never the URL."""
        return {"name": self.name, "kinds": list(self.kinds), "brands": list(self.brands) if self.brands else None,
                "url_env": variable_label(self.url_env), "enabled": self.url is not None, "disabled": self.disabled}


def _channel(settings: ChannelConfig, env: Mapping[str, str]) -> Channel:
    url = env.get(settings.url_env) or None
    if url:
        add_secrets(alerts_channels.secret_pieces(url))
    return Channel(settings.name, tuple(settings.kinds), tuple(settings.brands) if settings.brands else None,
                   settings.url_env, url)


def resolve_channels(config: Config, env: Mapping[str, str] = os.environ) -> list[Channel]:
    """Every configured channel with its URL from `env` (validated when the config was loaded), masked in logs."""
    return [_channel(settings, env) for settings in config.channels]


def log_disabled(channels: list[Channel], level: int = logging.WARNING) -> None:
    """One line per disabled channel, at start-up (at `level`)."""
    for channel in channels:
        if channel.disabled:
            log.log(level, "channel %s disabled: %s", channel.name, channel.disabled)


def queue_chat(
    db: Any, channels: list[Channel], kind: str, brand: str | None, message: ChatMessage, now: datetime,
) -> list[str]:
    """Queue `message` once per enabled channel that wants `kind` about `brand`; call inside the transaction that
    produced it. Returns the channels' names."""
    outbox_kind = "digest" if kind == "digest" else "alert"
    names = []
    for channel in channels:
        if channel.url and channel.wants(kind, brand):
            store_outbox.enqueue(db, outbox_kind, brand, message.title, [], message.body.encode("utf-8"), now,
                                 channel=channel.name)
            names.append(channel.name)
    return names


def send_message(channel: Channel, title: str, body: str) -> str:
    """Send one message to `channel` now (a probe, or the deliver job); raise `DeliveryError` when it is disabled or
    the endpoint does not accept it, never quoting its URL."""
    if channel.url is None:
        raise DeliveryError(f"channel {channel.name} is disabled: {channel.disabled}")
    return alerts_channels.send(channel.name, channel.url, title, body)


def send(channels: Mapping[str, Channel], name: str, title: str, body: str) -> str:
    """Send to the channel called `name`; a queued message for a channel no longer configured fails and is retried."""
    if name not in channels:
        raise DeliveryError(f"channel {name} is no longer configured")
    return send_message(channels[name], title, body)
