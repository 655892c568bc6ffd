"""The docs monitor against a real local site whose files the tests rewrite, on a real database."""
import psycopg2

from database.locks import Lock
from generate_documentation_db import runbook_store
from tests.generate_documentation_db.helpers import make_monitor, runbook_html, stored_titles, table_snapshot

ALERTS = ["DiskFull", "EtcdNoLeader", "HighErrorRate5xx", "KubePodCrashLooping"]


def page_requests(site):
    """The requests the last poll made for pages (sitemap probes left out)."""
    return [request for request in site.server.take_requests() if not request.path.endswith("sitemap.xml")]


def test_the_first_poll_stores_every_runbook_and_logs_it_as_added(site, db):
    site.write_runbooks(ALERTS)
    report = make_monitor(site.url).poll(db)
    assert (report.added, report.faults) == (len(ALERTS) + 1, [])  # the index page holds no runbook
    assert stored_titles(db) == ALERTS
    assert runbook_store.find_by_alert_key(db, "kube_pod_crash_looping")[0].url == site.url + "KubePodCrashLooping.html"
    assert {change[1] for change in runbook_store.recent_changes(db)} == {"added"}


def test_an_unchanged_site_gets_only_conditional_requests_and_no_writes(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    site.server.take_requests()
    before = table_snapshot(db)
    report = monitor.poll(db)
    requests = page_requests(site)
    assert len(requests) == len(ALERTS) + 1
    assert all(request.conditional and request.status == 304 for request in requests)
    assert table_snapshot(db) == before
    assert (report.added, report.changed, report.removed, report.not_modified) == (0, 0, 0, len(ALERTS) + 1)


def test_an_edit_is_detected_and_only_that_page_is_re_parsed(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    etcd_before = runbook_store.find_by_alert_key(db, "EtcdNoLeader")[0].runbook_id
    disk_before = runbook_store.find_by_alert_key(db, "DiskFull")[0].runbook_id
    site.write("DiskFull.html", runbook_html("DiskFull", "Vacuum the journal: journalctl --vacuum-size=500M."))
    site.server.take_requests()
    report = monitor.poll(db)
    full_downloads = [request.path for request in page_requests(site) if request.status == 200]
    assert full_downloads == ["/docs/DiskFull.html"]
    assert (report.changed, report.not_modified) == (1, len(ALERTS))
    assert runbook_store.find_by_alert_key(db, "EtcdNoLeader")[0].runbook_id == etcd_before
    disk_after = runbook_store.find_by_alert_key(db, "DiskFull")[0]
    assert disk_after.runbook_id != disk_before
    assert "vacuum-size" in runbook_store.runbook_by_id(db, disk_after.runbook_id).mrkdwn
    assert runbook_store.recent_changes(db)[0][1:] == ("changed", site.url + "DiskFull.html", ("DiskFull",), None)


def test_a_new_footer_timestamp_is_not_a_change(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    site.write("DiskFull.html", runbook_html("DiskFull", "Restart the DiskFull service.", footer="Built 2026-11-30"))
    report = monitor.poll(db)
    assert (report.changed, report.unchanged) == (0, 1)
    assert [change[1] for change in runbook_store.recent_changes(db)].count("changed") == 0


def test_a_page_gone_twice_loses_its_runbooks_and_a_newly_linked_page_is_added(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    site.remove("EtcdNoLeader.html")
    site.write("KubePodCrashLooping.html", runbook_html("KubePodCrashLooping", "Roll back.",
                                                        links=[("NodeNotReady.html", "NodeNotReady")]))
    site.write("NodeNotReady.html", runbook_html("NodeNotReady", "Drain the node."))
    first = monitor.poll(db)
    assert (first.removed, first.added, first.changed) == (0, 1, 1)
    assert "EtcdNoLeader" in stored_titles(db)  # one 404 may be a deploy in progress
    second = monitor.poll(db)
    assert second.removed == 1
    assert stored_titles(db) == ["DiskFull", "HighErrorRate5xx", "KubePodCrashLooping", "NodeNotReady"]
    assert runbook_store.recent_changes(db)[0][1:] == ("removed", site.url + "EtcdNoLeader.html", ("EtcdNoLeader",), None)


def test_a_page_back_after_one_404_keeps_its_runbooks(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    page = (site.root / "docs" / "DiskFull.html")
    saved = page.read_bytes()
    page.unlink()
    monitor.poll(db)
    page.write_bytes(saved)
    monitor.poll(db)
    monitor.poll(db)
    assert "DiskFull" in stored_titles(db)


def test_pages_listed_only_in_the_sitemap_are_crawled(site, db):
    site.write_runbooks(ALERTS)
    site.write("Orphan.html", runbook_html("OrphanAlert", "Nobody links here."))
    site.write("sitemap.xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                              f'<url><loc>{site.url}Orphan.html</loc></url></urlset>')
    make_monitor(site.url).poll(db)
    assert "OrphanAlert" in stored_titles(db)


def test_an_out_of_scope_redirect_is_not_followed(site, db, tmp_path_factory):
    from sandbox.docs_server import DocsServer, Fault
    elsewhere = DocsServer(tmp_path_factory.mktemp("elsewhere")).start()
    try:
        site.write_runbooks(["DiskFull"])
        site.write("index.html", '<html><body><main><a href="moved.html">m</a><a href="up.html">u</a>'
                                 '<a href="DiskFull.html">d</a><a href="a.html">a</a><a href="b.html">b</a></main>'
                                 '</body></html>')
        site.server.faults["/docs/moved.html"] = Fault("redirect", elsewhere.url + "docs/x.html")
        site.server.faults["/docs/up.html"] = Fault("redirect", site.server.url + "private/x.html")
        report = make_monitor(site.url).poll(db)
        assert elsewhere.take_requests() == []
        assert "/private/x.html" not in [request.path for request in site.server.take_requests()]
        assert sorted(url for url, _ in report.faults) == [site.url + "moved.html", site.url + "up.html"]
    finally:
        elsewhere.stop()


def test_link_loops_and_redirect_loops_end(site, db):
    from sandbox.docs_server import Fault
    site.write("index.html", runbook_html("LoopA", "a", links=[("b.html", "b"), ("index.html?again=1", "self")]))
    site.write("b.html", runbook_html("LoopB", "b", links=[("index.html", "a"), ("c.html", "c")]))
    site.server.faults["/docs/c.html"] = Fault("redirect", "/docs/d.html")
    site.server.faults["/docs/d.html"] = Fault("redirect", "/docs/c.html")
    report = make_monitor(site.url).poll(db)
    paths = [request.path for request in page_requests(site)]
    assert paths.count("/docs/b.html") == 1 and paths.count("/docs/c.html") == 1
    assert ("http://" + site.url.split("://")[1] + "c.html", "redirect loop") in report.faults
    assert {"LoopA", "LoopB"} <= set(stored_titles(db))


def test_the_page_limit_stops_the_crawl(site, db):
    site.write_runbooks([f"Alert{number:02d}Down" for number in range(12)])
    report = make_monitor(site.url, max_pages=5).poll(db)
    assert report.urls == 5 and len(stored_titles(db)) == 4


def test_only_one_crawl_runs_at_a_time(site, db, database_url):
    site.write_runbooks(ALERTS)
    other = psycopg2.connect(database_url)
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (int(Lock.CRAWL),))
        report = make_monitor(site.url).poll(db)
        assert not report.claimed and site.server.take_requests() == [] and stored_titles(db) == []
        with other.cursor() as cur:  # closing alone frees the lock only once the server notices
            cur.execute("SELECT pg_advisory_unlock(%s)", (int(Lock.CRAWL),))
    finally:
        other.close()
    assert make_monitor(site.url).poll(db).claimed


def test_a_page_parsed_by_an_older_parser_is_fetched_in_full_once(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    with db, db.cursor() as cur:
        cur.execute("UPDATE doc_pages SET parser_version = 0 WHERE url LIKE '%DiskFull.html'")
    site.server.take_requests()
    monitor.poll(db)
    assert [r.path for r in page_requests(site) if not r.conditional] == ["/docs/DiskFull.html"]
    monitor.poll(db)
    assert all(request.conditional for request in page_requests(site))


def test_a_link_that_always_redirects_still_ends_in_a_304(site, db):
    site.write("index.html", '<html><body><main><a href="kube">Kubernetes</a></main></body></html>')
    site.write("kube/index.html", runbook_html("KubePodCrashLooping", "Roll back."))
    monitor = make_monitor(site.url)
    monitor.poll(db)
    site.server.take_requests()
    report = monitor.poll(db)
    kube = [(r.path, r.status) for r in page_requests(site) if r.path.startswith("/docs/kube")]
    assert ("/docs/kube", 302) in kube and {status for _, status in kube} == {302, 304}
    assert (report.changed, report.unchanged, report.faults) == (0, 0, [])


def test_a_runbook_page_that_turns_into_an_error_page_keeps_its_runbooks_until_it_says_so_twice(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    # A deploy in progress: the server answers 200 with its "page not found" page.
    site.write("DiskFull.html", "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>"
                                "<p>The page you asked for does not exist.</p></body></html>")
    monitor.poll(db)
    assert stored_titles(db) == ALERTS
    monitor.poll(db)
    assert stored_titles(db) == [alert for alert in ALERTS if alert != "DiskFull"]
