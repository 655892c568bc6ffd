"""A throwaway embedded PostgreSQL database for benchmarks (migrated, dropped afterwards)."""
import contextlib
import sys
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generate_documentation_db import database_connection  # noqa: E402


@contextlib.contextmanager
def fresh_database(directory):
    """A migrated connection on an embedded server whose data lives in `directory`."""
    server = database_connection.embedded_server(Path(directory) / "postgres")
    conn = psycopg2.connect(server.get_uri())
    try:
        database_connection.apply_migrations(conn)
        yield conn
    finally:
        conn.close()
        server.cleanup()  # before the caller removes `directory`
