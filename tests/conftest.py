import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from brandpulse.cli import cli
from brandpulse.store import open_db

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_db(tmp_path):
    db = open_db(tmp_path / "unit.db")
    yield db
    db.close()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "brandpulse.db"


@pytest.fixture
def demo_dir(tmp_path, monkeypatch):
    """A temp folder holding a copy of the shipped config.yaml, as the working directory."""
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRANDPULSE_CONFIG", raising=False)
    monkeypatch.delenv("BRANDPULSE_DB", raising=False)
    return tmp_path


@pytest.fixture
def invoke():
    """Run the CLI in-process and return the result (exceptions propagate)."""

    def run(*args, input=None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 serving canned answers (tests/local_http.py)."""
    from tests.local_http import LocalServer

    server = LocalServer()
    yield server
    server.close()
