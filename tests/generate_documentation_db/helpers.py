"""Small generated docs sites the tests rewrite between polls, and a write detector."""
import os
import time

from generate_documentation_db.crawler import CrawlLimits
from generate_documentation_db.docs_monitor import DocsMonitor
from sandbox.docs_server import DocsServer

DOCS_TABLES = ("doc_pages", "runbooks", "runbook_sections", "runbook_alert_keys", "doc_changes")


def runbook_html(alert, steps, links=(), footer="Built 2026-11-29 10:00:00"):
    anchors = "".join(f'<a href="{href}">{text}</a> ' for href, text in links)
    return (f"<!DOCTYPE html><html><head><title>{alert} | Runbooks</title></head><body>"
            f"<nav><a href='/docs/index.html'>Home</a> {anchors}</nav><main><h1>{alert}</h1>"
            f"<h2>Meaning</h2><p>{alert} fires when things go wrong.</p>"
            f"<h2>Mitigation</h2><p>{steps}</p><pre><code>kubectl get pods</code></pre></main>"
            f"<footer>{footer}</footer></body></html>")


class Site:
    """A docs site under <root>/docs/ served on loopback; write() bumps mtimes so validators change."""

    def __init__(self, root):
        self.root = root
        self.server = DocsServer(root).start()
        self.url = self.server.url + "docs/"

    def write(self, rel, html):
        path = self.root / "docs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        path.write_text(html, encoding="utf-8")
        if existed:  # Last-Modified has one-second resolution: make the edit visibly newer
            later = time.time() + 2
            os.utime(path, (later, later))

    def remove(self, rel):
        (self.root / "docs" / rel).unlink()

    def write_runbooks(self, alerts):
        links = "".join(f'<li><a href="{alert}.html">{alert}</a></li>' for alert in alerts)
        self.write("index.html", f"<html><body><main><h1>Runbooks</h1><ul>{links}</ul></main></body></html>")
        for alert in alerts:
            self.write(f"{alert}.html", runbook_html(alert, f"Restart the {alert} service."))


def make_monitor(url, **limits):
    settings = dict(concurrency=4, timeout_seconds=1.0, max_page_bytes=60_000, max_pages=200)
    return DocsMonitor([url], CrawlLimits(**{**settings, **limits}))


def table_snapshot(conn):
    """Every row of the docs tables with its xmin: any insert, update or delete changes it."""
    snapshot = {}
    with conn, conn.cursor() as cur:
        for table in DOCS_TABLES:
            cur.execute(f"SELECT xmin::text, ctid::text FROM {table} ORDER BY ctid")
            snapshot[table] = cur.fetchall()
    return snapshot


def stored_titles(conn):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT title FROM runbooks ORDER BY title")
        return [title for (title,) in cur.fetchall()]
