"""One poll of a git repository of runbooks: what a commit changed is parsed and stored, nothing else.

Each poll fetches the branch.  The same tip commit as last time means no parsing and no
writes.  A new tip (a push, or a force-push that rewrote history) is compared file by file
with what is stored, by blob: only changed markdown files are read and parsed, each stored in
its own transaction with the commit that last changed it, its author and subject; a file gone
from the tree is removed at once (git says so for certain, unlike a 404).  A fetch that fails
changes nothing: the last good runbooks stay.
"""
import logging
from dataclasses import dataclass
from urllib.parse import quote

from database.connection import Connection
from database.locks import Lock, try_lock, unlock
from generate_documentation_db import page_store
from generate_documentation_db.docs_monitor import PollReport
from generate_documentation_db.git_source import Commit, GitError, GitRepository
from generate_documentation_db.markdown_pages import is_markdown_path, markdown_page
from generate_documentation_db.page_parser import PARSER_VERSION
from generate_documentation_db.page_store import Provenance

log = logging.getLogger(__name__)
ETAG_PREFIX = "git:"  # a repository file's validator is its blob id


@dataclass(frozen=True)
class StoredFile:
    url: str
    blob: str | None
    status: str
    parser_version: int


class RepoMonitor:
    """Keeps the runbook tables in step with one repository; `web_url` turns a path into the
    address people open (``{path}`` and ``{page}``, the path without its extension, are filled in;
    otherwise the path is appended)."""

    def __init__(self, repository: GitRepository, web_url: str) -> None:
        self.repository = repository
        self.web_url = web_url
        self.start_urls = [f"{repository.name} ({repository.branch or 'default branch'})"]

    def file_url(self, path: str) -> str:
        path = quote(path)  # a space, '#' or 'é' in a file name must not break the link
        if "{path}" in self.web_url or "{page}" in self.web_url:
            page = path.rsplit(".", 1)[0]
            return self.web_url.replace("{path}", path).replace("{page}", page)
        return self.web_url + path

    def poll(self, conn: Connection) -> PollReport:
        if not try_lock(conn, Lock.DOCS_REPO):
            return PollReport(claimed=False)
        try:
            return self._poll_claimed(conn)
        finally:
            unlock(conn, Lock.DOCS_REPO)

    def _poll_claimed(self, conn):
        report = PollReport()
        source = self.repository.source
        report.requests = 1
        try:
            tip = self.repository.fetch()
        except GitError as error:
            log.warning("%s Keeping the last good runbooks; retrying next poll.", error)
            report.faults.append((source, str(error)))
            return report
        stored = stored_files(conn, source)
        if last_read_commit(conn, source) == tip and all(
                file.parser_version == PARSER_VERSION for file in stored.values() if file.status != "gone"):
            report.not_modified = sum(file.status != "gone" for file in stored.values())
            report.urls = report.not_modified
            return report
        try:
            self._store_changes(conn, tip, stored, report)
        except GitError as error:
            log.warning("%s Keeping the last good runbooks; retrying next poll.", error)
            report.faults.append((source, str(error)))
            return report
        if not report.faults:
            record_read_commit(conn, source, self.repository.branch or "", tip)
        return report

    def _store_changes(self, conn, tip, stored, report):
        source = self.repository.source
        files = {path: blob for path, blob in self.repository.files(tip).items() if is_markdown_path(path)}
        report.urls = len(files)
        todo = [path for path, blob in files.items() if _needs_parse(stored.get(path), blob, self.file_url(path))]
        gone = [path for path, file in stored.items() if file.status != "gone" and path not in files]
        moved = [stored[path].url for path in todo if path in stored and stored[path].url != self.file_url(path)]
        report.unchanged = len(files) - len(todo)
        commits = self.repository.last_changes(tip, set(todo) | set(gone)) if todo or gone else {}
        contents = self.repository.read(sorted({files[path] for path in todo}))
        for path in todo:
            text = contents[files[path]].decode("utf-8", errors="replace")
            try:
                page = markdown_page(text, self.file_url(path))
            except Exception:  # a parser bug on one file must not stop the poll or lose data
                log.exception("Could not parse %s in %s; keeping its last good version.", path, source)
                report.faults.append((path, "unparseable"))
                continue
            change = page_store.save_page(conn, page, ETAG_PREFIX + files[path], None, PARSER_VERSION,
                                          _provenance(source, path, commits.get(path)))
            if change is None:
                report.unchanged += 1
            else:
                setattr(report, change, getattr(report, change) + 1)
                log.log(logging.INFO if change == "changed" else logging.DEBUG, "%s %s in %s%s.", path, change,
                        source, _by(commits.get(path)))
        for path in gone:
            if page_store.remove_page(conn, stored[path].url, _provenance(source, path, commits.get(path))):
                report.removed += 1
                log.info("%s was deleted from %s%s; its runbooks are removed.", path, source, _by(commits.get(path)))
        for url in moved:  # DOCS_REPO_WEB_URL changed: the old addresses go, nothing is lost
            page_store.remove_page(conn, url, _provenance(source, "", None))


def _needs_parse(stored, blob, url):
    return (stored is None or stored.status == "gone" or stored.blob != blob or stored.url != url
            or stored.parser_version != PARSER_VERSION)


def _provenance(source, path, commit: Commit | None):
    if commit is None:
        return Provenance(source, path)
    return Provenance(source, path, commit.sha, commit.author, commit.subject)


def _by(commit):
    return f" (by {commit.author} in {commit.sha[:7]}: {commit.subject})" if commit else ""


def stored_files(conn: Connection, source: str) -> dict[str, StoredFile]:
    """{path: StoredFile} of the repository's files as stored."""
    with conn, conn.cursor() as cur:
        # A path's page that is not gone wins over an older address of it (DOCS_REPO_WEB_URL changed).
        cur.execute("SELECT source_path, url, etag, status, parser_version FROM doc_pages WHERE source = %s "
                    "AND source_path <> '' ORDER BY status <> 'gone', changed_at", (source,))
        return {path: StoredFile(url, (etag or "").removeprefix(ETAG_PREFIX) or None, status, version)
                for path, url, etag, status, version in cur.fetchall()}


def last_read_commit(conn: Connection, source: str) -> str | None:
    with conn, conn.cursor() as cur:
        cur.execute("SELECT commit_sha FROM docs_repo_state WHERE source = %s", (source,))
        row = cur.fetchone()
        return row[0] if row else None


def record_read_commit(conn: Connection, source: str, branch: str, commit: str) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO docs_repo_state (source, branch, commit_sha) VALUES (%s, %s, %s) "
                    "ON CONFLICT (source) DO UPDATE SET branch = EXCLUDED.branch, commit_sha = EXCLUDED.commit_sha, "
                    "read_at = now()", (source, branch, commit))
