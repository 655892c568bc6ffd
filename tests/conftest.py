"""Shared fixtures: a real embedded PostgreSQL for the whole run, a fresh database per test."""
import contextlib
import itertools
import os
import sys
from pathlib import Path

import psycopg2
import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

import utils  # noqa: E402
from generate_documentation_db import database_connection  # noqa: E402

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory):
    """The embedded server every test shares (its own data dir, stopped at the end of the run)."""
    server = database_connection.embedded_server(tmp_path_factory.mktemp("pg") / "postgres")
    yield server.get_uri()


url_for_database = database_connection.url_for_database


@contextlib.contextmanager
def fresh_database(server_url, name):
    """A new database on `server_url` with every migration applied; dropped afterwards."""
    url = database_connection.create_migrated_database(server_url, name)
    try:
        yield url
    finally:
        admin = psycopg2.connect(server_url)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def database_url(pg_server_url):
    """A fresh database with every migration applied; dropped after the test."""
    with fresh_database(pg_server_url, f"test_{os.getpid()}_{next(_database_numbers)}") as url:
        yield url


@pytest.fixture
def db(database_url):
    """A connection to the test's fresh database."""
    conn = psycopg2.connect(database_url)
    yield conn
    conn.close()


@pytest.fixture
def make_config(database_url):
    """make_config(KEY="value", ...) -> a Config with only those keys and the test database."""
    def build(**keys):
        environ = {"DATABASE_URL": database_url, **{k: str(v) for k, v in keys.items()}}
        return utils.Config({}, environ)
    return build
