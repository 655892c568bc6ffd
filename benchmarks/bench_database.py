"""A throwaway embedded PostgreSQL database for benchmarks (migrated, dropped afterwards)."""
import contextlib
from pathlib import Path

import psycopg2

from database import connection


@contextlib.contextmanager
def fresh_database(directory):
    """A migrated connection on an embedded server whose data lives in `directory`."""
    server = connection.embedded_server(Path(directory) / "postgres")
    conn = psycopg2.connect(server.get_uri())
    try:
        connection.apply_migrations(conn)
        yield conn
    finally:
        conn.close()
        server.cleanup()  # before the caller removes `directory`
