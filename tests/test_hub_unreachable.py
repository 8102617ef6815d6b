"""With downloads allowed (HF_HUB_OFFLINE=0) and no Hub to answer, a Hugging Face model id fails at once, naming the
model and the setting, instead of after huggingface_hub's retries; a model in the cache is read from it."""

import os
import socket
import subprocess
import sys
import time

import pytest

from tests.local_http import Reply
from tests.test_sentiment_model import _tiny

MODEL = "acme-labs/review-sentiment"


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # closed once the block ends: connections are refused


def _classify(tmp_path, endpoint: str, timeout: float = 90) -> tuple[subprocess.CompletedProcess, float]:
    config = tmp_path / "config.yaml"
    config.write_text(f"brands: [{{name: Acme, keywords: [acme]}}]\nsentiment: {{model: {MODEL}}}\n",
                      encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": endpoint}
    env.pop("TRANSFORMERS_OFFLINE", None)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "brandpulse", "--config", str(config), "classify", "great phone"],
                            capture_output=True, text=True, env=env, timeout=timeout)
    return result, time.monotonic() - started


def test_a_model_id_not_in_the_cache_fails_at_once_when_the_hub_refuses_connections(tmp_path):
    result, took = _classify(tmp_path, _closed_port())

    assert result.returncode == 1, result.stderr
    assert f"sentiment model '{MODEL}' is not in the Hugging Face cache" in result.stderr
    assert "HF_HUB_OFFLINE=0 in the environment" in result.stderr and f"hf download {MODEL}" in result.stderr
    assert took < 30  # was about 49 s of retries (1 + 2 + 4 + 8 + 8 s per file) before the same failure


def test_a_model_id_not_in_the_cache_fails_at_once_when_the_hub_answers_503(tmp_path, server):
    server.route(f"/{MODEL}/resolve/main/config.json", Reply(503))

    result, took = _classify(tmp_path, server.url)

    assert result.returncode == 1, result.stderr
    assert "HF_HUB_OFFLINE=0" in result.stderr and "503" in result.stderr
    assert took < 30
    assert len([r for r in server.requests if r[1].endswith("config.json")]) == 1  # was asked six times


@pytest.mark.slow
def test_a_model_in_the_cache_is_read_from_it_when_the_hub_cannot_be_reached(tmp_path):
    repo = tmp_path / "hf" / "hub" / f"models--{MODEL.replace('/', '--')}"
    _tiny(repo / "snapshots" / ("a" * 40), {0: "negative", 1: "neutral", 2: "positive"})
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)

    # Was minutes: each optional file the cache lacks (chat_template.jinja, ...) asked again and again.
    result, _ = _classify(tmp_path, _closed_port(), timeout=60)

    assert result.returncode == 0, result.stderr
    assert '"label":' in result.stdout and "reading the cached copy" in result.stderr
