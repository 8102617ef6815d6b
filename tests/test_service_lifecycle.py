import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import write_config


@pytest.mark.slow
def test_run_starts_the_scheduler_and_stops_cleanly_on_sigterm(tmp_path):
    config = write_config(tmp_path / "c.yaml", "brands:\n  - name: Acme\n    keywords: [acme]\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "brandpulse", "-v", "--config", str(config), "run"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    for line in process.stderr:  # wait for the service to say it is up; the test times out otherwise
        lines.append(line)
        if "is running" in line:
            break
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)

    assert process.returncode == 0
    assert "stopped" in rest
    assert any("scheduled classify" in line for line in lines)


@pytest.mark.slow
def test_a_stopping_service_classifies_the_batch_in_hand_not_the_whole_backlog(tmp_path, invoke):
    import json
    from datetime import datetime, timezone

    from brandpulse.config import load_config
    from brandpulse.pipeline import CLASSIFY_BATCH, Pipeline

    config = write_config(tmp_path / "config.yaml", "brands: [{name: Acme, keywords: [acme]}]\n")
    lines = [json.dumps({"source": "x", "id": str(n), "text": f"acme order {n} never arrived",
                         "created_at": "2026-03-02T10:00:00Z"}) for n in range(CLASSIFY_BATCH + 40)]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert invoke("--config", config, "ingest", tmp_path / "m.jsonl", "--no-classify").exit_code == 0
    pipeline = Pipeline(load_config(config), tmp_path / "brandpulse.db")

    pipeline.stopping.set()  # what serve() does on SIGTERM
    done = pipeline.classify(datetime(2026, 3, 2, 12, tzinfo=timezone.utc))

    assert done == CLASSIFY_BATCH
