import shutil
import tempfile
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


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the test session (the `pgserver` wheel); skips where none can start."""
    # Its own folder, not pytest's tmp_path: a concurrent pytest session prunes old pytest-N folders under it.
    folder = tempfile.mkdtemp(prefix="brandpulse-pg-")
    try:
        import pgserver

        server = pgserver.get_server(folder, cleanup_mode="stop")
    except Exception as exc:  # any failure to start means: no server on this machine
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"no PostgreSQL server can be started here ({type(exc).__name__}: {exc})")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database on the session's server, dropped afterwards."""
    from tests.pg import fresh_database

    with fresh_database(pg_server.get_uri()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path):
    """Each contract test runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "contract.db"
    return request.getfixturevalue("pg_url")
