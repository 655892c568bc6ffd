"""Riding out a database outage: the one way every process does it.

`Database.run(work)` calls `work(conn)` on this thread's connection.  When the server
went away (a restart, a crash, a failover) the connection is dropped and the work is
run again on a fresh one, for up to `retry_seconds`; after that the call raises
DatabaseUnavailable and the caller's loop decides when to try again.  A bad query is a
bug and is raised at once.  Work must therefore be safe to repeat: each piece of it
commits in its own transaction, and what must happen once is claimed in the database.
"""
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg2

from database.connection import (
    Connection,
    DatabaseUnavailable,
    connect,
    connect_url,
    connection_lost,
    database_url,
    first_line,
    single_statement,
)
from utils import Config

log = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 10
Result = TypeVar("Result")


def open_database(config: Config, stopping: threading.Event | None = None, one_shot: bool = False,
                  retry_seconds: float = DEFAULT_RETRY_SECONDS) -> "Database":
    """The process's Database, once the server answers and the schema is current.

    A long-running process waits for the server however long it takes; a one-shot command
    (--once, --list, the console, cron) gives up after DATABASE_WAIT_SECONDS.  Either way an
    absent server is DatabaseUnavailable (exit 1), never a configuration error.
    """
    wait_seconds = config.number("DATABASE_WAIT_SECONDS", 60.0, minimum=0) if one_shot else None
    connect(config, wait_seconds, stopping).close()
    url = database_url(config)
    return Database(lambda: connect_url(url), retry_seconds)


class Database:
    """A connection per thread, opened on first use and again after an outage.

    `connect` runs on whichever thread first needs a connection; it must be thread-safe
    and give up quickly (connection.connect_url with the default wait of 0).
    """

    def __init__(self, connect: Callable[[], Connection], retry_seconds: float = DEFAULT_RETRY_SECONDS) -> None:
        self._connect = connect
        self._local = threading.local()
        self._open: set[Connection] = set()
        self._open_lock = threading.Lock()
        self.retry_seconds = retry_seconds

    def run(self, work: Callable[[Connection], Result], retry_seconds: float | None = None) -> Result:
        """work(conn), run again on a fresh connection after an outage for up to `retry_seconds`
        (the Database's own by default; 0 for work too long to repeat at once, such as a sync)."""
        retry_seconds = self.retry_seconds if retry_seconds is None else retry_seconds
        deadline = time.monotonic() + retry_seconds
        while True:
            try:
                return work(self.connection())
            except (psycopg2.Error, DatabaseUnavailable) as error:
                if isinstance(error, psycopg2.Error) and not connection_lost(error):
                    raise
                self.forget()
                reason = first_line(error)[:200]
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(reason) from None
                log.warning("Database unavailable (%s); retrying.", reason)
                time.sleep(1)

    def run_statements(self, work: Callable[[Connection], Result], retry_seconds: float | None = None) -> Result:
        """`run`, with each of work's statements its own transaction (autocommit): for reads and single
        writes that need no transaction around them, which then cost no BEGIN and COMMIT round trips."""
        def alone(conn):
            with single_statement(conn):
                return work(conn)
        return self.run(alone, retry_seconds)

    def connection(self) -> Connection:
        """This thread's connection, opened if it has none (DatabaseUnavailable when that fails)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = self._connect()
            with self._open_lock:
                self._open = {known for known in self._open if not known.closed} | {conn}
        return conn

    def forget(self) -> None:
        """Drop this thread's connection (broken by an outage); the next call opens another."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        _close(conn)

    def close(self) -> None:
        """Close every thread's connection: the process is stopping."""
        with self._open_lock:
            opened, self._open = self._open, set()
        for conn in opened:
            _close(conn)


def _close(conn: Connection | None) -> None:
    if conn is not None and not conn.closed:
        try:
            conn.close()
        except psycopg2.Error:
            pass
