"""A PostgreSQL server of a test's own, which the test may crash and start again.

The session's shared server (conftest) must never go down under other tests; this one
lives in the test's tmp dir.  Import the fixture into a test module to use it.
"""
from dataclasses import dataclass

import psycopg2
import pytest

from generate_documentation_db import database_connection
from sandbox.soak_suite import start_server_again, stop_server


@dataclass
class CrashableServer:
    server: object
    url: str

    def crash(self):
        """`pg_ctl stop -m immediate`: what the OOM killer or a power cut leaves clients with."""
        stop_server(self.server, "immediate")

    def start_again(self):
        start_server_again(self.server)


@pytest.fixture
def crashable_server(tmp_path):
    server = database_connection.embedded_server(tmp_path / "own-postgres")
    url = server.get_uri()
    conn = psycopg2.connect(url)
    database_connection.apply_migrations(conn)
    conn.close()
    yield CrashableServer(server, url)
    server.cleanup()
