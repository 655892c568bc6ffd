"""Keeping the schema current: the numbered SQL files in migrations/, each applied once.

Files are named 0001_what_it_does.sql; `schema_migrations` records which ran.  The
migration lock makes processes that start together take turns: the first applies, the
others then find everything recorded and apply nothing.
"""
import logging
from pathlib import Path

import psycopg2

from database.locks import Lock, held

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, Path]]:
    """[(version, name, path)] in order."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append((int(version), name, path))
    return found


def apply_migrations(conn: psycopg2.extensions.connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the migrations not yet recorded, each in its own transaction; return their versions."""
    applied_now = []
    with held(conn, Lock.MIGRATIONS):
        with conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
        for version, name, path in migration_files(directory):
            if version in done:
                continue
            with conn, conn.cursor() as cur:
                cur.execute(path.read_text(encoding="utf-8"))
                cur.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name))
            log.info("Applied database migration %04d %s.", version, name)
            applied_now.append(version)
    return applied_now
