"""Advisory locks: work that must run in one place at a time, claimed in PostgreSQL.

A session-level advisory lock belongs to the connection that took it, and the server
releases it when that connection dies, so a crashed holder never blocks the next one.
Each lock is a fixed 64-bit number, all of them here so no two jobs pick the same one.
"""
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

import psycopg2

log = logging.getLogger(__name__)


class Lock(IntEnum):
    MIGRATIONS = 7_301_624_190_001  # the process applying migrations; the others wait, then find them applied
    CRAWL = 7_301_624_190_010       # the one docs monitor polling the site
    DOCS_REPO = 7_301_624_190_011   # the one docs monitor reading the runbook repositories
    PAGERDUTY_SYNC = 7_301_624_190_020  # the one PagerDuty sync running anywhere


def try_lock(conn: psycopg2.extensions.connection, lock: Lock) -> bool:
    """Take `lock` for this connection's session; False at once when another session holds it."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (int(lock),))
        return cur.fetchone()[0]


def unlock(conn: psycopg2.extensions.connection, lock: Lock) -> None:
    """Give `lock` back; on a connection that died the server has already released it."""
    if conn.closed:
        return
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (int(lock),))
    except psycopg2.Error:
        log.debug("Could not release advisory lock %s explicitly.", lock.name, exc_info=True)


@contextmanager
def held(conn: psycopg2.extensions.connection, lock: Lock) -> Iterator[None]:
    """Wait for `lock`, hold it for the block, then give it back."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (int(lock),))
    try:
        yield
    finally:
        unlock(conn, lock)
