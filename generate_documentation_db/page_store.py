"""Writing crawled pages and their runbooks to PostgreSQL, one transaction per page.

Each function takes the connection and commits (or rolls back) its own transaction, so
a database that goes away mid-write leaves the previous version of the page whole.
"""
from dataclasses import dataclass

from psycopg2.extras import execute_values

from database.connection import Connection
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


def known_pages(conn: Connection) -> dict[str, StoredPage]:
    """{url: StoredPage} for every page ever seen (ok, missing or gone)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id, url, status, etag, last_modified, content_sha256, links, missing_polls, parser_version "
            "FROM doc_pages"
        )
        return {row[1]: StoredPage(*row[:6], tuple(row[6]), *row[7:]) for row in cur.fetchall()}


def save_page(conn: Connection, page: ParsedPage, etag: str | None = None, last_modified: str | None = None,
              parser_version: int = 0, provenance: Provenance | None = None) -> str | None:
    """Store a freshly fetched page; return 'added', 'changed' or None (content unchanged).

    Unchanged content (same SHA-256) only refreshes the validators, links and parser
    version, and only when they differ, so a server that rotates its ETag does not make
    the page look edited.
    """
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, status, content_sha256, etag, last_modified, links, parser_version FROM doc_pages "
                    "WHERE url = %s FOR UPDATE", (page.url,))
        row = cur.fetchone()
        if row and row[1] == "ok" and row[2] == page.content_sha256:
            if (row[3], row[4], tuple(row[5]), row[6]) != (etag, last_modified, tuple(page.links), parser_version):
                cur.execute("UPDATE doc_pages SET etag = %s, last_modified = %s, links = %s, parser_version = %s, "
                            "missing_polls = 0 WHERE id = %s",
                            (etag, last_modified, list(page.links), parser_version, row[0]))
            return None
        change = "changed" if row and row[1] == "ok" else "added"
        page_id = _upsert_page(cur, page, etag, last_modified, parser_version, provenance)
        cur.execute("DELETE FROM runbooks WHERE page_id = %s", (page_id,))
        for position, runbook in enumerate(page.runbooks):
            _insert_runbook(cur, page_id, position, page.url, runbook)
        if page.runbooks or (row and row[1] == "ok"):  # a 404 page or a listing appearing is no news
            _log_change(cur, page.url, change, [runbook.title for runbook in page.runbooks], provenance)
        return change


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


def _upsert_page(cur, page, etag, last_modified, parser_version, provenance):
    cur.execute(
        "INSERT INTO doc_pages (url, title, status, etag, last_modified, content_sha256, links, missing_polls, "
        " parser_version, kind, source, source_path) VALUES (%s, %s, 'ok', %s, %s, %s, %s, 0, %s, %s, %s, %s) "
        "ON CONFLICT (url) DO UPDATE SET title = EXCLUDED.title, status = 'ok', etag = EXCLUDED.etag, "
        " last_modified = EXCLUDED.last_modified, content_sha256 = EXCLUDED.content_sha256, "
        " links = EXCLUDED.links, missing_polls = 0, parser_version = EXCLUDED.parser_version, "
        " kind = EXCLUDED.kind, source = EXCLUDED.source, source_path = EXCLUDED.source_path, changed_at = now() "
        "RETURNING id",
        (page.url, page.title, etag, last_modified, page.content_sha256, list(page.links), parser_version,
         page.kind, provenance and provenance.source, provenance and provenance.path),
    )
    return cur.fetchone()[0]


def _insert_runbook(cur, page_id, position, page_url, runbook):
    headings = " ".join(" ".join(section.heading_path[1:]) for section in runbook.sections)
    names = " ".join(key.name for key in runbook.alert_keys)
    url = f"{page_url}#{runbook.anchor}" if runbook.anchor else page_url
    cur.execute(
        "INSERT INTO runbooks (page_id, position, title, alert_name, url, anchor, kind, points_to, summary, "
        " body_text, mrkdwn, search_vector) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
        " setweight(docs_tsvector(%s), 'A') || setweight(docs_tsvector(%s), 'B') "
        " || setweight(docs_tsvector(%s), 'C')) RETURNING id",
        (page_id, position, runbook.title, runbook.alert_name, url, runbook.anchor, runbook.kind,
         runbook.points_to, runbook.summary, runbook.body_text, runbook.mrkdwn,
         runbook.title, f"{headings} {names}", runbook.body_text),
    )
    runbook_id = cur.fetchone()[0]
    _insert_sections(cur, runbook_id, runbook.sections)
    execute_values(cur, "INSERT INTO runbook_alert_keys (runbook_id, alert_key, name, source) VALUES %s "
                        "ON CONFLICT DO NOTHING",
                   [(runbook_id, key.key, key.name, key.source) for key in runbook.alert_keys])


def _insert_sections(cur, runbook_id, sections):
    rows = [(runbook_id, position, section.level, section.title, section.anchor, list(section.heading_path),
             section.text, section.mrkdwn) for position, section in enumerate(sections)]
    execute_values(cur, "INSERT INTO runbook_sections (runbook_id, position, level, title, anchor, heading_path,"
                        " body_text, mrkdwn) VALUES %s", rows)


def _log_change(cur, url, change, runbook_titles, provenance=None):
    cur.execute("INSERT INTO doc_changes (page_url, change, runbooks, commit_sha, author, message) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (url, change, list(runbook_titles), provenance and provenance.commit_sha,
                 provenance and provenance.author, provenance and provenance.message))
