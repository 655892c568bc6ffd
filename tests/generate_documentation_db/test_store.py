"""The runbook tables and the query functions the matcher builds on, on a real database."""
from generate_documentation_db import page_store, runbook_store
from generate_documentation_db.alert_keys import canonical_key
from generate_documentation_db.runbook_model import AlertKey, ParsedPage, Runbook, Section


def make_runbook(title, body, names=(), kind="runbook", anchor=None):
    keys = tuple(AlertKey(canonical_key(name), name, source) for name, source in names)
    sections = (
        Section(title, anchor, 1, (title,), f"{title} fires when {body}", f"{title} fires when {body}"),
        Section("Mitigation", "mitigation", 2, (title, "Mitigation"), f"Restart it. {body}", f"• Restart it. {body}"),
    )
    return Runbook(title, names[0][0] if names else None, anchor, keys, sections, kind=kind)


def page(url, *runbooks, sha="a"):
    return ParsedPage(url, runbooks[0].title if runbooks else "", sha, tuple(runbooks), ())


def test_canonical_key_treats_every_spelling_alike():
    spellings = ["KubePodCrashLooping", "kube_pod_crash_looping", "Kube Pod Crash Looping", "kube-pod-crash-looping"]
    assert {canonical_key(name) for name in spellings} == {"kubepodcrashlooping"}
    assert canonical_key("OSDCPULoadHigh") == canonical_key("OSDCpuLoadHigh")


def test_a_runbook_is_found_by_any_spelling_of_its_alert_name(db):
    crash = make_runbook("KubePodCrashLooping", "a pod restarts over and over",
                         [("KubePodCrashLooping", "title"), ("kubepodcrashlooping", "slug")])
    page_store.save_page(db, page("http://docs/kube/", crash))
    for spelling in ("kube_pod_crash_looping", "Kube Pod Crash Looping", "kubepodcrashlooping"):
        found = runbook_store.find_by_alert_key(db, spelling)
        assert [ref.title for ref in found] == ["KubePodCrashLooping"]
        assert found[0].key_source == "title"
    assert runbook_store.find_by_alert_key(db, "KubePodNotReady") == []


def test_an_alert_documented_twice_returns_the_real_runbook_before_the_deprecated_one(db):
    stub = make_runbook("EtcdNoLeader (old)", "old page", [("etcdNoLeader", "alias")], kind="deprecated")
    real = make_runbook("etcdNoLeader", "the etcd cluster has no leader", [("etcdNoLeader", "title")])
    page_store.save_page(db, page("http://docs/old/", stub))
    page_store.save_page(db, page("http://docs/etcd/", real))
    found = runbook_store.find_by_alert_key(db, "etcd_no_leader")
    assert [(ref.title, ref.kind) for ref in found] == [("etcdNoLeader", "runbook"), ("EtcdNoLeader (old)", "deprecated")]


def test_runbook_by_id_returns_sections_and_keys(db):
    runbook = make_runbook("DiskFull", "a disk is full", [("DiskFull", "title")], anchor="diskfull")
    page_store.save_page(db, page("http://docs/disk/", runbook))
    ref = runbook_store.find_by_alert_key(db, "DiskFull")[0]
    stored = runbook_store.runbook_by_id(db, ref.runbook_id)
    assert stored.url == "http://docs/disk/#diskfull" and stored.page_url == "http://docs/disk/"
    assert [s.heading_path for s in stored.sections] == [("DiskFull",), ("DiskFull", "Mitigation")]
    assert stored.alert_keys == (("diskfull", "DiskFull", "title"),)
    assert "*Mitigation*" in stored.mrkdwn
    with db, db.cursor() as cur:
        cur.execute("SELECT changed_at FROM doc_pages WHERE url = 'http://docs/disk/'")
        assert stored.page_changed_at == cur.fetchone()[0] is not None
    assert runbook_store.runbook_by_id(db, ref.runbook_id + 1000) is None


def test_a_connection_without_the_prepared_save_prepares_it_again_and_keeps_its_transactions(db):
    runbook = make_runbook("DiskFull", "a disk is full", [("DiskFull", "title")])
    assert page_store.save_page(db, page("http://docs/disk/", runbook)) == "added"
    assert not db.autocommit  # the connection is handed back as it came
    with db, db.cursor() as cur:
        cur.execute("DEALLOCATE ALL")  # as after a reconnect: this session has no prepared statement
    assert page_store.save_page(db, page("http://docs/disk/", runbook, sha="b")) == "changed"
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'oncall_save_page'")
        assert cur.fetchone()[0] == 1
    assert [ref.title for ref in runbook_store.find_by_alert_key(db, "DiskFull")] == ["DiskFull"]


def test_saving_the_same_content_twice_writes_nothing_and_logs_one_change(db):
    runbook = make_runbook("DiskFull", "a disk is full", [("DiskFull", "title")])
    assert page_store.save_page(db, page("http://docs/disk/", runbook)) == "added"
    assert page_store.save_page(db, page("http://docs/disk/", runbook)) is None
    assert page_store.save_page(db, page("http://docs/disk/", runbook, sha="b")) == "changed"
    assert [change[1] for change in runbook_store.recent_changes(db)] == ["changed", "added"]


def test_a_page_is_removed_only_after_two_missing_polls(db):
    page_store.save_page(db, page("http://docs/disk/", make_runbook("DiskFull", "x", [("DiskFull", "title")])))
    assert page_store.record_missing(db, "http://docs/disk/") is None
    assert runbook_store.find_by_alert_key(db, "DiskFull")
    assert page_store.record_missing(db, "http://docs/disk/") == "removed"
    assert runbook_store.find_by_alert_key(db, "DiskFull") == []
    assert runbook_store.recent_changes(db)[0][1:] == ("removed", "http://docs/disk/", ("DiskFull",), None)
