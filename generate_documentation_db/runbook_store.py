"""Reading runbooks back: lookup by alert name, whole runbooks, the lists the CLI prints.

Every function takes an open psycopg2 connection, runs read-only queries in their own transaction, and returns
plain dataclasses.  None of them write.  Ranking runbooks against an alert's text is the matcher's
job, over an index of its own (`matching.knowledge_base`).
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from database.connection import Connection
from generate_documentation_db.alert_keys import canonical_key

# Non-deprecated, real runbooks before pointers and stubs; title keys before slugs and aliases.
_KIND_ORDER = "CASE r.kind WHEN 'runbook' THEN 0 WHEN 'stub' THEN 1 WHEN 'pointer' THEN 2 ELSE 3 END"
_SOURCE_ORDER = "CASE k.source WHEN 'title' THEN 0 WHEN 'slug' THEN 1 ELSE 2 END"
# "ana in 3f2c1e: raise the threshold" for a change that came from a commit, NULL for the docs site.
CHANGED_BY_SQL = ("CASE WHEN commit_sha IS NOT NULL THEN coalesce(author, 'someone') || ' in ' || left(commit_sha, 7)"
                  " || coalesce(': ' || nullif(message, ''), '') END")
_RUNBOOK_COLUMNS = "r.id, r.title, r.alert_name, r.url, r.kind, r.points_to, r.summary"


@dataclass(frozen=True)
class RunbookRef:
    """A runbook found by alert key.

    `kind` is 'runbook', 'stub' (no steps yet), 'pointer' (only points at `points_to`)
    or 'deprecated'; `matched_name` is the spelling whose key matched and
    `key_source` where it came from ('title', 'slug' of the URL/file name, or 'alias').
    """

    runbook_id: int
    title: str
    alert_name: str | None
    url: str
    kind: str
    points_to: str | None
    summary: str
    matched_name: str
    key_source: str


@dataclass(frozen=True)
class StoredSection:
    title: str
    anchor: str | None
    level: int
    heading_path: tuple[str, ...]
    text: str
    mrkdwn: str


@dataclass(frozen=True)
class StoredRunbook:
    """A whole runbook: what a reply is built from.  `mrkdwn` is the entire runbook in
    Slack mrkdwn; `sections` carry each heading's own text and mrkdwn."""

    runbook_id: int
    title: str
    alert_name: str | None
    url: str
    kind: str
    points_to: str | None
    summary: str
    page_url: str
    mrkdwn: str
    alert_keys: tuple[tuple[str, str, str], ...]  # (key, name, source)
    sections: tuple[StoredSection, ...]
    page_changed_at: datetime | None = None  # when its page last changed, as the docs monitor saw it


def find_by_alert_key(conn: Connection, name: str) -> list[RunbookRef]:
    """Runbooks whose title, URL slug or stated alias has the same key as `name`.

    `name` may be any spelling (``KubePodCrashLooping``, ``kube_pod_crash_looping``,
    ``Kube Pod Crash Looping``) or already a canonical key.  Returns [RunbookRef], real
    runbooks first (then stubs, pointers, deprecated), title matches before slug and alias
    matches; [] when nothing matches.  An alert documented in two places returns both.
    """
    return find_by_alert_keys(conn, [name]).get(canonical_key(name), [])


def find_by_alert_keys(conn: Connection, names: Iterable[str]) -> dict[str, list[RunbookRef]]:
    """Batch form of `find_by_alert_key`: {canonical_key: [RunbookRef]} for the keys that match.

    Handy for trying every run of consecutive words of a human alert title at once.
    """
    keys = sorted({canonical_key(name) for name in names} - {""})
    if not keys:
        return {}
    with conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT ON (k.alert_key, r.id) k.alert_key, {_RUNBOOK_COLUMNS}, k.name, k.source, "
            f" {_KIND_ORDER} AS kind_order, {_SOURCE_ORDER} AS source_order "
            "FROM runbook_alert_keys k JOIN runbooks r ON r.id = k.runbook_id "
            "WHERE k.alert_key = ANY(%s) ORDER BY k.alert_key, r.id, source_order",
            (keys,),
        )
        rows = sorted(cur.fetchall(), key=lambda row: (row[10], row[11], row[1]))
    found = {}
    for row in rows:
        found.setdefault(row[0], []).append(RunbookRef(*row[1:10]))
    return found


def runbook_by_id(conn: Connection, runbook_id: int) -> StoredRunbook | None:
    """The whole runbook with its sections, alert keys and its page's last change, or None when it no
    longer exists (a re-crawl replaces a changed page's runbooks with new ids).  One statement: the bot
    reads one for every reply."""
    with conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT {_RUNBOOK_COLUMNS}, p.url, r.mrkdwn,"
            " ARRAY(SELECT ARRAY[k.alert_key, k.name, k.source] FROM runbook_alert_keys k WHERE k.runbook_id = r.id"
            "       ORDER BY k.source, k.alert_key),"
            " (SELECT json_agg(json_build_array(s.title, s.anchor, s.level, s.heading_path, s.body_text, s.mrkdwn)"
            "       ORDER BY s.position) FROM runbook_sections s WHERE s.runbook_id = r.id),"
            " p.changed_at "
            "FROM runbooks r JOIN doc_pages p ON p.id = r.page_id WHERE r.id = %s", (runbook_id,))
        row = cur.fetchone()
    if row is None:
        return None
    *columns, keys, sections, changed_at = row
    return StoredRunbook(*columns, alert_keys=tuple(tuple(key) for key in keys),
                         sections=tuple(StoredSection(s[0], s[1], s[2], tuple(s[3]), s[4], s[5]) for s in sections or ()),
                         page_changed_at=changed_at)


def list_runbooks(conn: Connection) -> list[tuple[str, str | None, str, str]]:
    """[(title, alert_name, kind, url)] of every stored runbook, by title."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT title, alert_name, kind, url FROM runbooks ORDER BY lower(title), url")
        return cur.fetchall()


def pages_not_runbooks(conn: Connection) -> list[tuple[str, str, str]]:
    """[(title, kind, url)] of the stored pages that are not runbooks (page_kinds.NOT_RUNBOOK_KINDS)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(title, ''), kind, url FROM doc_pages WHERE status <> 'gone' AND kind <> 'runbooks' "
                    "ORDER BY kind, url")
        return cur.fetchall()


def recent_changes(conn: Connection, limit: int = 50) -> list[tuple[datetime, str, str, tuple[str, ...], str | None]]:
    """[(changed_at, change, page_url, runbook_titles, changed_by)] newest first; `changed_by` says
    who changed a repository's file ("ana in 3f2c1e: raise the threshold"), None for the site."""
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT changed_at, change, page_url, runbooks, {CHANGED_BY_SQL} FROM doc_changes "
                    "ORDER BY changed_at DESC, id DESC LIMIT %s", (limit,))
        return [(row[0], row[1], row[2], tuple(row[3]), row[4]) for row in cur.fetchall()]
