"""Shared fixtures: a real embedded PostgreSQL for the whole run, a fresh database per test, and a
server of a test's own that it may crash."""
import itertools
import os

import psycopg2
import pytest

import utils
from database import connection
from tests.databases import CrashableServer, fresh_database, prepare_test_server

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory):
    """The embedded server every test shares (its own data dir, stopped at the end of the run)."""
    server = connection.embedded_server(tmp_path_factory.mktemp("pg") / "postgres")
    prepare_test_server(server.get_uri())
    yield server.get_uri()


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


@pytest.fixture
def crashable_server(tmp_path):
    """A migrated server in the test's tmp dir: crash(), stop() and start_again() it at will."""
    server = CrashableServer.started_in(tmp_path / "own-postgres")
    yield server
    server.cleanup()
