import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brandpulse.store import open_db
from brandpulse.store.queries import MentionFilter, iter_mentions
from tests.conftest import write_config

FEED, IMPORTED = 200, 1500
# A round SIGKILLs a `run` and an `ingest`, unless one finished first. PostgreSQL runs fewer rounds: its
# transactions are the server's, and the suite's time is better spent on what differs (the client side).
KILLS = {"sqlite": 24, "postgresql": 10}


def _jsonl(path, source, count, labelled_every=0):
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            line = {"source": source, "id": f"{source}-{n}", "brand": "Acme", "created_at": f"2026-03-0{1 + n % 5}T{n % 24:02d}:17:00Z",
                    "text": f"acme order {n} {'was late again, refund please' if n % 3 else 'arrived, lovely coffee'} 🙂"}
            if labelled_every and n % labelled_every == 0:
                line["label"] = "neutral"
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def _start(config, store, *args):
    return subprocess.Popen([sys.executable, "-m", "brandpulse", "--config", str(config), "--db", str(store), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_after(process, delay):
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return 1
    return 0


@pytest.mark.slow
def test_sigkilled_run_and_ingest_restart_without_losing_duplicating_or_corrupting_anything(tmp_path, store_target):
    backend = "sqlite" if isinstance(store_target, Path) else "postgresql"
    seed = int(os.environ.get("BRANDPULSE_CRASH_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    feed = _jsonl(tmp_path / "feed.jsonl", "feed", FEED)
    imported = _jsonl(tmp_path / "import.jsonl", "import", IMPORTED, labelled_every=2)
    config = write_config(tmp_path / "c.yaml", f"""
brands: [{{name: Acme, keywords: [acme]}}]
collectors: [{{type: replay, name: feed, path: {feed}, interval: 1s}}]
sentiment: {{interval: 1s, device: cpu}}
alerts: {{interval: 1s}}
email: {{interval: 1s, recipients: {{alerts: [ops@example.com]}}}}
""")
    kills = rounds = 0
    while kills < KILLS[backend] and rounds < KILLS[backend] * 5 // 4:
        rounds += 1
        service, ingest = _start(config, store_target, "run"), _start(config, store_target, "ingest", "--no-classify", imported)
        kills += _kill_after(ingest, rng.uniform(0.2, 1.5))
        kills += _kill_after(service, rng.uniform(0.5, 5.0))

    cli = [sys.executable, "-m", "brandpulse", "--config", str(config), "--db", str(store_target)]
    finish_ingest = subprocess.run([*cli, "ingest", imported], capture_output=True, text=True, timeout=300)
    finish_run = subprocess.run([*cli, "run", "--once"], capture_output=True, text=True, timeout=300)
    context = f"(seed {seed}; rerun with BRANDPULSE_CRASH_SEED={seed})"

    assert kills >= KILLS[backend] * 5 // 6, f"only {kills} processes were still running when killed {context}"
    assert finish_ingest.returncode == 0 and finish_run.returncode == 0, finish_ingest.stderr + finish_run.stderr + context
    if backend == "sqlite":
        raw = sqlite3.connect(store_target)
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)], context
        raw.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")  # raises when the index drifted
    db = open_db(store_target)
    ids = [row[0] for row in db.execute("SELECT external_id FROM mentions")]
    expected = {f"feed-{n}" for n in range(FEED)} | {f"import-{n}" for n in range(IMPORTED)}
    assert len(ids) == len(expected) and set(ids) == expected, context
    assert db.execute("SELECT count(*) FROM mentions WHERE label IS NULL OR category IS NULL").fetchone()[0] == 0, context
    items, cursor = db.execute("SELECT items, cursor FROM collector_state WHERE name = 'feed:Acme'").fetchone()
    # The collector's counter is committed with the rows it counts: it can be behind only if data were lost.
    assert items == FEED and json.loads(cursor)["replayed"] <= FEED, context
    assert db.execute("SELECT count(*) FROM job_runs WHERE last_outcome = 'ok'").fetchone()[0] >= 4, context
    # The search index holds every mention exactly once (FTS5 by triggers, the tsvector as a generated column).
    assert sum(1 for _ in iter_mentions(db, MentionFilter(search="acme"), ("id",), order="stored")) == len(expected), context
    db.close()
