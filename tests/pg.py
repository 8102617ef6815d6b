"""Fresh PostgreSQL databases on the test session's server."""

from contextlib import contextmanager
from urllib.parse import urlsplit
from uuid import uuid4

import psycopg


@contextmanager
def fresh_database(server_url: str):
    """A new database on the server at `server_url`; yields its URL, drops it (and its pools) afterwards."""
    name = f"t_{uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = urlsplit(server_url)._replace(path=f"/{name}").geturl()
    try:
        yield url
    finally:
        from brandpulse.store.postgres_backend import close_pools

        close_pools()
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
