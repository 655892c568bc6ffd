"""Alert title -> runbook on a real knowledge base in PostgreSQL."""
import pytest

from generate_documentation_db import runbook_store
from generate_documentation_db.match_scoring import (NEGATION_MISMATCH, CandidateTerms, candidate_score, confidence,
                                                     kept_stop_words, name_recall, rank_candidates)
from generate_documentation_db.matcher import (DEFAULT_THRESHOLD, TermFrequencies, _is_runbook_name_word,
                                              exact_key_names, is_alert_name, match_alert, numbered_names)
from tests.corpus_runbooks import (SAMPLE_RUNBOOKS, SITE, corpus_rows, load_corpus, load_samples, sample_runbook,
                                   store_runbook)


@pytest.fixture
def kb(db):
    load_samples(db)
    return db


@pytest.mark.parametrize("title", [
    "KubePodCrashLooping", "kube_pod_crash_looping", "kube-pod-crash-looping", "Kube Pod Crash Looping",
    "prod.KubePodCrashLooping", "Triggered #4821: [FIRING:2] KubePodCrashLooping (api-7f9 default critical)",
    "[P1] KubePodCrashLooping-staging",
])
def test_an_exact_name_in_any_spelling_wins(kb, title):
    match = match_alert(kb, title)
    assert (match.matched, match.reason, match.confidence) == ("KubePodCrashLooping", "exact name", 1.0)


@pytest.mark.parametrize("title, expected", [
    ("Pod default/api-7f9c4 is crash looping.", "KubePodCrashLooping"),
    ("[P2] etcd has no leader on prod-east", "etcdNoLeader"),
    ("etcd cluster has no leader", "etcdNoLeader"),
    ("Filesystem on node is filling up", "NodeFilesystemSpaceFillingUp"),
])
def test_a_described_alert_is_found_by_text(kb, title, expected):
    match = match_alert(kb, title)
    assert match.matched == expected and match.reason == "text match"
    assert 0.5 <= match.confidence <= 1.0


@pytest.mark.parametrize("title", [
    "RedisDown", "Kafka consumer lag high on orders", "MySQL replication is broken on db-3",
    "KubePodCrashLoopingCanary", "Payments checkout job failed to reconcile invoices",
    "High number of failed gRPC requests in checkout service",
])
def test_an_alert_without_a_runbook_gets_none(kb, title):
    match = match_alert(kb, title)
    assert not match.found and match.matched is None
    assert match.confidence < 0.55


def test_below_the_threshold_the_best_candidates_are_only_possibly_related(kb):
    match = match_alert(kb, "kube pod crashloop", threshold=0.99)
    assert not match.found
    assert "KubePodCrashLooping" in match.alternatives


def test_an_empty_or_noise_title_matches_nothing(kb):
    assert not match_alert(kb, "").found
    assert not match_alert(kb, "#4821: 10.0.0.1 3f9a2c1d7e").found


def test_exact_lookups_try_the_whole_title_and_each_identifier():
    assert exact_key_names("KubePodCrashLooping on api") == ["KubePodCrashLooping on api", "KubePodCrashLooping"]
    assert exact_key_names("prod.etcdNoLeader") == ["prod.etcdNoLeader", "etcdNoLeader"]


corpus = corpus_rows()


@pytest.mark.skipif(not corpus, reason="the shared corpus (../shared/corpus) is absent")
def test_every_corpus_alert_is_found_by_its_own_name_and_in_alertmanager_shape(db):
    load_corpus(db)
    misses = [row["alert_name"] for row in corpus
              if match_alert(db, f"[FIRING:1] {row['alert_name']} (pod-7f9 ns critical)").matched is None]
    assert misses == []


def test_a_summary_annotation_is_matched_by_what_the_runbooks_meaning_says(db):
    # Nothing in the title names the alert; the runbook's Meaning says what it describes.
    load_samples(db, {**SAMPLE_RUNBOOKS, "KubeletTooManyPods": (
        "The kubelet is running at its capacity of pods on a node.", "1. Spread the pods over more nodes.")})
    match = match_alert(db, "Kubelet is running at capacity.")
    assert (match.matched, match.reason) == ("KubeletTooManyPods", "text match")
    assert match.confidence >= DEFAULT_THRESHOLD


def test_a_lone_unknown_alert_name_needs_all_its_words_in_the_runbooks_name(kb):
    # Same words as KubeJobFailed but one: an alert-like identifier of a different alert.
    match = match_alert(kb, "KubeCronJobFailed")
    assert not match.found


def test_telling_stop_words_are_kept_and_weighed():
    assert kept_stop_words("kubelet down") == {"down"}
    assert kept_stop_words("node not ready out of space") == {"not", "out"}
    assert kept_stop_words("the pod is in a loop") == frozenset()


def test_a_runbooks_meaning_is_its_meaning_section_or_else_its_first_text(kb):
    meanings = runbook_store.runbook_meanings(kb, [ref.runbook_id for ref in
                                                   runbook_store.find_by_alert_key(kb, "etcdNoLeader")])
    assert list(meanings.values()) == ["An etcd member reports that the cluster has no leader."]
    assert runbook_store.runbook_meanings(kb, []) == {}


def test_a_described_alert_outranks_a_runbook_that_only_shares_its_words():
    weights = {"kubelet": 2.6, "run": 1.1, "capac": 2.4, "health": 2.0, "state": 1.5}
    alert = frozenset({"kubelet", "run", "capac"})
    described = CandidateTerms(1, "KubeletTooManyPods", ("kubelettoomanypods",), frozenset({"kubelet", "too"}),
                               alert, "kubelet too many pods", frozenset({"kubelet", "run", "capac"}))
    sharing = CandidateTerms(2, "KubeletHealthState", ("kubelethealthstate",),
                             frozenset({"kubelet", "health", "state"}), frozenset({"kubelet", "run"}),
                             "kubelet health state", frozenset({"kubelet", "health"}))
    ranked = rank_candidates(alert, "kubelet is running at capacity", [sharing, described], weights)
    assert [c.name for c in ranked] == ["KubeletTooManyPods", "KubeletHealthState"]
    assert ranked[1].confidence < 0.3


def test_a_word_only_bodies_use_weighs_less_than_a_title_word_and_an_unknown_word_weighs_most(kb):
    frequencies = TermFrequencies()
    weights = frequencies.weights(kb, ["restart", "etcd", "kafka"])  # "restart": a Meaning only
    counts = frequencies.counts(kb, ["restart", "etcd", "kafka"])
    assert counts["restart"][0] >= 1 and counts["restart"][1] == 0 and counts["etcd"][1] == 1 and counts["kafka"] == (0, 0)
    assert weights["restart"] < weights["etcd"] < weights["kafka"]


def test_title_words_bring_in_runbooks_the_text_ranking_leaves_out(kb):
    text = "Prometheus fails to scrape targets: etcd"
    ranked_only = runbook_store.search(kb, text, limit=1)
    assert "etcdNoLeader" not in {hit.alert_name for hit in ranked_only}
    with_names = runbook_store.search(kb, text, limit=1, name_terms=["etcd"])
    assert {hit.alert_name for hit in with_names} == {ranked_only[0].alert_name, "etcdNoLeader"}
    assert with_names[0].alert_name == ranked_only[0].alert_name  # ranked hits first


def test_the_rarest_title_words_are_the_name_terms(kb):
    assert TermFrequencies().name_terms(kb, ["etcd", "kube", "restart", "kafka"], limit=2) == ["etcd", "kube"]


def test_confidence_grows_with_score_margin_and_name_recall_and_is_none_without_evidence():
    assert confidence(0.0, 0.5, 1.0) == 0.0
    base = confidence(0.6, 0.1, 0.5)
    assert 0.0 < base < 1.0
    assert confidence(0.8, 0.1, 0.5) > base
    assert confidence(0.6, 0.4, 0.5) > base
    assert confidence(0.6, 0.1, 0.9) > base
    # A runner-up ahead of the candidate is no extra evidence against it beyond a zero margin.
    assert confidence(0.6, -0.3, 0.5) == confidence(0.6, 0.0, 0.5)


def test_name_recall_is_the_weighted_share_of_the_runbooks_name_the_alert_says():
    weights = {"pod": 1.0, "crash": 3.0, "loop": 3.0, "kube": 1.0}
    runbook = CandidateTerms(1, "KubePodCrashLooping", ("kubepodcrashlooping",),
                             frozenset({"kube", "pod", "crash", "loop"}), frozenset(), "kube pod crash looping")
    assert name_recall(frozenset({"pod", "crash", "loop"}), runbook, weights) == pytest.approx(7 / 8)
    assert name_recall(frozenset({"pod", "pend"}), runbook, weights) == pytest.approx(1 / 8)


def test_a_close_runner_up_for_a_different_alert_keeps_the_best_below_the_threshold():
    alert = frozenset({"prometheus", "config", "reload", "fail"})
    weights = dict.fromkeys(alert, 3.0)
    def runbook(runbook_id, name, lexemes):
        return CandidateTerms(runbook_id, name, (name.lower(),), frozenset(lexemes), alert,
                              " ".join(sorted(lexemes)), alert)
    clear = rank_candidates(alert, "prometheus config reload failed",
                            [runbook(1, "PrometheusBadConfig", {"prometheus", "config", "bad"})], weights)
    close = rank_candidates(alert, "prometheus config reload failed",
                            [runbook(1, "PrometheusBadConfig", {"prometheus", "config", "bad"}),
                             runbook(2, "AlertmanagerConfigReloadFailed", {"alertmanag", "config", "reload", "fail"})],
                            weights)
    assert clear[0].confidence >= DEFAULT_THRESHOLD
    assert close[0].name == "AlertmanagerConfigReloadFailed" and close[1].confidence < close[0].confidence
    assert close[1].confidence < DEFAULT_THRESHOLD


def test_a_word_only_the_runbooks_body_mentions_explains_less_than_its_meaning():
    alert = frozenset({"virt", "api", "server", "down"})
    weights = {"virt": 2.0, "api": 1.7, "server": 1.9, "down": 2.0, "control": 2.0}
    # Its name says all the alert's name words; "server" is nowhere in the runbook.
    named = CandidateTerms(1, "VirtAPIDown", ("virtapidown",), frozenset({"virt", "api", "down"}),
                           frozenset({"virt", "api", "down"}), "virt api down", frozenset({"virt", "api"}))
    # A longer runbook for another component whose body happens to mention "api" and "server".
    wordy = CandidateTerms(2, "VirtControllerDown", ("virtcontrollerdown",), frozenset({"virt", "control", "down"}),
                           alert, "virt controller down", frozenset({"virt", "control"}))
    ranked = rank_candidates(alert, "all virt api servers are down", [wordy, named], weights)
    assert [c.name for c in ranked] == ["VirtAPIDown", "VirtControllerDown"]


WAITING = {"KubeContainerWaiting": ("A pod container has been waiting longer than an hour.",
                                    "1. Describe the pod and read why the container waits.")}


@pytest.mark.parametrize("title", ["Pod container waiting longer than 1 hour.",
                                   "[Alerting] Pod container waiting longer than 1 hour"])
def test_the_word_after_container_is_kept_when_a_runbook_name_uses_it(db, title):
    load_samples(db, {**SAMPLE_RUNBOOKS, **WAITING})
    match = match_alert(db, title)
    assert match.matched == "KubeContainerWaiting" and match.confidence >= DEFAULT_THRESHOLD
    assert match.alert_key == "pod container longer than hour"  # the key does not depend on the runbooks


def test_a_label_value_after_container_is_still_dropped(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, **WAITING})
    frequencies = TermFrequencies()
    assert _is_runbook_name_word(db, "waiting", frequencies)
    assert not _is_runbook_name_word(db, "checkout", frequencies)  # no runbook title says it
    assert not _is_runbook_name_word(db, "api-7f9", frequencies)


def test_a_sentence_naming_an_identifier_prefers_the_runbook_whose_name_says_it():
    alert = frozenset({"kube", "api", "disappear", "target"})
    weights = {"kube": 1.6, "api": 1.7, "disappear": 2.1, "target": 2.4, "schedul": 2.5, "down": 2.0}
    # The scheduler's Meaning is worded like the sentence; only the API runbook's name says "api".
    scheduler = CandidateTerms(1, "KubeSchedulerDown", ("kubeschedulerdown",), frozenset({"kube", "schedul", "down"}),
                               alert, "kube scheduler down", frozenset({"kube", "disappear", "target"}))
    api = CandidateTerms(2, "KubeAPIDown", ("kubeapidown",), frozenset({"kube", "api", "down"}),
                         frozenset({"kube", "api"}), "kube api down", frozenset({"kube", "api"}))
    words = "kube api has disappeared from target"
    assert rank_candidates(alert, words, [scheduler, api], weights)[0].name == "KubeSchedulerDown"
    ranked = rank_candidates(alert, words, [scheduler, api], weights, subject=frozenset({"kube", "api"}))
    assert ranked[0].name == "KubeAPIDown"


def test_a_name_whose_number_the_cleaner_dropped_is_looked_up_with_it(db):
    def warning(level):
        return (f"The storage system has reached {level}% of its capacity.", "1. Free space or add capacity.")
    load_samples(db, {f"NooBaaSystemCapacityWarning{level}": warning(level) for level in (85, 95, 100)})
    title = 'ALARM: "prod-noo-baa-system-capacity-warning-95" in Asia Pacific (Tokyo)'
    assert numbered_names(title, "noo-baa-system-capacity-warning") == ["noo-baa-system-capacity-warning-95"]
    match = match_alert(db, title)
    assert (match.matched, match.reason) == ("NooBaaSystemCapacityWarning95", "exact name")
    # Label values in parentheses are no part of the name.
    assert numbered_names("KubePodCrashLooping (api-7f9 default critical)", "KubePodCrashLooping") == []


def test_a_summary_in_other_words_than_the_name_is_found_through_the_on_call_vocabulary(db):
    load_samples(db, {**SAMPLE_RUNBOOKS,
                      "KubeletDown": ("The monitoring system cannot reach the kubelets.", "1. Check the nodes."),
                      "NodeFilesystemAlmostOutOfFiles": ("A filesystem has few inodes left.", "1. Find small files.")})
    down = match_alert(db, "Kubelet has disappeared from Prometheus target discovery.")
    assert (down.matched, down.reason) == ("KubeletDown", "exact name")
    files = match_alert(db, "Filesystem on /dev/sda1 has less than 3% inodes left.")
    assert files.matched == "NodeFilesystemAlmostOutOfFiles" and files.confidence >= DEFAULT_THRESHOLD


def test_a_hyphenated_alarm_name_differing_by_one_word_is_another_alert(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "KubeDaemonSetRolloutStuck": (
        "A DaemonSet rollout, like a deployment's, has not progressed.", "1. Check the DaemonSet's pods.")})
    assert match_alert(db, 'ALARM: "prod-kube-daemon-set-rollout-stuck" in EU (Ireland)').found
    assert not match_alert(db, 'ALARM: "prod-kube-deployment-rollout-stuck" in EU (Ireland)').found


def test_an_identifier_with_a_word_more_than_a_runbooks_name_is_another_alert(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "CoreDNSErrorsHigh": (
        "CoreDNS answers many queries with SERVFAIL errors.", "1. Check the upstream resolvers.")})
    assert match_alert(db, "[FIRING:1] CoreDNSErrorsHigh (coredns critical)").found
    assert not match_alert(db, "[FIRING:1] CoreDNSForwardErrorsHigh (coredns critical)").found


def test_a_runbook_named_for_an_absence_answers_only_an_alert_that_says_one(kb):
    assert match_alert(kb, "etcd cluster has no leader").matched == "etcdNoLeader"
    weights = {"etcd": 4.0, "leader": 4.0, "elect": 2.0, "cluster": 1.0, "no": 1.5}
    meaning = frozenset({"etcd", "leader", "elect", "cluster"})
    no_leader = CandidateTerms(1, "etcdNoLeader", ("etcdnoleader",), frozenset({"etcd", "no", "leader"}),
                               frozenset({"etcd", "leader", "elect"}), "etcd no leader", meaning)
    leader = CandidateTerms(2, "etcdLeader", ("etcdleader",), frozenset({"etcd", "leader"}),
                            frozenset({"etcd", "leader", "elect"}), "etcd leader", meaning)
    elections = frozenset({"etcd", "cluster", "leader", "elect"})
    said_none = candidate_score(elections | {"no"}, "etcd cluster no leader elections", no_leader, weights)
    not_said = candidate_score(elections, "etcd cluster leader elections", no_leader, weights)
    assert not_said < 0.5 * candidate_score(elections, "etcd cluster leader elections", leader, weights)
    assert not_said < 0.5 * said_none


def test_an_alert_documented_twice_offers_the_other_page_once_as_a_link(kb):
    for team in ("platform", "storage"):
        store_runbook(kb, f"{SITE}/{team}/etcd-no-leader/", sample_runbook("etcdNoLeader", "No leader.", "1. Look."))
    match = match_alert(kb, "[FIRING:1] etcdNoLeader")
    assert match.reason == "exact name" and match.alternatives == ("etcdNoLeader",)
    assert len(match.alternative_urls) == 1 and match.alternative_urls[0] != match.url


@pytest.mark.parametrize("reading, is_name", [
    ("CoreDNSForwardErrorsHigh", True), ("kube-deployment-rollout-stuck", True),
    ("core dns forward errors high", True), ("Thanos Compact Halted", True), ("Thanos Compact Halted alert", True),
    ("Disk not responding", False), ("etcd cluster has no leader", False), ("Watchdog", False),
    ("Pod is crash looping", False),
])
def test_a_name_is_one_identifier_or_its_words_spelled_as_monitors_title_them(reading, is_name):
    assert bool(is_alert_name(reading)) is is_name


def test_a_name_spelled_out_in_words_needs_the_runbooks_name_word_for_word(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "CoreDNSErrorsHigh": (
        "CoreDNS answers many queries with SERVFAIL errors.", "1. Check the upstream resolvers.")})
    assert not match_alert(db, "[P2] core dns forward errors high on prod-east").found
    assert not match_alert(db, "Core Dns Forward Errors High - prod").found
    assert match_alert(db, "CoreDNS answers with many errors").matched == "CoreDNSErrorsHigh"
