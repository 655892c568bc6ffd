"""A knowledge base crawled from the shared corpus, the way the docs monitor builds a team's.

    .venv/bin/python -m benchmarks.corpus_knowledge_base DATA_DIR

renders `../shared/corpus` as a site (`sandbox.corpus_site`), serves it on 127.0.0.1 and crawls it
into the embedded PostgreSQL under DATA_DIR, so the console can be scored on it:

    DATA_DIR=DATA_DIR python3 ../shared/matching-dev/evaluate.py -- .venv/bin/python slack_bot.py --console --json

`crawled_corpus(directory)` does the same for benchmarks, yielding a connection.
"""
import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_database import fresh_database
from generate_documentation_db.docs_monitor import DocsMonitor
from sandbox import corpus_site
from sandbox.docs_server import DocsServer


def crawl_corpus_into(conn, site_dir):
    """Render the corpus into `site_dir`, serve it and crawl it into `conn`; returns the PollReport."""
    server = DocsServer(site_dir).start()
    try:
        corpus_site.render_site(site_dir, base_url=server.url)
        return DocsMonitor([server.url + "index.html"]).poll(conn)
    finally:
        server.stop()


@contextlib.contextmanager
def crawled_corpus(directory):
    """A migrated connection on an embedded server under `directory`, holding the crawled corpus."""
    with fresh_database(directory) as conn, tempfile.TemporaryDirectory() as site_dir:
        crawl_corpus_into(conn, site_dir)
        yield conn


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus_knowledge_base",
                                     description="Crawl the shared runbook corpus into DATA_DIR's embedded PostgreSQL.")
    parser.add_argument("data_dir", help="the DATA_DIR the processes will use")
    args = parser.parse_args(argv)
    if not corpus_site.manifest():
        print("The shared corpus (../shared/corpus) is absent; nothing to crawl.", file=sys.stderr)
        return 1
    with fresh_database(Path(args.data_dir)) as conn:
        # The corpus is served on a new port each time, so a second crawl adds a second copy of every
        # runbook under other URLs, and each alert's twin then competes with it.
        earlier = _runbook_count(conn)
        if earlier:
            print(f"{args.data_dir} already holds {earlier} runbooks from an earlier crawl; remove it or name an "
                  f"empty directory.", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory() as site_dir:
            crawl_corpus_into(conn, site_dir)
        print(f"Crawled the corpus into {args.data_dir}: {_runbook_count(conn)} runbooks.")
    return 0


def _runbook_count(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM runbooks")
        return cur.fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
