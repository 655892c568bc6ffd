"""The real documentation: every runbook of the shared corpus, rendered to HTML, crawled and
found again by its exact alert name.  Skipped when `../shared/corpus` is absent."""
import pytest

from generate_documentation_db import runbook_store
from sandbox import corpus_site
from sandbox.docs_server import DocsServer
from tests.generate_documentation_db.helpers import make_monitor

# The manifest's kind of page -> the kind the parser should give its runbook.
EXPECTED_KIND = {"runbook": "runbook", "nonstandard": "runbook", "deprecated": "deprecated", "pointer": "pointer",
                 "moved": "pointer", "todo": "stub"}
pytestmark = pytest.mark.skipif(not corpus_site.manifest(), reason="../shared/corpus is not present")


@pytest.fixture
def corpus_server(tmp_path):
    server = DocsServer(tmp_path).start()
    entries = corpus_site.render_site(tmp_path, base_url=server.url)
    yield server, entries
    server.stop()


def refs_for_page(conn, entry, site_url):
    """The stored runbooks the entry's exact alert name finds on the entry's own page."""
    return [ref for ref in runbook_store.find_by_alert_key(conn, entry.alert_name)
            if ref.url.split("#")[0] == site_url + entry.page_path]


def test_every_corpus_alert_is_stored_and_found_by_its_exact_name(corpus_server, db):
    server, entries = corpus_server
    report = make_monitor(server.url, concurrency=8, timeout_seconds=10, max_page_bytes=2_000_000,
                          max_pages=2000).poll(db)
    assert [fault for fault in report.faults if not fault[1].startswith("HTTP 4")] == []
    found = {entry.page_path: refs_for_page(db, entry, server.url) for entry in entries}
    assert [path for path, refs in found.items() if not refs] == []
    wrong_kind = [(entry.page_path, entry.kind, found[entry.page_path][0].kind) for entry in entries
                  if found[entry.page_path][0].kind != EXPECTED_KIND[entry.kind]]
    assert wrong_kind == []
