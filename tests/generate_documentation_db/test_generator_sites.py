"""Pages in the shapes real docs generators give them (generator_sites/README.md says how each was
made): runbooks are found with their sections and anchors, and nothing else is taken for one."""
import gzip
import shutil
from pathlib import Path

import pytest

from generate_documentation_db import crawler, runbook_store
from generate_documentation_db.page_parser import parse_page
from generate_documentation_db.site_scope import parse_sitemap
from sandbox.docs_server import DocsServer
from tests.generate_documentation_db.helpers import make_monitor, stored_titles

SITES = Path(__file__).parent / "generator_sites"
BUILT_AT = "http://127.0.0.1:8000/"
RUNBOOK_SECTIONS = ["Meaning", "Impact", "Diagnosis", "Mitigation"]

# (site, page, kind, [(alert name, [(section, anchor)...])] for a page of runbooks)
PAGES = [
    ("mkdocs-material", "k8s/KubePodCrashLooping/index.html", "runbooks",
     [("KubePodCrashLooping", [(name, name.lower()) for name in RUNBOOK_SECTIONS])]),
    ("mkdocs-material", "database/disk-full/index.html", "runbooks", [("disk-full", None)]),
    ("mkdocs-material", "404.html", "error", []),
    ("mkdocs-material", "about/index.html", "other", []),
    ("mkdocs-material", "index.html", "other", []),
    ("mkdocs", "k8s/KubePodCrashLooping/index.html", "runbooks",
     [("KubePodCrashLooping", [(name, name.lower()) for name in RUNBOOK_SECTIONS])]),
    ("mkdocs", "k8s/KubeJobFailed/index.html", "runbooks", [("KubeJobFailed", None)]),
    ("mkdocs", "404.html", "error", []),
    ("mkdocs", "about/index.html", "other", []),
    ("sphinx", "k8s/KubePodCrashLooping.html", "runbooks",
     [("KubePodCrashLooping", [(name, name.lower()) for name in RUNBOOK_SECTIONS])]),
    ("sphinx", "database/disk-full.html", "runbooks", [("disk-full", None)]),
    ("sphinx", "search.html", "navigation", []),
    ("sphinx", "genindex.html", "other", []),
    ("sphinx", "about.html", "other", []),
    ("hugo-docsy", "docs/k8s/kubepodcrashlooping/index.html", "runbooks",
     [("KubePodCrashLooping", [("Meaning", "meaning"), ("Diagnosis", "diagnosis"), ("Mitigation", "mitigation")])]),
    ("hugo-docsy", "docs/k8s/index.html", "other", []),
    ("hugo-docsy", "tags/kubernetes/index.html", "index", []),
    ("hugo-docsy", "404.html", "error", []),
    ("docusaurus", "docs/k8s/KubePodCrashLooping/index.html", "runbooks",
     [("KubePodCrashLooping", [("Meaning", "meaning"), ("Diagnosis", "diagnosis"), ("Mitigation", "mitigation")])]),
    ("docusaurus", "docs/category/kubernetes/index.html", "index", []),
    ("docusaurus", "search/index.html", "navigation", []),
    ("docusaurus", "404.html", "error", []),
    (".", "python-http-server-listing.html", "listing", []),
    (".", "nginx-autoindex.html", "listing", []),
]


@pytest.mark.parametrize("site, page, kind, runbooks", PAGES, ids=[f"{site}/{page}" for site, page, *_ in PAGES])
def test_each_generator_page_is_what_it_is(site, page, kind, runbooks):
    parsed = parse_page((SITES / site / page).read_bytes(), BUILT_AT + page.removesuffix("index.html"))
    assert parsed.kind == kind
    assert [runbook.alert_keys[0].key != "" and _key_name(runbook) for runbook in parsed.runbooks] == \
        [name for name, _ in runbooks]
    for runbook, (_, sections) in zip(parsed.runbooks, runbooks):
        steps = [(section.title, section.anchor) for section in runbook.sections if section.level > 1]
        assert sections is None or steps == sections
        assert "Edit this page" not in runbook.mrkdwn and "Was this page helpful" not in runbook.mrkdwn
        assert "restarts" in runbook.body_text or "full" in runbook.body_text or "retries" in runbook.body_text


def _key_name(runbook):
    """The spelling of the name the runbook is found by: its identifier, else its URL's name."""
    return runbook.alert_name if runbook.alert_name and " " not in runbook.alert_name else runbook.alert_keys[-1].name


def test_gzipped_sitemaps_and_sitemap_indexes_are_read():
    pages, nested = parse_sitemap((SITES / "hugo-docsy" / "sitemap.xml").read_bytes())
    assert (pages, nested) == ([], [BUILT_AT + "sitemap-en.xml.gz"])
    pages, _ = parse_sitemap((SITES / "hugo-docsy" / "sitemap-en.xml.gz").read_bytes())
    assert pages == [BUILT_AT + "docs/k8s/kubepodcrashlooping/", BUILT_AT + "docs/k8s/"]
    plain, _ = parse_sitemap((SITES / "mkdocs-material" / "sitemap.xml").read_bytes())
    zipped, _ = parse_sitemap((SITES / "mkdocs-material" / "sitemap.xml.gz").read_bytes())
    assert plain == zipped and BUILT_AT + "k8s/KubePodCrashLooping/" in plain
    assert parse_sitemap(gzip.compress(b"not xml")) == ([], []) and parse_sitemap(b"\x1f\x8bbroken") == ([], [])


@pytest.fixture
def served(tmp_path):
    """A generator's site served on loopback, its sitemaps rewritten to the server's address."""
    servers = []

    def serve(site):
        root = tmp_path / site
        shutil.copytree(SITES / site, root)
        server = DocsServer(root).start()
        servers.append(server)
        for sitemap in root.rglob("sitemap*.xml*"):
            data = sitemap.read_bytes()
            zipped = data[:2] == b"\x1f\x8b"
            text = (gzip.decompress(data) if zipped else data).replace(BUILT_AT.encode(), server.url.encode())
            sitemap.write_bytes(gzip.compress(text) if zipped else text)
        return server

    yield serve
    for server in servers:
        server.stop()


def test_a_crawl_of_a_material_site_stores_its_runbooks_and_keeps_the_rest_apart(served, db):
    server = served("mkdocs-material")
    report = make_monitor(server.url).poll(db)
    assert report.faults == []
    assert stored_titles(db) == ["Disk full on a database host", "KubeJobFailed", "KubePodCrashLooping"]
    assert {(kind, url.removeprefix(server.url)) for _, kind, url in runbook_store.pages_not_runbooks(db)} == {
        ("other", ""), ("other", "about/")}


def test_a_page_only_a_gzipped_sitemap_behind_an_index_lists_is_crawled(served, db):
    server = served("hugo-docsy")
    make_monitor(server.url + "docs/k8s/").poll(db)
    assert stored_titles(db) == ["Kube Pod Crash Looping"]
    requested = {request.path for request in server.take_requests()}
    assert {"/sitemap.xml", "/sitemap-en.xml.gz"} <= requested


def test_requests_ask_for_compressed_responses():
    session = crawler.make_session(crawler.CrawlLimits())
    assert "gzip" in session.headers["Accept-Encoding"]
