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
