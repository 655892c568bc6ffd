"""Which local days were written since the dashboard counted them (migration 0083's log).

Every write to the incidents table logs the UTC hours of the rows it touched, with its transaction's
id, in that transaction.  A dashboard counts its days in a REPEATABLE READ transaction and keeps that
transaction's snapshot; later it asks for the hours logged by every transaction the snapshot did not
see.  So a sync that committed after the count, even one that began before it, is never missed (a
sequence or a timestamp could not tell that), and a write costs a recount of its own days only.
"""
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from database.connection import Connection

# The log is pruned after a day (`prune`); a dashboard that counted longer ago than half that counts anew.
KEPT_FOR = timedelta(days=1)
TRUSTED_FOR = KEPT_FOR / 2
EVERY_DAY = None  # what `changed_days` says after a TRUNCATE


def take_snapshot(cur) -> str:
    """Start a REPEATABLE READ transaction on `cur` (it must be the transaction's first statement) and
    return its snapshot, which every read in the transaction sees."""
    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    cur.execute("SELECT pg_current_snapshot()::text")
    return cur.fetchone()[0]


def adopt_snapshot(cur, exported: str) -> None:
    """Start a REPEATABLE READ transaction on `cur` in the snapshot another transaction exported
    (pg_export_snapshot), so a second connection counts exactly what the first sees."""
    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    cur.execute("SET TRANSACTION SNAPSHOT %s", (exported,))


def changed_hours(cur, snapshot: str) -> list[datetime | None]:
    """The UTC hours (None: all of them) written by transactions `snapshot` did not see, as far as the
    transaction of `cur` sees."""
    cur.execute(f"SELECT DISTINCT hour FROM incident_changes WHERE {_UNSEEN}", {"snapshot": snapshot})
    return [hour for (hour,) in cur.fetchall()]


# Every transaction a snapshot did not see has an id of at least its xmin: the index finds them.
_UNSEEN = ("changed_by >= pg_snapshot_xmin(%(snapshot)s::pg_snapshot) "
           "AND NOT pg_visible_in_snapshot(changed_by, %(snapshot)s::pg_snapshot)")


def changed_days(hours: Iterable[datetime | None], timezone: str) -> set[date] | None:
    """The local days in `timezone` that the UTC hours overlap (an hour can end on the next local day
    where the offset is not whole hours); EVERY_DAY when one of them is None (pure)."""
    zone, days = ZoneInfo(timezone), set()
    for hour in hours:
        if hour is None:
            return EVERY_DAY
        days |= {hour.astimezone(zone).date(), (hour + timedelta(hours=1, microseconds=-1)).astimezone(zone).date()}
    return days


def prune(conn: "Connection") -> int:
    """Drop what was logged more than KEPT_FOR ago (after each sync); returns how many rows."""
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM incident_changes WHERE logged_at < now() - %s", (KEPT_FOR,))
        return cur.rowcount
