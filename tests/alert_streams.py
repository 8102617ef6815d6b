"""Helpers for alert tests: a config without collectors and JSON Lines streams of labelled mentions."""

import json
from datetime import datetime, timedelta, timezone

HOUR = timedelta(hours=1)
START = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday

CONFIG = """
brands:
  - name: Acme
    keywords: [acme]
alerts:
  spike:
    lookback: 48h
email:
  sender: alerts@acme.test
  recipients:
    alerts: [support@acme.test]
    digest: [marketing@acme.test]
{extra}
"""


def stream(days, per_hour=(3, 1), storm=None, source="twitter", start=START):
    """JSON lines: each hour `per_hour` = (others, detractors) mentions, `storm` maps hour index -> the same."""
    storm = storm or {}
    lines, n = [], 0
    for hour in range(days * 24):
        others, detractors = storm.get(hour, per_hour)
        for k in range(others + detractors):
            n += 1
            negative = k < detractors
            lines.append(json.dumps({
                "source": source, "id": f"{source}-{n}", "brand": "Acme",
                "text": f"acme {'double charged again, refund please' if negative else 'coffee is nice'} #{n}",
                "created_at": (start + hour * HOUR + timedelta(minutes=k % 60)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "author": f"user{n}", "url": f"https://example.test/{n}",
                "label": "negative" if negative else "positive",
            }))
    return "\n".join(lines) + "\n"
