"""/metrics: the whole suite as the database records it, in the Prometheus text format.

Every process writes what it did to PostgreSQL (alert events and replies, the team's feedback,
stored pages and runbooks, rule sources, heartbeats, sync runs, handoff runs), so one scrape of the
dashboard tells the whole story and a platform can alert on the alerting helper: the bot
disconnected, the crawl failing, the PagerDuty sync behind, the handoff not sent.  The figures are
read at scrape time (`suite_figures`, I/O) and turned into metric families (`metric_families`, pure);
the dashboard's own request latency is a histogram kept in the process.
"""
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from database.heartbeats import suite_status

PREFIX = "oncall_helper"


def suite_figures(conn) -> dict:
    """Everything /metrics reports, read in one transaction."""
    figures = {"heartbeats": suite_status(conn)}
    with conn, conn.cursor() as cur:
        cur.execute("SELECT match_reason, count(*), count(reply_ts) FROM alert_events GROUP BY match_reason")
        figures["alerts"] = [(reason, seen, answered) for reason, seen, answered in cur.fetchall()]
        cur.execute("SELECT count(*) FROM alert_replies WHERE reply_ts IS NULL AND claimed_at < now() - interval '10 minutes'")
        figures["replies_unposted"] = cur.fetchone()[0]
        cur.execute("SELECT verdict, count(*) FROM alert_feedback WHERE forgotten_at IS NULL GROUP BY verdict")
        figures["feedback"] = cur.fetchall()
        cur.execute("SELECT status, count(*) FROM doc_pages GROUP BY status")
        figures["pages"] = cur.fetchall()
        cur.execute("SELECT kind, count(*) FROM runbooks GROUP BY kind")
        figures["runbooks"] = cur.fetchall()
        cur.execute("SELECT count(*), count(*) FILTER (WHERE problem IS NOT NULL), coalesce(sum(rule_count), 0)"
                    " FROM alert_rule_sources")
        figures["rule_sources"] = cur.fetchone()
        cur.execute("SELECT count(*), extract(epoch FROM now() - max(synced_at)) FROM incidents")
        figures["incidents"] = cur.fetchone()
        cur.execute("SELECT extract(epoch FROM now() - max(finished_at) FILTER (WHERE outcome = 'ok')),"
                    " count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'failed')"
                    " FROM pagerduty_sync_runs")
        figures["syncs"] = cur.fetchone()
        cur.execute("SELECT status, count(*) FROM handoff_runs GROUP BY status")
        figures["handoffs"] = cur.fetchall()
    return figures


def metric_families(figures: dict) -> Iterator[Metric]:
    """The metric families of one scrape's figures."""
    seen = CounterMetricFamily(f"{PREFIX}_alerts_seen", "Alert messages the Slack bot recorded, by how they were "
                               "matched ('none': no runbook found)", labels=["match"])
    answered = CounterMetricFamily(f"{PREFIX}_alerts_answered", "Alert messages the bot replied to, by how they "
                                   "were matched", labels=["match"])
    quiet = CounterMetricFamily(f"{PREFIX}_alerts_quiet", "Alert messages the bot recorded and did not reply to "
                                "(no runbook, a status update, another message of an answered incident)",
                                labels=["match"])
    for reason, count, replied in figures["alerts"]:
        seen.add_metric([reason], count)
        answered.add_metric([reason], replied)
        quiet.add_metric([reason], count - replied)
    yield from (seen, answered, quiet)
    yield GaugeMetricFamily(f"{PREFIX}_replies_unposted", "Replies claimed more than 10 minutes ago and not posted "
                            "(Slack refused them or the bot died posting)", value=figures["replies_unposted"])
    feedback = CounterMetricFamily(f"{PREFIX}_feedback", "People's say about the bot's answers, by verdict",
                                   labels=["verdict"])
    for verdict, count in figures["feedback"]:
        feedback.add_metric([verdict], count)
    yield feedback
    yield _by(f"{PREFIX}_doc_pages", "Pages of the docs site stored, by status", "status", figures["pages"])
    yield _by(f"{PREFIX}_runbooks", "Runbooks stored, by kind", "kind", figures["runbooks"])
    sources, failing, rules = figures["rule_sources"]
    yield GaugeMetricFamily(f"{PREFIX}_rule_sources", "Alert rule sources read", value=sources)
    yield GaugeMetricFamily(f"{PREFIX}_rule_sources_failing", "Alert rule sources whose last read failed", value=failing)
    yield GaugeMetricFamily(f"{PREFIX}_alert_rules", "Alert rules stored", value=rules)
    incidents, since_synced = figures["incidents"]
    yield GaugeMetricFamily(f"{PREFIX}_incidents", "PagerDuty incidents stored", value=incidents)
    ok_age, ok_runs, failed_runs = figures["syncs"]
    if ok_age is not None:
        yield GaugeMetricFamily(f"{PREFIX}_pagerduty_sync_age_seconds", "Seconds since the last PagerDuty sync "
                                "that finished ok (the sync lag)", value=float(ok_age))
    syncs = CounterMetricFamily(f"{PREFIX}_pagerduty_syncs", "PagerDuty sync runs, by outcome", labels=["outcome"])
    syncs.add_metric(["ok"], ok_runs)
    syncs.add_metric(["failed"], failed_runs)
    yield syncs
    handoffs = dict(figures["handoffs"])
    mails = CounterMetricFamily(f"{PREFIX}_handoff_mails_sent", "Handoff weeks mailed")
    mails.add_metric([], handoffs.get("sent", 0))
    yield mails
    yield _by(f"{PREFIX}_handoff_weeks", "Handoff weeks by status (pending, sent, failed)", "status",
              figures["handoffs"])
    beats = GaugeMetricFamily(f"{PREFIX}_heartbeat_age_seconds", "Seconds since each process's last heartbeat",
                              labels=["process"])
    stale = GaugeMetricFamily(f"{PREFIX}_process_stale", "1 when a process's heartbeat is older than three of its "
                              "intervals", labels=["process"])
    connected = GaugeMetricFamily(f"{PREFIX}_slack_connected", "1 while the Slack bot's last heartbeat says it is "
                                  "connected")
    crawl = GaugeMetricFamily(f"{PREFIX}_last_poll_pages", "The docs monitor's last poll, by what happened to each page",
                              labels=["result"])
    for row in figures["heartbeats"]:
        beats.add_metric([row["process"]], row["age_seconds"])
        stale.add_metric([row["process"]], float(row["stale"]))
        details = row["details"] or {}
        if row["process"] == "slack_bot":
            connected.add_metric([], float(bool(details.get("connected")) and not row["stale"]))
        for result, count in (details.get("last_poll") or {}).items() if row["process"] == "docs_monitor" else ():
            crawl.add_metric([result], count)
    yield from (beats, stale, connected, crawl)


def _by(name, documentation, label, rows):
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in rows:
        family.add_metric([str(value)], count)
    return family


class SuiteCollector:
    """A prometheus_client collector that reads the figures on every scrape."""

    def __init__(self, read: Callable[[], dict]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        yield from metric_families(self.read())


def dashboard_registry(read: Callable[[], dict]) -> tuple[CollectorRegistry, Histogram]:
    """The registry /metrics serves, and the histogram of the dashboard's own request latency."""
    registry = CollectorRegistry()
    registry.register(SuiteCollector(read))
    latency = Histogram(f"{PREFIX}_dashboard_request_seconds", "The dashboard's response time, by route",
                        ["route"], registry=registry,
                        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
    return registry, latency
