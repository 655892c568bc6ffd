"""Databases for tests: a fresh one on the shared server, or a server of a test's own.

The session's shared server (conftest) must never go down under other tests; a
CrashableServer lives in the test's tmp dir, and the test may crash, stop and start it
again (the `crashable_server` fixture hands one out).
"""
import contextlib
from dataclasses import dataclass

import psycopg2

from database import connection
from database.schema import apply_migrations
from soak.suite import start_server_again, stop_server

TEMPLATE = "test_template"  # migrated once per run; each test's database is a copy of it


def prepare_test_server(server_url):
    """Make the session's server quick for tests: no fsync (a test server outlives no power cut; a
    crashed postgres process still recovers from its WAL), and a migrated template to copy."""
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            cur.execute(f"ALTER SYSTEM SET {setting} = off")
        cur.execute("SELECT pg_reload_conf()")
    admin.close()
    connection.create_migrated_database(server_url, TEMPLATE)


@contextlib.contextmanager
def fresh_database(server_url, name):
    """A new database on `server_url` with every migration applied (a copy of the migrated template
    where the server has one); dropped afterwards."""
    url = _copy_of_template(server_url, name) or connection.create_migrated_database(server_url, name)
    try:
        yield url
    finally:
        admin = psycopg2.connect(server_url)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _copy_of_template(server_url, name):
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE,))
            if cur.fetchone() is None:
                return None
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        admin.close()
    return connection.url_for_database(server_url, name)


@dataclass
class CrashableServer:
    server: object
    url: str

    @classmethod
    def started_in(cls, directory):
        server = connection.embedded_server(directory)
        url = server.get_uri()
        conn = connection.connect_url(url)
        apply_migrations(conn)
        conn.close()
        return cls(server, url)

    def crash(self):
        """`pg_ctl stop -m immediate`: what the OOM killer or a power cut leaves clients with."""
        stop_server(self.server, "immediate")

    def stop(self):
        """A clean shutdown: the server is simply not there until `start_again`."""
        stop_server(self.server, "fast")

    def start_again(self):
        start_server_again(self.server)

    def cleanup(self):
        self.server.cleanup()
