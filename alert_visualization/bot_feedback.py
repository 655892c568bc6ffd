"""How the Slack bot did with the alerts of a period, from its alert record and the team's feedback
(migrations 0030 and 0070): for the dashboard's weekly table and the handoff mail."""
from datetime import datetime
from typing import TYPE_CHECKING

from matching.lessons import CORRECTED, HELPFUL, NO_RUNBOOK

if TYPE_CHECKING:
    from database.connection import Connection

# An alert the bot answered with a runbook; anything else was no answer at all.
_ANSWERED = "(e.runbook_id IS NOT NULL OR e.match_reason = 'runbook link')"


def feedback_counts(conn: "Connection", start: datetime, end: datetime, top: int = 5) -> dict:
    """How the bot did with the alerts received in [start, end): replies with a runbook, how many
    of them people confirmed and corrected, the quiet alerts someone attached a runbook to, and
    the runbooks most often corrected.  An alert counts once however many people spoke."""
    with conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FILTER (WHERE e.reply_ts IS NOT NULL AND {_ANSWERED}),"
            " count(*) FILTER (WHERE says.helpful AND NOT says.corrected),"
            f" count(*) FILTER (WHERE says.corrected AND {_ANSWERED}),"
            f" count(*) FILTER (WHERE says.attached AND NOT {_ANSWERED}) "
            "FROM alert_events e LEFT JOIN LATERAL ("
            "  SELECT bool_or(f.verdict = %s) AS helpful, bool_or(f.verdict IN (%s, %s)) AS corrected,"
            "         bool_or(f.verdict = %s AND f.chosen_alert IS NOT NULL) AS attached"
            "  FROM alert_feedback f WHERE f.alert_event_id = e.id AND f.forgotten_at IS NULL) says ON true "
            "WHERE e.received_at >= %s AND e.received_at < %s",
            (HELPFUL, CORRECTED, NO_RUNBOOK, CORRECTED, start, end))
        replies, confirmed, corrected, attached = cur.fetchone()
        cur.execute("SELECT f.replied_alert, count(DISTINCT f.alert_event_id) FROM alert_feedback f "
                    "JOIN alert_events e ON e.id = f.alert_event_id "
                    "WHERE f.verdict IN (%s, %s) AND f.replied_alert IS NOT NULL AND f.forgotten_at IS NULL"
                    " AND e.received_at >= %s AND e.received_at < %s "
                    "GROUP BY f.replied_alert ORDER BY 2 DESC, 1 LIMIT %s",
                    (CORRECTED, NO_RUNBOOK, start, end, top))
        most_corrected = [{"runbook": name, "corrected": count} for name, count in cur.fetchall()]
    return {"replies": replies, "confirmed": confirmed, "corrected": corrected,
            "quiet_with_runbook": attached, "most_corrected": most_corrected}
