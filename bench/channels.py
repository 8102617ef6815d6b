"""Chat-channel delivery benchmark: messages queued in the outbox and sent through apprise to a local JSON webhook.

Run by hand: `python bench/channels.py [--messages 300]`. Prints messages per second for the deliver job (outbox read,
apprise send, outbox update, one transaction per row) and, as the baseline measured in the same run against the
same server, bare `requests` POSTs of the same JSON bodies on one kept-alive session.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brandpulse.alerts.chat import ChatMessage  # noqa: E402
from brandpulse.channels import Channel, queue_chat  # noqa: E402
from brandpulse.delivery import deliver  # noqa: E402
from brandpulse.store import open_db, transaction  # noqa: E402
from tests.local_http import LocalServer, Reply  # noqa: E402

NOW = datetime(2026, 3, 6, 15, tzinfo=timezone.utc)
BODY = "\n".join(["16 detractor mentions between 14:00 and 15:00 UTC on 2026-03-06, usually 1.0."]
                 + [f'{n}. twitter user{n}: "double charged again, refund please" https://x.example/{n}' for n in (1, 2, 3)])


def _baseline(url: str, count: int) -> float:
    session = requests.Session()
    payload = {"version": "1.0", "title": "Negative spike: Acme", "message": BODY, "attachments": [], "type": "info"}
    started = time.perf_counter()
    for _ in range(count):
        session.post(url, data=json.dumps(payload), headers={"Content-Type": "application/json"}, timeout=4).raise_for_status()
    return count / (time.perf_counter() - started)


def _brandpulse(url: str, count: int, folder: Path) -> float:
    channel = Channel("bench", ("alerts",), None, "BENCH_URL", url.replace("http://", "json://"))
    db = open_db(folder / "bench.db")
    with transaction(db):
        for _ in range(count):
            queue_chat(db, [channel], "alerts", "Acme", ChatMessage("Negative spike: Acme", BODY), NOW)
    started = time.perf_counter()
    sent = 0
    while sent < count:
        sent += len(deliver(db, None, "", [channel], NOW).sent)
    elapsed = time.perf_counter() - started
    db.close()
    return count / elapsed


def main() -> None:
    """Print brandpulse's delivery rate and the bare-requests baseline's, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    server = LocalServer()
    server.route("/hook", Reply(200, b"{}", {"Content-Type": "application/json"}))
    try:
        with tempfile.TemporaryDirectory() as folder:
            base = _baseline(server.url + "/hook", args.messages)
            ours = _brandpulse(server.url + "/hook", args.messages, Path(folder))
    finally:
        server.close()
    print(f"bare requests POST: {base:,.0f} messages/s")
    print(f"brandpulse deliver (outbox + apprise): {ours:,.0f} messages/s ({ours / base:.2f}x the baseline)")


if __name__ == "__main__":
    main()
