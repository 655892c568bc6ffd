"""RunbookIndex: names to look up and a BM25F ranking over the runbooks, patched a page at a time."""
import pytest

from matching.index import RunbookIndex, RunbookRecord
from matching.matcher import DEFAULT_THRESHOLD, WORDS_ONLY_THRESHOLD, match_alert, model_threshold
from matching.text import terms
from matching.titles import name_key

SITE = "https://runbooks.example.test"


def runbook(runbook_id, name, meaning, body, page=None, kind="runbook"):
    page_url = f"{SITE}/{page or name}.md"
    return RunbookRecord(runbook_id=runbook_id, page_url=page_url, title=name, alert_name=name, url=page_url,
                         kind=kind, meaning=meaning, body=body, names=((name_key(name), name, "title"),))


ETCD_QUOTA = runbook(
    1, "etcdBackendQuotaLowSpace",
    "The etcd database is close to its backend quota; once it is full the cluster refuses every write.",
    "1. Read each member's database size with etcdctl endpoint status. 2. Compact the key space. "
    "3. Defragment one member at a time. 4. Check what grew before raising the limit.")
NAMESPACE_QUOTA = runbook(
    2, "KubeQuotaExceeded",
    "A namespace uses more of a resource than its allowance permits.",
    "1. List the namespace's usage with kubectl describe. 2. Check which workload grew. "
    "3. Ask the owners to scale down, or raise the allowance.")
POD_NOT_READY = runbook(
    3, "KubePodNotReady",
    "A pod has stayed unready for longer than a quarter of an hour.",
    "1. Read the pod's events and check its probes. 2. A quota on the namespace can keep replacement pods "
    "from starting: compare the requests with the quota. 3. Free capacity or raise the quota.")
NODE_DOWN = runbook(
    4, "NodeDown",
    "A host has stopped reporting to monitoring.",
    "1. Ping the host from the bastion. 2. Check its power and network in the cloud console. "
    "3. Drain it if it comes back unhealthy.", page="hosts/node-down")
CEPH_QUORUM = runbook(
    5, "CephMonQuorumAtRisk",
    "Only just enough storage monitors are up to keep a quorum; losing one more stops the ceph cluster.",
    "1. Check which monitor pods are down. 2. Look at the hosts they were scheduled on. "
    "3. Restore a monitor before touching any other one.")
KUBELET_PLATFORM = runbook(
    6, "KubeletDown",
    "The kubelet on a node stopped answering the monitoring scrapes.",
    "1. Check the kubelet service on the node with systemctl. 2. Read its journal for the reason it stopped.",
    page="platform/kubelet-down")
KUBELET_STORAGE = runbook(
    7, "KubeletDown",
    "The kubelet of a storage node is gone, so the volumes on it cannot be mounted.",
    "1. Check that the storage daemons on the node still run. 2. Restart the kubelet, then check the mounts.",
    page="storage/kubelet-down")
RUNBOOKS = [ETCD_QUOTA, NAMESPACE_QUOTA, POD_NOT_READY, NODE_DOWN, CEPH_QUORUM, KUBELET_PLATFORM, KUBELET_STORAGE]


@pytest.fixture
def index():
    return RunbookIndex(RUNBOOKS, version=1)


def ranked_names(index, text):
    return [index.runbook(doc).record.alert_name for doc, _ in index.search(terms(text))]


def doc_of(index, record):
    (doc,) = [doc for doc in index.runbooks_named(name_key(record.alert_name)) if index.runbook(doc).record == record]
    return doc


def test_a_runbooks_name_words_outrank_a_word_only_another_runbooks_body_uses(index):
    (quota,) = terms("quota")
    body_only = doc_of(index, POD_NOT_READY)
    assert index.has_term(body_only, quota)
    assert quota not in index.runbook(body_only).name_terms | index.runbook(body_only).meaning_terms
    # KubePodNotReady says "quota" three times in its steps, and still ranks below both runbooks named for it.
    ranked = ranked_names(index, "quota")
    assert set(ranked[:2]) == {"KubeQuotaExceeded", "etcdBackendQuotaLowSpace"} and ranked[2:] == ["KubePodNotReady"]


def test_search_scores_are_positive_and_best_first(index):
    scores = [score for _, score in index.search(terms("monitor quorum host"))]
    assert scores and all(score > 0 for score in scores) and scores == sorted(scores, reverse=True)
    assert ranked_names(index, "monitor quorum host")[0] == "CephMonQuorumAtRisk"


def test_a_term_few_runbooks_use_has_a_higher_idf_than_a_common_one(index):
    (ceph,), (check,), (unknown,) = terms("ceph"), terms("check"), terms("zeppelin")
    assert index.document_frequency(ceph) == 1 and index.document_frequency(check) == len(RUNBOOKS)
    assert index.idf(unknown) > index.idf(ceph) > index.idf(check) > 0


def test_replacing_a_page_with_nothing_removes_its_runbook_its_name_and_its_terms(index):
    (bastion,) = terms("bastion")
    assert ranked_names(index, "bastion") == ["NodeDown"] and "nodedown" in index.known_keys
    index.replace_pages([NODE_DOWN.page_url], [], version=2)
    assert len(index) == len(RUNBOOKS) - 1 and index.version == 2
    assert index.runbooks_named(name_key("NodeDown")) == [] and "nodedown" not in index.known_keys
    assert index.search([bastion]) == [] and index.document_frequency(bastion) == 0
    assert not match_alert(index, "NodeDown").found


def test_a_removed_runbooks_name_words_leave_the_name_vocabulary(index):
    assert "ceph" in index.name_vocabulary and "quorum" in index.name_vocabulary
    index.replace_pages([CEPH_QUORUM.page_url], [], version=2)
    assert "ceph" not in index.name_vocabulary and "quorum" not in index.name_vocabulary
    assert "kube" in index.name_vocabulary  # other runbooks' name words stay


def test_what_a_removed_runbook_was_about_is_no_runbooks_subject_any_more(index):
    assert index.about_frequency("quorum") == 1 and index.about_frequency("ceph") >= 1
    index.replace_pages([CEPH_QUORUM.page_url], [], version=2)
    assert index.about_frequency("quorum") == 0
    assert index.about_frequency("etcd") >= 1  # other runbooks' subjects stay


def test_a_renamed_runbook_is_found_by_its_new_name_at_once_and_no_longer_by_its_old_one(index):
    renamed = runbook(4, "NodeNotReporting", NODE_DOWN.meaning, NODE_DOWN.body, page="hosts/node-down")
    index.replace_pages([NODE_DOWN.page_url], [renamed], version=2)
    assert len(index) == len(RUNBOOKS)
    new = match_alert(index, "[FIRING:1] NodeNotReporting (web-01 prod critical)")
    assert (new.matched, new.reason, new.confidence, new.url) == ("NodeNotReporting", "exact name", 1.0,
                                                                  NODE_DOWN.url)
    old = match_alert(index, "NodeDown")
    assert not old.found and old.reason == "none" and index.runbooks_named(name_key("NodeDown")) == []


def test_an_edited_runbook_is_ranked_by_its_new_words_and_no_longer_by_its_old_ones(index):
    edited = runbook(1, "etcdBackendQuotaLowSpace", ETCD_QUOTA.meaning,
                     "1. Take a snapshot with etcdctl. 2. Run the defragmentation job from the maintenance "
                     "console. 3. Watch the alarm clear.")
    assert ranked_names(index, "snapshot maintenance") == [] and ranked_names(index, "compact") == [
        "etcdBackendQuotaLowSpace"]
    index.replace_pages([ETCD_QUOTA.page_url], [edited], version=2)
    assert ranked_names(index, "snapshot maintenance") == ["etcdBackendQuotaLowSpace"]
    assert ranked_names(index, "compact") == []
    assert match_alert(index, "etcd_backend_quota_low_space").runbook_id == 1


def test_an_edited_meaning_is_matched_on_right_away(index):
    question = "Writes to the key value store are throttled by its disk allowance"
    assert not match_alert(index, question).found
    edited = runbook(1, "etcdBackendQuotaLowSpace", "Writes to the etcd key value store are throttled because "
                     "its disk allowance is nearly used up.", ETCD_QUOTA.body)
    index.replace_pages([ETCD_QUOTA.page_url], [edited], version=2)
    match = match_alert(index, question)
    assert (match.matched, match.reason) == ("etcdBackendQuotaLowSpace", "text match")


def test_an_alert_documented_on_two_pages_keeps_both(index):
    platform, storage = doc_of(index, KUBELET_PLATFORM), doc_of(index, KUBELET_STORAGE)
    assert sorted(index.runbooks_named(name_key("KubeletDown"))) == sorted([platform, storage])
    match = match_alert(index, "KubeletDown")
    assert match.reason == "exact name" and {match.url, *match.alternative_urls} == {
        KUBELET_PLATFORM.url, KUBELET_STORAGE.url}


def test_replacing_one_of_two_pages_keeps_the_other_pages_runbook(index):
    index.replace_pages([KUBELET_STORAGE.page_url], [], version=2)
    assert index.runbooks_named(name_key("KubeletDown")) == [doc_of(index, KUBELET_PLATFORM)]
    match = match_alert(index, "KubeletDown")
    assert (match.url, match.reason, match.alternative_urls) == (KUBELET_PLATFORM.url, "exact name", ())


def test_a_real_runbook_is_named_before_a_stub_for_the_same_alert():
    stub = runbook(8, "KubeletDown", "See the platform page.", "1. Follow the link.", page="stubs/kubelet", kind="stub")
    index = RunbookIndex([stub, KUBELET_PLATFORM])
    first = index.runbooks_named(name_key("KubeletDown"))[0]
    assert index.runbook(first).record == KUBELET_PLATFORM


def test_an_empty_index_matches_nothing():
    index = RunbookIndex([])
    assert len(index) == 0 and index.search(terms("etcd quota")) == [] and index.runbooks_named("nodedown") == []
    match = match_alert(index, "etcdBackendQuotaLowSpace")
    assert (match.found, match.reason, match.confidence, match.alternatives) == (False, "none", 0.0, ())


def test_an_index_emptied_page_by_page_matches_nothing(index):
    index.replace_pages([record.page_url for record in RUNBOOKS], [], version=2)
    assert len(index) == 0 and index.search(terms("etcd quota kubelet")) == []
    assert not match_alert(index, "etcdBackendQuotaLowSpace").found


def test_a_described_alert_is_a_text_match_with_the_runbook_whose_meaning_it_paraphrases(index):
    match = match_alert(index, "etcd database nearly out of quota space, writes will soon be refused")
    assert (match.matched, match.reason, match.url) == ("etcdBackendQuotaLowSpace", "text match", ETCD_QUOTA.url)
    assert DEFAULT_THRESHOLD <= match.confidence < 1.0


def test_above_its_confidence_a_described_alerts_runbook_is_only_possibly_related(index):
    title = "etcd database nearly out of quota space, writes will soon be refused"
    sure = match_alert(index, title).confidence
    match = match_alert(index, title, threshold=(sure + 1.0) / 2)
    assert not match.found and match.reason == "none" and match.matched is None
    assert match.alternatives[0] == "etcdBackendQuotaLowSpace" and match.alternative_urls[0] == ETCD_QUOTA.url
    assert match.confidence == sure


def test_matches_while_the_docs_monitor_patches_every_page_find_each_runbook_every_time():
    import sys
    import threading
    index = RunbookIndex(RUNBOOKS, vectors=None)
    pages = [record.page_url for record in RUNBOOKS]
    stop, failures, answers = threading.Event(), [], set()

    def patch_again_and_again():
        version = 1
        while not stop.is_set():
            version += 1
            index.replace_pages(pages, RUNBOOKS, version)  # a site-wide re-crawl, again and again

    patcher = threading.Thread(target=patch_again_and_again)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between a few bytecodes: every window of a race is hit
    patcher.start()
    try:
        for _ in range(400):
            try:
                answers.add((match_alert(index, "[FIRING:1] NodeDown (hosts critical)").matched,
                             match_alert(index, "A host has stopped reporting to monitoring").found))
            except Exception as error:  # a runbook removed between finding and reading it
                failures.append(repr(error))
    finally:
        stop.set()
        patcher.join()
        sys.setswitchinterval(interval)
    assert failures == [] and answers == {("NodeDown", True)}
    assert index.removed_slots > 0 and len(index) == len(RUNBOOKS)  # what LiveIndex rebuilds to drop


def test_a_product_name_split_otherwise_than_the_runbooks_write_it_is_read_as_they_do():
    macpool = runbook(10, "KubemacpoolDown", "No Kubemacpool pod is running, so new VMs get no MAC address.",
                      "1. Check the Kubemacpool deployment.")
    index = RunbookIndex([macpool, POD_NOT_READY], vectors=None)
    # "KubeMacpool" reads as kube + macpool; the runbooks write one word.
    assert index.as_written(["kube", "macpool", "pod", "down"]) == ["kubemacpool", "pod", "down"]
    # Words they use stay as they are.
    assert index.as_written(["kube", "pod"]) == ["kube", "pod"]


def test_a_failure_and_failing_are_one_term_as_alert_names_and_summaries_use_both():
    # "PrometheusTSDBCompactionsFailing" / "has detected 37 compaction failures": Snowball keeps
    # "failur" apart from "fail".
    assert terms("compaction failures") == terms("compactions failing") == terms("compaction failed")
    assert terms("modifications") == terms("modified") and terms("recovery") == terms("recoverable")
    assert terms("looping") == ["loop"]


def test_without_the_word_meaning_package_the_matcher_answers_from_the_words_only_models_threshold():
    words_only = RunbookIndex(RUNBOOKS, version=1, vectors=None)
    assert model_threshold(words_only) == WORDS_ONLY_THRESHOLD > DEFAULT_THRESHOLD
    # Between the two thresholds: the words-only model's own keeps it back, a team's MATCH_THRESHOLD answers it.
    title = "the kubelet is not answering on port 10250"
    assert DEFAULT_THRESHOLD <= match_alert(words_only, title, threshold=0.0).confidence < WORDS_ONLY_THRESHOLD
    assert not match_alert(words_only, title).found
    assert match_alert(words_only, title, threshold=DEFAULT_THRESHOLD).matched == "KubeletDown"
