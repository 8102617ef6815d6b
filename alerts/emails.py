"""Composing alert emails: plain text and HTML from jinja2 templates, mention text escaped."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import jinja2

from alerts.base import Alert

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("alerts", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=jinja2.StrictUndefined,
)
_LINE_BREAKS = re.compile(r"[\r\n]+")


def header_safe(value: str) -> str:
    """Strip CR/LF so that nothing can smuggle extra headers into a message."""
    return _LINE_BREAKS.sub(" ", value).strip()


def alert_subject(alert: Alert) -> str:
    """Built from the configured brand name and counts only, never from mention text."""
    return header_safe(
        f"[brandpulse] Negative spike: {alert.brand}, {alert.observed:g} detractor mentions "
        f"(usually {alert.expected:g})"
    )


def build_message(subject: str, sender: str, recipients: list[str], text: str, html: str) -> EmailMessage:
    """A multipart/alternative message with the given parts."""
    message = EmailMessage()
    message["Subject"] = header_safe(subject)
    message["From"] = header_safe(sender)
    message["To"] = ", ".join(header_safe(r) for r in recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="brandpulse.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def alert_email(alert: Alert, sender: str, recipients: list[str], top_mentions: list[dict[str, Any]]) -> EmailMessage:
    """The email support staff receive for one alert."""
    context = {"alert": alert, "mentions": top_mentions}
    return build_message(
        alert_subject(alert), sender, recipients,
        _ENV.get_template("alert.txt").render(context), _ENV.get_template("alert.html").render(context),
    )
