"""The alerting rules in PostgreSQL: one source's rules replaced in one transaction when they changed.

An unchanged source costs one read of its fingerprint and no write; a source that fails records
the problem and keeps its last good rules.
"""
import json
from dataclasses import dataclass
from datetime import datetime

from database.connection import Connection
from generate_documentation_db.alert_rules import AlertRule, fingerprint


@dataclass(frozen=True)
class StoredRule:
    source: str
    rule: AlertRule


@dataclass(frozen=True)
class SourceState:
    source: str
    rule_count: int
    read_at: datetime | None
    problem: str | None


def any_source_read(conn: Connection) -> bool:
    """Rules were ever read well from some source."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM alert_rule_sources WHERE fingerprint IS NOT NULL)")
        return cur.fetchone()[0]


def store_rules(conn: Connection, source: str, rules: list[AlertRule], first_read: bool = False) -> bool:
    """Keep `rules` as the source's rules; True when they differ from those stored (and were written).
    `first_read`: the suite's very first read of any rules, whose alert names are no week's news."""
    digest = fingerprint(rules)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT fingerprint, problem FROM alert_rule_sources WHERE source = %s FOR UPDATE", (source,))
        row = cur.fetchone()
        if row and row[0] == digest:
            if row[1] is not None:  # it read well again after a failure: the problem is over
                cur.execute("UPDATE alert_rule_sources SET problem = NULL, read_at = now() WHERE source = %s",
                            (source,))
            return False
        _move_version(cur)
        cur.execute(
            "INSERT INTO alert_rule_sources (source, fingerprint, rule_count, version, read_at, changed_at)"
            " VALUES (%(source)s, %(digest)s, %(count)s, (SELECT version FROM alert_rules_moved), now(), now())"
            " ON CONFLICT (source) DO UPDATE SET fingerprint = excluded.fingerprint,"
            " rule_count = excluded.rule_count, version = excluded.version, read_at = now(),"
            " changed_at = now(), problem = NULL, problem_at = NULL",
            {"source": source, "digest": digest, "count": len(rules)})
        cur.execute("DELETE FROM alert_rules WHERE source = %s", (source,))
        if rules:
            cur.executemany("INSERT INTO alert_rule_names (alert_name, first_seen_at) VALUES"
                            " (%s, CASE WHEN %s THEN '-infinity'::timestamptz ELSE now() END) ON CONFLICT DO NOTHING",
                            sorted({(rule.alert_name, first_read) for rule in rules}))
            cur.executemany(
                "INSERT INTO alert_rules (source, alert_name, group_name, severity, labels, summary, description,"
                " runbook_url, expr, for_duration) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(source, rule.alert_name, rule.group, rule.severity, json.dumps(rule.labels), rule.summary,
                  rule.description, rule.runbook_url, rule.expr, rule.for_duration) for rule in rules])
    return True


def record_problem(conn: Connection, source: str, problem: str) -> None:
    """Note what went wrong reading a source; its last good rules stay."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO alert_rule_sources (source, problem, problem_at) VALUES (%s, %s, now())"
            " ON CONFLICT (source) DO UPDATE SET problem = excluded.problem, problem_at = now()",
            (source, problem))


def forget_sources(conn: Connection, keep: list[str], keep_under: list[str] = ()) -> int:
    """Drop the sources no longer configured, with their rules, except those under a folder of
    `keep_under` (one that is not there just now); returns how many."""
    prefixes = [folder.rstrip("/") + "/" for folder in keep_under]
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM alert_rule_sources WHERE NOT (source = ANY(%s))"
                    " AND NOT (source LIKE ANY(%s))", (list(keep), [_like_prefix(prefix) for prefix in prefixes]))
        if cur.rowcount:
            _move_version(cur)  # the matcher reloads without them
        return cur.rowcount


def _like_prefix(prefix):
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _move_version(cur):
    # In the writer's transaction: a reader sees the new version only with the rules it stands for.
    cur.execute("UPDATE alert_rules_moved SET version = version + 1")


def stored_rules(conn: Connection) -> list[StoredRule]:
    """Every stored rule, by source and alert name."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT source, alert_name, group_name, severity, labels, summary, description, runbook_url,"
                    " expr, for_duration FROM alert_rules ORDER BY source, alert_name, id")
        return [StoredRule(row[0], AlertRule(*row[1:4], dict(row[4]), *row[5:])) for row in cur.fetchall()]


def first_seen_between(conn: Connection, start: datetime, end: datetime) -> set[str]:
    """The alert names first read from a rule source in [start, end)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT alert_name FROM alert_rule_names WHERE first_seen_at >= %s AND first_seen_at < %s",
                    (start, end))
        return {row[0] for row in cur.fetchall()}


def source_states(conn: Connection) -> list[SourceState]:
    with conn, conn.cursor() as cur:
        cur.execute("SELECT source, rule_count, read_at, problem FROM alert_rule_sources ORDER BY source")
        return [SourceState(*row) for row in cur.fetchall()]


GONE = (404, 410)


def links_due(conn: Connection, urls: set[str], every_seconds: float) -> list[str]:
    """The links of `urls` not checked within `every_seconds`, never-checked first."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT url FROM rule_links WHERE url = ANY(%s) AND checked_at > now() - %s * interval '1 second'",
                    (sorted(urls), every_seconds))
        fresh = {row[0] for row in cur.fetchall()}
    return sorted(urls - fresh)


def record_link(conn: Connection, url: str, status: int | None) -> bool:
    """Note what a link answered; True when it broke just now: it answered with a page last time.  (A
    link gone at its first check was never a runbook anyone could read: broken, but no week's news.)"""
    gone = status in GONE
    with conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM rule_links WHERE url = %s FOR UPDATE", (url,))
        row = cur.fetchone()
        broke = gone and row is not None and row[0] is not None and row[0] not in GONE
        cur.execute(
            "INSERT INTO rule_links (url, status, checked_at, broke_at) VALUES (%(url)s, %(status)s, now(),"
            " CASE WHEN %(broke)s THEN now() END) ON CONFLICT (url) DO UPDATE SET status = excluded.status,"
            " checked_at = now(), broke_at = CASE WHEN %(broke)s THEN now() WHEN %(gone)s THEN rule_links.broke_at END",
            {"url": url, "status": status, "broke": broke, "gone": gone})
    return broke


def stored_gone_links(conn: Connection) -> set[str]:
    """The links last found answering 404 or 410."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT url FROM rule_links WHERE status = ANY(%s)", (list(GONE),))
        return {row[0] for row in cur.fetchall()}


def links_broken_between(conn: Connection, start: datetime, end: datetime) -> set[str]:
    with conn, conn.cursor() as cur:
        cur.execute("SELECT url FROM rule_links WHERE broke_at >= %s AND broke_at < %s AND status = ANY(%s)",
                    (start, end, list(GONE)))
        return {row[0] for row in cur.fetchall()}
