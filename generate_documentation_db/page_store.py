"""Writing crawled pages and their runbooks to PostgreSQL, one transaction per page.

Each function takes the connection and commits (or rolls back) its own transaction, so
a database that goes away mid-write leaves the previous version of the page whole.  save_page's
transaction is its one statement, sent in autocommit: call it outside any open transaction.
"""
import json
import re
from dataclasses import dataclass

import psycopg2.errors

from database.connection import Connection, single_statement
from generate_documentation_db.runbook_model import ParsedPage

# Polls in a row a page must answer 404/410 before its runbooks are removed.
GONE_AFTER_POLLS = 2


@dataclass(frozen=True)
class Provenance:
    """Where a page from a git repository came from: the repository (credentials removed), the
    file, and the commit that last changed it, which the change log shows ("changed by ana in 3f2c1e")."""

    source: str
    path: str
    commit_sha: str | None = None
    author: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class StoredPage:
    """What the crawler remembers about a page between polls."""

    id: int
    url: str
    status: str
    etag: str | None
    last_modified: str | None
    content_sha256: str | None
    links: tuple[str, ...]
    missing_polls: int
    parser_version: int = 0
    kind: str = "runbooks"


def known_pages(conn: Connection) -> dict[str, StoredPage]:
    """{url: StoredPage} for every page ever seen (ok, missing or gone)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id, url, status, etag, last_modified, content_sha256, links, missing_polls, parser_version, kind "
            "FROM doc_pages"
        )
        return {row[1]: StoredPage(*row[:6], tuple(row[6]), *row[7:]) for row in cur.fetchall()}


def save_page(conn: Connection, page: ParsedPage, etag: str | None = None, last_modified: str | None = None,
              parser_version: int = 0, provenance: Provenance | None = None) -> str | None:
    """Store a freshly fetched page; return 'added', 'changed' or None (content unchanged).

    Unchanged content (same SHA-256) only refreshes the validators, links and parser
    version, and only when they differ, so a server that rotates its ETag does not make
    the page look edited.  It is one statement, sent as its own transaction: a crawl stores
    pages on one thread while others parse, and each further round trip to PostgreSQL waited
    for them to let go of the interpreter (8-10 ms a page in a crawl, against 3 ms alone).
    """
    runbooks, sections, keys = _runbook_rows(page)
    values = {
        "url": page.url, "title": page.title, "etag": etag, "last_modified": last_modified,
        "sha": page.content_sha256, "links": list(page.links), "parser_version": parser_version,
        "kind": page.kind, "source": provenance and provenance.source, "source_path": provenance and provenance.path,
        "runbooks": json.dumps(runbooks), "sections": json.dumps(sections), "keys": json.dumps(keys),
        "has_runbooks": bool(page.runbooks), "titles": [runbook.title for runbook in page.runbooks],
        "commit_sha": provenance and provenance.commit_sha, "author": provenance and provenance.author,
        "message": provenance and provenance.message}
    arguments = [values[name] for name, _ in _SAVE_PAGE_PARAMETERS]
    with single_statement(conn), conn.cursor() as cur:
        try:
            return _execute_save(cur, arguments)
        except psycopg2.errors.UniqueViolation:
            # Another writer stored this page while the statement waited for its row: the statement's
            # snapshot missed that writer's runbooks.  Once more, in a snapshot that sees them.
            return _execute_save(cur, arguments)


def _execute_save(cur, arguments):
    try:
        cur.execute(_EXECUTE_SAVE_PAGE, arguments)
    except psycopg2.errors.InvalidSqlStatementName:  # this connection's first page, or its first since a reconnect
        cur.execute(_PREPARE_SAVE_PAGE)
        cur.execute(_EXECUTE_SAVE_PAGE, arguments)
    return cur.fetchone()[0]


def record_missing(conn: Connection, url: str) -> str | None:
    """Note a 404/410; on the GONE_AFTER_POLLS-th in a row remove the page's runbooks.

    Returns 'removed' when the runbooks were removed now, else None.  A page already gone
    causes no write, so a dead link costs nothing but its request on each poll.
    """
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, status, missing_polls FROM doc_pages WHERE url = %s FOR UPDATE", (url,))
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO doc_pages (url, status, missing_polls) VALUES (%s, 'gone', %s)",
                        (url, GONE_AFTER_POLLS))
            return None
        page_id, status, missing_polls = row
        if status == "gone":
            return None
        if missing_polls + 1 < GONE_AFTER_POLLS:
            cur.execute("UPDATE doc_pages SET missing_polls = missing_polls + 1, status = 'missing' WHERE id = %s",
                        (page_id,))
            return None
        _remove(cur, page_id, url)
        return "removed"


def remove_page(conn: Connection, url: str, provenance: Provenance | None = None) -> bool:
    """Remove a page's runbooks at once (a file deleted from a repository says so for certain);
    True when there was something to remove."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM doc_pages WHERE url = %s AND status <> 'gone' FOR UPDATE", (url,))
        row = cur.fetchone()
        if row is None:
            return False
        _remove(cur, row[0], url, provenance)
        return True


def _remove(cur, page_id, url, provenance=None):
    cur.execute("DELETE FROM runbooks WHERE page_id = %s RETURNING title", (page_id,))
    titles = [title for (title,) in cur.fetchall()]
    cur.execute("UPDATE doc_pages SET status = 'gone', missing_polls = %s, etag = NULL, last_modified = NULL, "
                "content_sha256 = NULL, links = '{}', changed_at = now() WHERE id = %s",
                (GONE_AFTER_POLLS, page_id))
    _log_change(cur, url, "removed", titles, provenance)


def record_present(conn: Connection, url: str) -> None:
    """A 304 for a page that had one 404: it is back, its runbooks were never removed."""
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE doc_pages SET status = 'ok', missing_polls = 0 WHERE url = %s AND status = 'missing'",
                    (url,))


# What save_page does, in one statement.  `old` is the stored row, locked (a second writer of the same
# page waits for the first, but the rest of its statement sees the snapshot it began with: save_page
# runs it again when that makes it collide with the first writer's runbooks); the same content only
# refreshes the row (`refreshed`), else the page is written (`page`), its old runbooks deleted
# (`gone`, which `rb` reads so that the delete runs first: the new runbooks reuse their positions),
# the new ones inserted with their sections and keys, and the change logged unless it is no news
# (a 404 page or a listing appearing).
_SAVE_PAGE = """
WITH old AS (
    SELECT id, status = 'ok' AS was_ok, status = 'ok' AND content_sha256 = %(sha)s AS same
    FROM doc_pages WHERE url = %(url)s FOR UPDATE
), refreshed AS (
    -- A renamed DOCS_REPO entry claims its unchanged files too, or deleting one would go unseen.
    UPDATE doc_pages SET etag = %(etag)s, last_modified = %(last_modified)s, links = %(links)s,
           parser_version = %(parser_version)s, source = %(source)s, source_path = %(source_path)s, missing_polls = 0
    WHERE id = (SELECT id FROM old WHERE same)
      AND (etag, last_modified, links, parser_version, source, source_path) IS DISTINCT FROM
          (%(etag)s, %(last_modified)s, %(links)s::text[], %(parser_version)s, %(source)s, %(source_path)s)
), page AS (
    INSERT INTO doc_pages (url, title, status, etag, last_modified, content_sha256, links, missing_polls,
                           parser_version, kind, source, source_path)
    SELECT %(url)s, %(title)s, 'ok', %(etag)s, %(last_modified)s, %(sha)s, %(links)s::text[], 0, %(parser_version)s,
           %(kind)s, %(source)s, %(source_path)s
    WHERE NOT EXISTS (SELECT FROM old WHERE same)
    ON CONFLICT (url) DO UPDATE SET title = EXCLUDED.title, status = 'ok', etag = EXCLUDED.etag,
        last_modified = EXCLUDED.last_modified, content_sha256 = EXCLUDED.content_sha256, links = EXCLUDED.links,
        missing_polls = 0, parser_version = EXCLUDED.parser_version, kind = EXCLUDED.kind, source = EXCLUDED.source,
        source_path = EXCLUDED.source_path, changed_at = now()
    RETURNING id
), gone AS (
    DELETE FROM runbooks WHERE page_id = (SELECT id FROM page) RETURNING id
), rb AS (
    INSERT INTO runbooks (page_id, position, title, alert_name, url, anchor, kind, points_to, summary, body_text,
                          mrkdwn)
    SELECT (SELECT id FROM page), r.position, r.title, r.alert_name, r.url, r.anchor, r.kind, r.points_to,
           r.summary, r.body_text, r.mrkdwn
    FROM json_to_recordset(%(runbooks)s::json) AS r(position int, title text, alert_name text, url text,
         anchor text, kind text, points_to text, summary text, body_text text, mrkdwn text)
    WHERE EXISTS (SELECT FROM page) AND (SELECT count(*) FROM gone) >= 0
    RETURNING id, position
), sections AS (
    INSERT INTO runbook_sections (runbook_id, position, level, title, anchor, heading_path, body_text, mrkdwn)
    SELECT rb.id, s.position, s.level, s.title, s.anchor, s.heading_path, s.body_text, s.mrkdwn
    FROM json_to_recordset(%(sections)s::json) AS s(runbook int, position int, level int, title text, anchor text,
         heading_path text[], body_text text, mrkdwn text)
    JOIN rb ON rb.position = s.runbook
), keys AS (
    INSERT INTO runbook_alert_keys (runbook_id, alert_key, name, source)
    SELECT DISTINCT ON (rb.id, k.alert_key) rb.id, k.alert_key, k.name, k.source
    FROM json_to_recordset(%(keys)s::json) AS k(runbook int, alert_key text, name text, source text, spelling int)
    JOIN rb ON rb.position = k.runbook
    ORDER BY rb.id, k.alert_key, k.spelling
), outcome AS (
    SELECT CASE WHEN NOT EXISTS (SELECT FROM page) THEN NULL
                WHEN coalesce((SELECT was_ok FROM old), false) THEN 'changed' ELSE 'added' END AS change
), logged AS (
    INSERT INTO doc_changes (page_url, change, runbooks, commit_sha, author, message)
    SELECT %(url)s, outcome.change, %(titles)s::text[], %(commit_sha)s, %(author)s, %(message)s FROM outcome
    WHERE outcome.change IS NOT NULL AND (%(has_runbooks)s OR outcome.change = 'changed')
)
SELECT change FROM outcome
"""

# _SAVE_PAGE is prepared once per connection: parsing and planning its dozen parts cost about as
# much as running it (0.5 of 0.9 ms a page).
_SAVE_PAGE_PARAMETERS = (
    ("url", "text"), ("title", "text"), ("etag", "text"), ("last_modified", "text"), ("sha", "text"),
    ("links", "text[]"), ("parser_version", "integer"), ("kind", "text"), ("source", "text"),
    ("source_path", "text"), ("runbooks", "json"), ("sections", "json"), ("keys", "json"),
    ("has_runbooks", "boolean"), ("titles", "text[]"), ("commit_sha", "text"), ("author", "text"),
    ("message", "text"))
_POSITION = {name: number for number, (name, _) in enumerate(_SAVE_PAGE_PARAMETERS, start=1)}
_PREPARE_SAVE_PAGE = (f"PREPARE oncall_save_page ({', '.join(kind for _, kind in _SAVE_PAGE_PARAMETERS)}) AS "
                      + re.sub(r"%\((\w+)\)s", lambda found: f"${_POSITION[found.group(1)]}", _SAVE_PAGE))
_EXECUTE_SAVE_PAGE = f"EXECUTE oncall_save_page ({', '.join(['%s'] * len(_SAVE_PAGE_PARAMETERS))})"


def _runbook_rows(page):
    """The page's runbooks, sections and alert keys as rows for _SAVE_PAGE's json_to_recordset."""
    runbooks, sections, keys = [], [], []
    for position, runbook in enumerate(page.runbooks):
        runbooks.append({"position": position, "title": runbook.title, "alert_name": runbook.alert_name,
                         "url": f"{page.url}#{runbook.anchor}" if runbook.anchor else page.url,
                         "anchor": runbook.anchor, "kind": runbook.kind, "points_to": runbook.points_to,
                         "summary": runbook.summary, "body_text": runbook.body_text, "mrkdwn": runbook.mrkdwn})
        sections.extend({"runbook": position, "position": number, "level": section.level, "title": section.title,
                         "anchor": section.anchor, "heading_path": list(section.heading_path),
                         "body_text": section.text, "mrkdwn": section.mrkdwn}
                        for number, section in enumerate(runbook.sections))
        # The first spelling of a key wins, as the page lists them (title, slug, aliases).
        keys.extend({"runbook": position, "alert_key": key.key, "name": key.name, "source": key.source, "spelling": rank}
                    for rank, key in enumerate(runbook.alert_keys))
    return runbooks, sections, keys


def _log_change(cur, url, change, runbook_titles, provenance=None):
    cur.execute("INSERT INTO doc_changes (page_url, change, runbooks, commit_sha, author, message) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (url, change, list(runbook_titles), provenance and provenance.commit_sha,
                 provenance and provenance.author, provenance and provenance.message))
