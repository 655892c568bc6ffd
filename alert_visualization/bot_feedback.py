"""How the Slack bot did with the alerts of a period, from its alert record and the team's feedback
(migrations 0030 and 0070): for the dashboard's weekly table and the handoff mail."""
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from matching.lessons import ANSWERED, CORRECTED, HELPFUL, NO_RUNBOOK

if TYPE_CHECKING:
    from database.connection import Connection


def feedback_counts(conn: "Connection", start: datetime, end: datetime, top: int = 5) -> dict:
    """How the bot did with the alerts received in [start, end): replies with a runbook, how many
    of them people confirmed and corrected, the quiet alerts someone attached a runbook to, and
    the runbooks most often corrected.  An alert counts once however many people spoke."""
    (counts,) = weekly_counts(conn, [start], end - start)
    return {**counts, "most_corrected": most_corrected(conn, start, end, top)}


def weekly_counts(conn: "Connection", starts: list[datetime], length: timedelta) -> list[dict]:
    """feedback_counts' four counts (no runbook list) for each period [start, start + length), in
    one grouped query, in the order of `starts`."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT w.n, count(e.id) FILTER (WHERE e.reply_ts IS NOT NULL AND " + ANSWERED + "),"
            " count(e.id) FILTER (WHERE says.helpful AND NOT says.corrected),"
            " count(e.id) FILTER (WHERE says.corrected AND " + ANSWERED + "),"
            " count(e.id) FILTER (WHERE says.attached AND NOT " + ANSWERED + ") "
            "FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS w(start, n) "
            "LEFT JOIN alert_events e ON e.received_at >= w.start AND e.received_at < w.start + %s "
            "LEFT JOIN LATERAL ("
            "  SELECT bool_or(f.verdict = %s) AS helpful, bool_or(f.verdict IN (%s, %s)) AS corrected,"
            "         bool_or(f.verdict = %s AND f.chosen_alert IS NOT NULL) AS attached"
            "  FROM alert_feedback f WHERE f.alert_event_id = e.id AND f.forgotten_at IS NULL) says ON true "
            "GROUP BY w.n ORDER BY w.n",
            (list(starts), length, HELPFUL, CORRECTED, NO_RUNBOOK, CORRECTED))
        rows = cur.fetchall()
    return [{"replies": replies, "confirmed": confirmed, "corrected": corrected, "quiet_with_runbook": attached}
            for _, replies, confirmed, corrected, attached in rows]


def most_corrected(conn: "Connection", start: datetime, end: datetime, top: int = 5) -> list[dict]:
    """The runbooks people corrected most often for the alerts received in [start, end)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT f.replied_alert, count(DISTINCT f.alert_event_id) FROM alert_feedback f "
                    "JOIN alert_events e ON e.id = f.alert_event_id "
                    "WHERE f.verdict IN (%s, %s) AND f.replied_alert IS NOT NULL AND f.forgotten_at IS NULL"
                    " AND e.received_at >= %s AND e.received_at < %s "
                    "GROUP BY f.replied_alert ORDER BY 2 DESC, 1 LIMIT %s",
                    (CORRECTED, NO_RUNBOOK, start, end, top))
        return [{"runbook": name, "corrected": count} for name, count in cur.fetchall()]
