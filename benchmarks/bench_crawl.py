"""Docs monitor crawl figures: a full crawl (pages/s, peak RSS) and a re-poll of the unchanged
site (requests, bytes received, rows written), on the rendered shared corpus (when
`../shared/corpus` is present) as plain pages and in the shape MkDocs Material builds (its page
around each runbook, a sidebar listing every page), and on a generated 5,000-page site.

    .venv/bin/python -m benchmarks.bench_crawl [--pages 5000] [--concurrency 8]

The site is served by `sandbox.docs_server` in its own process, so the RSS is the monitor's
alone; PostgreSQL is the embedded server in a temporary directory.
"""
import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg2

from benchmarks.sizes import announce, sized
from database import connection
from generate_documentation_db.crawler import CrawlLimits
from generate_documentation_db.docs_monitor import DocsMonitor
from sandbox import corpus_site
from sandbox.loopback import free_port

DOCS_TABLES = ("doc_pages", "runbooks", "runbook_sections", "runbook_alert_keys", "doc_changes")
SECTIONS_PER_DIR = 100


class PeakRss:
    """Samples this process's RSS every 20 ms; `peak` is the highest seen since start()."""

    def __init__(self):
        self.process, self.peak, self._stop = psutil.Process(), 0, threading.Event()

    def __enter__(self):
        self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)


def generated_page(number):
    alert = f"Service{number:04d}LatencyHigh"
    steps = "".join(f"<li>Check the <code>svc-{number}-{step}</code> dashboard and its error budget.</li>"
                    for step in range(6))
    return (f"<!DOCTYPE html><html><head><title>{alert} | Runbooks</title></head><body>"
            f"<nav><a href='../index.html'>All</a></nav><main><h1>{alert}</h1>"
            f"<p>Latency of service {number} is above its objective for ten minutes.</p>"
            f"<h2>Meaning</h2><p>The p99 latency of service {number} breached its SLO. " + "Context. " * 40 + "</p>"
            f"<h2>Diagnosis</h2><ol>{steps}</ol><h3>Dependencies</h3><table><tr><th>Dependency</th><th>Owner</th></tr>"
            f"<tr><td>db-{number % 17}</td><td>team-{number % 9}</td></tr></table>"
            f"<h2>Mitigation</h2><pre><code>kubectl -n svc-{number} rollout undo deploy/api\n</code></pre></main>"
            f"<footer>Built at {time.time()}</footer></body></html>")


def generate_site(root, pages):
    directories = (pages + SECTIONS_PER_DIR - 1) // SECTIONS_PER_DIR
    for directory in range(directories):
        folder = root / f"area{directory:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        numbers = range(directory * SECTIONS_PER_DIR, min(pages, (directory + 1) * SECTIONS_PER_DIR))
        for number in numbers:
            (folder / f"Service{number:04d}LatencyHigh.html").write_text(generated_page(number))
        links = "".join(f'<li><a href="Service{n:04d}LatencyHigh.html">Service{n:04d}</a></li>' for n in numbers)
        (folder / "index.html").write_text(f"<html><body><main><h1>Area {directory}</h1><ul>{links}</ul></main>"
                                           "</body></html>")
    links = "".join(f'<li><a href="area{d:03d}/">Area {d}</a></li>' for d in range(directories))
    (root / "index.html").write_text(f"<html><body><main><h1>Runbooks</h1><ul>{links}</ul></main></body></html>")


MATERIAL_PAGE = (Path(__file__).resolve().parents[1] / "tests" / "generate_documentation_db" / "generator_sites"
                 / "mkdocs-material" / "k8s" / "KubePodCrashLooping" / "index.html")
_ARTICLE = re.compile(r'(<article class="md-content__inner md-typeset">).*?(</article>)', re.DOTALL)
_NAV_ITEM = re.compile(r'<li class="md-nav__item">.*?</li>', re.DOTALL)


def material_site(root, corpus_root):
    """The rendered corpus again, each page inside MkDocs Material's page (taken from the fixture the
    generator built) with a sidebar entry for every runbook, as Material's navigation lists them."""
    template = MATERIAL_PAGE.read_text(encoding="utf-8")
    pages = sorted(path.relative_to(corpus_root) for path in corpus_root.rglob("*.html") if path.name != "index.html")
    item = _NAV_ITEM.search(template).group(0)
    sidebar = "".join(item.replace('href="../.."', f'href="/{page}"').replace("Team runbooks", page.stem)
                      for page in pages)
    template = template.replace(item, sidebar, 1)
    for page in pages:
        body = (corpus_root / page).read_text(encoding="utf-8")
        article = body[body.index("<article>") + len("<article>"):body.index("</article>")]
        target = root / page
        target.parent.mkdir(parents=True, exist_ok=True)
        found = _ARTICLE.search(template)
        target.write_text(template[:found.end(1)] + article + template[found.start(2):], encoding="utf-8")
    for listing in corpus_root.rglob("index.html"):  # the tables of contents as they are
        (root / listing.relative_to(corpus_root)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(listing, root / listing.relative_to(corpus_root))


def serve(root):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sandbox.docs_server", "--port", str(port), "--root", str(root)],
                              cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the docs server did not start")


def fresh_database(server_url, name):
    return psycopg2.connect(connection.create_migrated_database(server_url, name))


def row_versions(conn):
    """{(table, ctid, xmin)}: an insert, update or delete changes this set."""
    with conn, conn.cursor() as cur:
        versions = set()
        for table in DOCS_TABLES:
            cur.execute(f"SELECT ctid::text, xmin::text FROM {table}")
            versions |= {(table, *row) for row in cur.fetchall()}
    return versions


def measure(label, site_url, conn, limits):
    monitor = DocsMonitor([site_url], limits)
    with PeakRss() as rss:
        started = time.perf_counter()
        first = monitor.poll(conn)
        elapsed = time.perf_counter() - started
    before = row_versions(conn)
    started = time.perf_counter()
    again = monitor.poll(conn)
    repoll_seconds = time.perf_counter() - started
    written = len(before ^ row_versions(conn))
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM runbooks")
        runbooks = cur.fetchone()[0]
    print(f"{label}:")
    print(f"  full crawl:  {first.urls} URLs ({first.added} pages stored, {runbooks} runbooks) in {elapsed:.1f} s "
          f"= {first.urls / elapsed:.0f} pages/s; peak RSS {rss.peak / 2**20:.0f} MiB; "
          f"{first.bytes_received / 2**20:.1f} MiB received")
    print(f"  re-poll of the unchanged site: {again.requests} requests ({again.not_modified} answered 304), "
          f"{again.bytes_received} body bytes received, {written} rows written, {repoll_seconds:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=sized(1000, 5000), help="pages of the generated site "
                        "(default 1000; 5000 with BENCH_SIZES=full)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    announce("bench_crawl", pages=args.pages, concurrency=args.concurrency)
    limits = CrawlLimits(concurrency=args.concurrency, timeout_seconds=10, max_pages=args.pages + 1000)
    print(f"bench_crawl: concurrency {args.concurrency}, Python {sys.version.split()[0]}, "
          f"{psutil.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench_crawl_") as scratch:
        scratch = Path(scratch)
        pg = connection.embedded_server(scratch / "postgres")
        sites = []
        if corpus_site.manifest():
            entries = corpus_site.render_site(scratch / "corpus")
            sites.append((f"rendered corpus ({len(entries)} runbook pages)", scratch / "corpus", "bench_corpus"))
            material_site(scratch / "material", scratch / "corpus")
            sites.append((f"corpus in MkDocs Material's shape ({len(entries)} runbook pages)", scratch / "material",
                          "bench_material"))
        else:
            print("rendered corpus: skipped (../shared/corpus is not present)")
        generate_site(scratch / "generated", args.pages)
        sites.append((f"generated site ({args.pages} runbook pages)", scratch / "generated", "bench_generated"))
        for label, root, database in sites:
            server, url = serve(root)
            conn = fresh_database(pg.get_uri(), database)
            try:
                measure(label, url, conn, limits)
            finally:
                conn.close()
                server.terminate()
                server.wait(10)


if __name__ == "__main__":
    main()
