"""Alert title -> runbook on a real knowledge base in PostgreSQL, read through the matcher's index."""
import pytest

from matching.knowledge_base import LiveIndex, load_index
from matching.matcher import (
    DEFAULT_THRESHOLD,
    QUOTED_CONFIDENCE,
    _quotation,
    match_alert,
    ranked_candidates,
)
from tests.corpus_runbooks import (
    SAMPLE_RUNBOOKS,
    SITE,
    corpus_rows,
    load_corpus,
    load_samples,
    sample_runbook,
    store_runbook,
)


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
    match = match_alert(load_index(kb), title)
    assert (match.matched, match.reason, match.confidence) == ("KubePodCrashLooping", "exact name", 1.0)


@pytest.mark.parametrize("title, expected", [
    ("Pod default/api-7f9c4 is crash looping.", "KubePodCrashLooping"),
    ("[P2] etcd has no leader on prod-east", "etcdNoLeader"),
    ("etcd cluster has no leader", "etcdNoLeader"),
    ("Filesystem on node is filling up", "NodeFilesystemSpaceFillingUp"),
])
def test_a_described_alert_is_found_by_text(kb, title, expected):
    match = match_alert(load_index(kb), title)
    assert match.matched == expected and match.reason == "text match"
    assert 0.5 <= match.confidence <= 1.0


@pytest.mark.parametrize("title", [
    "RedisDown", "Kafka consumer lag high on orders", "MySQL replication is broken on db-3",
    "KubePodCrashLoopingCanary", "Payments checkout job failed to reconcile invoices",
    "High number of failed gRPC requests in checkout service",
])
def test_an_alert_without_a_runbook_gets_none(kb, title):
    match = match_alert(load_index(kb), title)
    assert not match.found and match.matched is None
    assert match.confidence < DEFAULT_THRESHOLD


def test_below_the_threshold_the_best_candidates_are_only_possibly_related(kb):
    match = match_alert(load_index(kb), "a pod in kube-system keeps crashing", threshold=1.0)  # never certain
    assert not match.found
    assert "KubePodCrashLooping" in match.alternatives


def test_an_empty_or_noise_title_matches_nothing(kb):
    assert not match_alert(load_index(kb), "").found
    assert not match_alert(load_index(kb), "#4821: 10.0.0.1 3f9a2c1d7e").found


corpus = corpus_rows()


@pytest.mark.skipif(not corpus, reason="the shared corpus (../shared/corpus) is absent")
def test_every_corpus_alert_is_found_by_its_own_name_and_in_alertmanager_shape(db):
    corpus = load_corpus(db)
    index = load_index(db)
    misses = [row["alert_name"] for row in corpus
              if match_alert(index, f"[FIRING:1] {row['alert_name']} (pod-7f9 ns critical)").matched is None]
    assert misses == []


def test_a_summary_annotation_is_matched_by_what_the_runbooks_meaning_says(db):
    # Nothing in the title names the alert; the runbook's Meaning says what it describes.
    load_samples(db, {**SAMPLE_RUNBOOKS, "KubeletTooManyPods": (
        "The kubelet is running at its capacity of pods on a node.", "1. Spread the pods over more nodes.")})
    match = match_alert(load_index(db), "Kubelet is running at capacity.")
    assert (match.matched, match.reason) == ("KubeletTooManyPods", "text match")
    assert match.confidence >= DEFAULT_THRESHOLD


def test_a_lone_unknown_alert_name_needs_all_its_words_in_the_runbooks_name(kb):
    # Same words as KubeJobFailed but one: an alert-like identifier of a different alert.
    match = match_alert(load_index(kb), "KubeCronJobFailed")
    assert not match.found


WAITING = {"KubeContainerWaiting": ("A pod container has been waiting longer than an hour.",
                                    "1. Describe the pod and read why the container waits.")}


@pytest.mark.parametrize("title", ["Pod container waiting longer than 1 hour.",
                                   "[Alerting] Pod container waiting longer than 1 hour"])
def test_the_word_after_container_is_kept_when_a_runbook_name_uses_it(db, title):
    load_samples(db, {**SAMPLE_RUNBOOKS, **WAITING})
    match = match_alert(load_index(db), title)
    assert match.matched == "KubeContainerWaiting" and match.confidence >= DEFAULT_THRESHOLD
    assert match.alert_key == "kube container waiting"  # a matched alert is counted by its runbook's name


def test_a_name_whose_number_the_cleaner_dropped_is_looked_up_with_it(db):
    def warning(level):
        return (f"The storage system has reached {level}% of its capacity.", "1. Free space or add capacity.")
    load_samples(db, {f"NooBaaSystemCapacityWarning{level}": warning(level) for level in (85, 95, 100)})
    title = 'ALARM: "prod-noo-baa-system-capacity-warning-95" in Asia Pacific (Tokyo)'
    match = match_alert(load_index(db), title)
    assert (match.matched, match.reason) == ("NooBaaSystemCapacityWarning95", "exact name")


def test_a_summary_in_other_words_than_the_name_is_found_through_the_on_call_vocabulary(db):
    load_samples(db, {**SAMPLE_RUNBOOKS,
                      "KubeletDown": ("The monitoring system cannot reach the kubelets.", "1. Check the nodes."),
                      "NodeFilesystemAlmostOutOfFiles": ("A filesystem has few inodes left.", "1. Find small files.")})
    down = match_alert(load_index(db), "Kubelet has disappeared from Prometheus target discovery.")
    assert (down.matched, down.reason) == ("KubeletDown", "exact name")
    # Where and for how long it fired are not part of what it says.
    elsewhere = match_alert(load_index(db), "Kubelet has disappeared from Prometheus target discovery on cluster "
                                            "eks-data-prod for more than 15 minutes.")
    assert (elsewhere.matched, elsewhere.reason) == ("KubeletDown", "exact name")
    # The summary every component's up-metric alert shares names none of them, not even TargetDown.
    load_samples(db, {"TargetDown": ("Some targets cannot be scraped.", "1. Check /targets.")})
    shared = match_alert(load_index(db), "Target disappeared from Prometheus target discovery.")
    assert shared.reason != "exact name"
    files = match_alert(load_index(db), "Filesystem on /dev/sda1 has less than 3% inodes left.")
    assert files.matched == "NodeFilesystemAlmostOutOfFiles" and files.confidence >= DEFAULT_THRESHOLD


def test_a_descriptions_advice_to_the_reader_does_not_weaken_its_match(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "KubeJobFailed": (
        "A job failed to complete; its pods exited with errors.", "1. Read the failed pod's logs.")})
    index = load_index(db)
    plain = match_alert(index, "Job payments/settlement-28972222 failed to complete.")
    advised = match_alert(index, "Job payments/settlement-28972222 failed to complete. Removing failed job after "
                                 "investigation should clear this alert. Please check the job's pod logs.")
    assert plain.matched == advised.matched == "KubeJobFailed"
    assert advised.confidence == plain.confidence


@pytest.mark.parametrize("details", [
    "Incident triggered by Alertmanager\n*Alert:* KubeJobFailed\n*Severity:* warning",
    "alertname: kube_job_failed\nnamespace: payments",
    'anyone?\n```\nKubeJobFailed{namespace="payments", job_name="settle-1"} 1\n```',
    "Labels: alertname=KubeJobFailed severity=warning",
    "Monitor: [Prometheus] Kube Job Failed on gke-analytics-eu\nStatus: Triggered",  # a field, spelled out
])
def test_a_name_in_the_rest_of_the_message_answers_a_title_that_names_none(kb, details):
    match = match_alert(load_index(kb), "Incident triggered by Alertmanager", details=details)
    assert (match.matched, match.reason, match.found) == ("KubeJobFailed", "name in the message", True)


@pytest.mark.parametrize("title, details", [
    # Words are no name there, nor is PagerDuty's own service field, even spelled as an identifier.
    ("New incident", "Summary: the backup finished late\nService: Target Down"),
    ("New incident", "New incident\n*Service:* target-down-checker\n*Assigned:* Alex"),
    # A title naming an alert no runbook documents is that alert, whatever the details mention.
    ("[FIRING:1] RedisReplicationBroken", "see KubeJobFailed last week"),
    # So is a name field naming one: the rest is its description.
    ("New alert", "*Alert:* PaymentsApiLatencyHigh - critical\n*Description:* often follows KubeJobFailed"),
    ("New alert", "alertname: payments_api_latency_high\nsummary: like KubeJobFailed"),
    # "alert:" inside a sentence is no field; a prose word is a name only as a whole title.
    ("[Triggered] IPMI alert: watchdog timeout on db-3", "[Triggered] IPMI alert: watchdog timeout on db-3"),
    # A link's query string is no name.
    ("New incident", "<https://grafana.example.com/d/x?var-alert=KubeJobFailed|dashboard>"),
])
def test_the_rest_of_the_message_names_nothing_in_prose_fields_links_or_past_another_alerts_name(kb, title, details):
    index = load_index(kb)
    assert not match_alert(index, title, details=details).found


def test_a_grouped_notification_naming_several_runbooks_lists_them_and_names_none(kb):
    details = "[FIRING:2] payments\nalertname=KubeJobFailed namespace=payments\nalertname=KubePodCrashLooping pod=api-1"
    match = match_alert(load_index(kb), "[FIRING:2] payments", details=details)
    assert not match.found and set(match.alternatives) == {"KubeJobFailed", "KubePodCrashLooping"}


def test_the_titles_own_words_answer_before_a_name_in_the_rest_of_the_message(kb):
    index = load_index(kb)
    words = match_alert(index, "Kubernetes job payments/settle-1 failed to complete.")
    assert (words.matched, words.reason) == ("KubeJobFailed", "text match")
    with_details = match_alert(index, "Kubernetes job payments/settle-1 failed to complete.",
                               details="Related: KubePodCrashLooping fired earlier")
    assert (with_details.matched, with_details.reason) == ("KubeJobFailed", "text match")


def test_a_runbook_named_for_one_http_status_class_is_not_for_another(db):
    load_samples(db, {"Ingress5xxErrors": ("The ingress answers many requests with 5xx errors.", "1. Check the backends."),
                      "KubeJobFailed": ("A Kubernetes job failed to complete.", "1. Read the pod's logs.")})
    index = load_index(db)
    assert not match_alert(index, 'ALARM: "ingress-4xx-errors" in US East (N. Virginia)').found
    assert match_alert(index, "Ingress is answering with 5xx errors").matched == "Ingress5xxErrors"


def test_a_snake_case_name_behind_a_dotted_environment_is_an_unknown_identifier(db):
    load_samples(db, {"CPUThrottlingHigh": ("Processes in a container are throttled by its CPU limit.",
                                            "1. Raise the container's CPU limit."),
                      "KubeJobFailed": ("A Kubernetes job failed to complete.", "1. Read the pod's logs.")})
    index = load_index(db)
    assert not match_alert(index, "[Re-Triggered] eu1.io_throttling_high on kube_cluster_name:aks-retail").found
    assert not match_alert(index, "[Re-Triggered] io_throttling_high on kube_cluster_name:aks-retail").found


def test_a_setting_a_description_quotes_after_its_verb_is_not_an_unknown_alert_name(db):
    # "… exceeded the configured label_name_length_limit": the snake_case word is the setting the alert is
    # about; leading the message, the same shape is an alert's name no runbook answers to.
    load_samples(db, {"PrometheusLabelLimitHit": ("Prometheus has dropped targets because some samples exceeded "
                                                  "the configured label limit.", "1. Raise the scrape's limit."),
                      "KubeJobFailed": ("A Kubernetes job failed to complete.", "1. Read the pod's logs.")})
    index = load_index(db)
    quoting = match_alert(index, "Prometheus monitoring/prometheus-k8s-0 has dropped 16 targets because some samples "
                                 "exceeded the configured label_limit, label_name_length_limit")
    assert quoting.matched == "PrometheusLabelLimitHit" and quoting.found
    leading = match_alert(index, "prometheus_dropped_targets_label_limit has dropped 16 targets because some samples "
                                 "exceeded the configured label limit")
    assert not leading.found and leading.confidence <= quoting.confidence / 2 + 0.01


def test_a_short_form_counts_by_the_words_it_stands_for(db):
    # The "k" and "8s" of "k8s" are said by "kubernetes"; counted as words of their own they matched stray
    # letters and figures in runbooks' text, and held the right runbook back.
    load_samples(db, {**SAMPLE_RUNBOOKS,
                      "KubeNodeNotReady": ("A Kubernetes node has not been ready for more than 15 minutes.",
                                           "1. Check the kubelet of the node that shows NotReady."),
                      "PrometheusScrapeSlow": ("Scrapes take longer than their timeout.",
                                               "1. Run `promtool -k` with a timeout of 8s.")})
    index = load_index(db)
    short, spelled = (match_alert(index, f"[Triggered] [P2] {words} node ip-10-0-3-17 reporting NotReady for 10m",
                                  threshold=0.0) for words in ("k8s", "kubernetes"))
    assert short.matched == spelled.matched == "KubeNodeNotReady"
    assert short.evidence.few_terms == spelled.evidence.few_terms  # as many words said, no stray ones
    assert short.confidence == pytest.approx(spelled.confidence, abs=0.02)


def test_a_description_naming_its_node_by_host_name_is_read_as_about_a_node(db):
    # "{{ $labels.node }} has been unready…": the cleaner drops the host name as a label value, which
    # left nothing to tell the node's alert from the pod's.
    load_samples(db, {"KubeNodeNotReady": ("A node has not been ready for more than 15 minutes.", "1. Check the kubelet."),
                      "KubePodNotReady": ("A pod has not been ready for more than 15 minutes.", "1. Describe the pod.")})
    match = match_alert(load_index(db), "ip-10-0-149-54.us-east-2.compute.internal has been unready for more "
                                        "than 15 minutes.")
    assert match.matched == "KubeNodeNotReady" and match.found


def test_a_summary_saying_a_name_in_the_vocabularys_words_names_it_when_the_name_reads_so_too(db):
    # Both sides are worded the same: "has disappeared from Prometheus target discovery" and "is absent"
    # are both "down", so the summary says CephMgrIsAbsent although it shares only two words with it.
    load_samples(db, {**SAMPLE_RUNBOOKS,
                      "CephMgrIsAbsent": ("No Ceph manager is reachable.", "1. Check the mgr pods."),
                      "CephMgrIsMissingReplicas": ("Fewer managers than wanted.", "1. Scale the mgr.")})
    absent = match_alert(load_index(db), "Ceph Manager has disappeared from Prometheus target discovery.")
    assert (absent.matched, absent.reason) == ("CephMgrIsAbsent", "exact name")
    # A wording the names of two alerts share names neither of them.
    load_samples(db, {"CephMgrUnavailable": ("The manager does not answer.", "1. Restart it.")})
    shared = match_alert(load_index(db), "Ceph Manager has disappeared from Prometheus target discovery.")
    assert shared.reason != "exact name"


def test_a_hyphenated_alarm_name_differing_by_one_word_is_another_alert(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "KubeDaemonSetRolloutStuck": (
        "A DaemonSet rollout, like a deployment's, has not progressed.", "1. Check the DaemonSet's pods.")})
    assert match_alert(load_index(db), 'ALARM: "prod-kube-daemon-set-rollout-stuck" in EU (Ireland)').found
    assert not match_alert(load_index(db), 'ALARM: "prod-kube-deployment-rollout-stuck" in EU (Ireland)').found


def test_a_teams_own_alarm_name_in_other_words_is_read_as_words_about_the_condition(db):
    # CloudWatch and Datadog alarms are named by the team ("prometheus-tsdb-block-reload-failures"), not
    # after the upstream alert: unlike a display name ("Prometheus Tsdb Block Reload Failures") or the
    # runbook's name with a word more, such a name is weighed by the text match like any other words.
    load_samples(db, {**SAMPLE_RUNBOOKS, "PrometheusTSDBReloadsFailing": (
        "Prometheus has failed to reload blocks from disk: its TSDB reloads keep failing.",
        "1. Read the Prometheus logs for the block that does not load.")})
    index = load_index(db)
    own = match_alert(index, "CloudWatch Alarm | prometheus-tsdb-block-reload-failures | us-east-2")
    assert own.matched == "PrometheusTSDBReloadsFailing" and own.found
    display = match_alert(index, "[FIRING:1] Prometheus Tsdb Block Reload Failures (prod)")
    assert not display.found and display.confidence < own.confidence


def test_a_teams_alarm_name_saying_another_condition_than_the_runbooks_name_is_another_alert(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "CoreDNSErrorsHigh": (
        "CoreDNS answers many queries with SERVFAIL errors; latency rises and lookups are down.",
        "1. Check the upstream resolvers.")})
    index = load_index(db)
    assert match_alert(index, 'ALARM: "prod-core-dns-errors-too-high" in US East (N. Virginia)').found
    assert not match_alert(index, 'ALARM: "prod-core-dns-latencies-too-high" in US East (N. Virginia)').found
    assert not match_alert(index, "[P2] [Triggered on {cluster:main}] core dns down on web-01").found


def test_a_teams_alarm_name_mostly_in_words_no_runbook_uses_watches_something_else(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "CPUThrottlingHigh": (
        "Processes in a container are throttled by its CPU limit.", "1. Raise the container's CPU limit.")})
    index = load_index(db)
    assert match_alert(index, "CloudWatch Alarm | checkout-pod-cpu-throttling-high | eu-central-1").found
    assert not match_alert(index, "CloudWatch Alarm | lambda-invoice-pdf-cpu-throttling | eu-central-1").found


def test_an_identifier_with_a_word_more_than_a_runbooks_name_is_another_alert(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "CoreDNSErrorsHigh": (
        "CoreDNS answers many queries with SERVFAIL errors.", "1. Check the upstream resolvers.")})
    assert match_alert(load_index(db), "[FIRING:1] CoreDNSErrorsHigh (coredns critical)").found
    assert not match_alert(load_index(db), "[FIRING:1] CoreDNSForwardErrorsHigh (coredns critical)").found


def test_a_runbook_named_for_an_absence_answers_only_an_alert_that_says_one(kb):
    assert match_alert(load_index(kb), "etcd cluster has no leader").matched == "etcdNoLeader"
    elections = match_alert(load_index(kb), "etcd cluster has frequent leader elections")
    assert elections.matched != "etcdNoLeader"


@pytest.mark.parametrize("title", [
    "etcd cluster leaderless for over a minute on prod", "etcd leader gone on prod-ap", "etcd leader isn't elected",
    "etcd leader election stopped on prod-ap", "etcd cluster reports Leader=False",
])
def test_an_absence_said_with_less_gone_or_a_contraction_is_one(kb, title):
    assert match_alert(load_index(kb), title).matched == "etcdNoLeader"


def test_an_alert_documented_twice_offers_the_other_page_once_as_a_link(kb):
    for team in ("platform", "storage"):
        store_runbook(kb, f"{SITE}/{team}/etcd-no-leader/", sample_runbook("etcdNoLeader", "No leader.", "1. Look."))
    match = match_alert(load_index(kb), "[FIRING:1] etcdNoLeader")
    assert match.reason == "exact name" and match.alternatives == ("etcdNoLeader",)
    assert len(match.alternative_urls) == 1 and match.alternative_urls[0] != match.url


def test_a_name_spelled_out_in_words_needs_the_runbooks_name_word_for_word(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, "CoreDNSErrorsHigh": (
        "CoreDNS answers many queries with SERVFAIL errors.", "1. Check the upstream resolvers.")})
    assert not match_alert(load_index(db), "[P2] core dns forward errors high on prod-east").found
    assert not match_alert(load_index(db), "Core Dns Forward Errors High - prod").found
    assert match_alert(load_index(db), "CoreDNS answers with many errors").matched == "CoreDNSErrorsHigh"


def test_a_long_running_processs_index_is_kept_out_of_the_cyclic_collectors_passes_when_it_asks(kb):
    import gc
    assert gc.get_freeze_count() == 0
    LiveIndex(check_seconds=0).current(kb)
    assert gc.get_freeze_count() == 0  # a library call freezes nothing of its caller's
    live = LiveIndex(check_seconds=0)
    live.keep_out_of_the_collector()
    live.current(kb)
    try:
        assert gc.get_freeze_count() > 0  # the index built, and all before it, frozen
    finally:
        gc.unfreeze()


def test_the_live_index_follows_a_runbook_changed_on_the_site_without_a_restart(kb):
    runbooks = LiveIndex(check_seconds=0)
    assert match_alert(runbooks.current(kb), "[FIRING:1] KafkaConsumerLagHigh").matched is None
    page = f"{SITE}/streaming/kafka/"
    store_runbook(kb, page, sample_runbook("KafkaConsumerLagHigh", "Consumers fall behind.", "1. Add consumers."))
    assert match_alert(runbooks.current(kb), "[FIRING:1] KafkaConsumerLagHigh").matched == "KafkaConsumerLagHigh"
    # The page is edited: its runbook renamed.  The old name is gone, the new one answers.
    store_runbook(kb, page, sample_runbook("KafkaConsumerGroupLag", "A consumer group falls behind.",
                                           "1. Add consumers to the group."))
    index = runbooks.current(kb)
    assert match_alert(index, "[FIRING:1] KafkaConsumerLagHigh").matched is None
    assert match_alert(index, "KafkaConsumerGroupLag-prod").matched == "KafkaConsumerGroupLag"
    assert match_alert(index, "KubePodCrashLooping").matched == "KubePodCrashLooping"  # other pages untouched


def test_the_live_index_is_built_anew_when_most_pages_changed_and_answers_meanwhile(kb):
    import threading
    runbooks = LiveIndex(check_seconds=0)
    first = runbooks.current(kb)
    pages = sorted({first.runbook(doc).record.page_url for doc in range(len(first._docs))})
    for number, page in enumerate(pages):  # a site-wide re-crawl: every page's text changed
        store_runbook(kb, page, sample_runbook(f"SiteRunbook{number}", "Something is wrong.", "1. Fix it."))
    # Another thread refreshing it: the index as it is answers at once, no caller waits for the rebuild.
    runbooks._lock.acquire()
    try:
        waited = threading.Thread(target=lambda: runbooks.current(kb))
        waited.start()
        waited.join(timeout=5)
        assert not waited.is_alive() and runbooks.current(kb) is first
    finally:
        runbooks._lock.release()
    rebuilt = runbooks.current(kb)
    assert rebuilt is not first and rebuilt.removed_slots == 0  # a new index, not a patched one
    assert match_alert(rebuilt, "SiteRunbook0").matched == "SiteRunbook0"
    assert match_alert(rebuilt, "KubePodCrashLooping").matched is None  # its page now holds another runbook


QUOTING_RUNBOOKS = {
    "CephClusterNearFull": ("Storage cluster utilization has crossed 75% and will become read-only at 85%. Free up "
                            "some space or expand the storage cluster.", "1. Delete unneeded data."),
    "CephClusterReadOnly": ("Storage cluster utilization has crossed 85% and will become read-only now. Free up some "
                            "space or expand the storage cluster immediately.", "1. Delete data at once."),
}


def test_a_runbook_that_quotes_the_alerts_description_answers_it(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, **QUOTING_RUNBOOKS})
    # The words say "read-only", the sibling's name; the runbook that repeats the description is the alert's.
    match = match_alert(load_index(db), "[FIRING:1] Storage cluster utilization has crossed 75% and will become "
                                        "read-only at 85%. Free up some space or expand the storage cluster. (warning)")
    assert match.matched == "CephClusterNearFull" and match.confidence >= QUOTED_CONFIDENCE


def test_words_both_sibling_runbooks_say_are_no_quotation(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, **QUOTING_RUNBOOKS})
    match = match_alert(load_index(db), "Free up some space or expand the storage cluster on prod-ceph-2")
    assert match.confidence < QUOTED_CONFIDENCE


def test_a_quotation_of_a_sentence_about_another_subject_is_no_answer(db):
    # kube-prometheus' volume alert and ODF's cluster alert share their sentence but for what it is about.
    load_samples(db, {**SAMPLE_RUNBOOKS, **QUOTING_RUNBOOKS, "PersistentVolumeUsageCritical": (
        "A PVC (a claimed volume) is almost full.", "1. Expand the PVC.")})
    index = load_index(db)
    volume = match_alert(index, "PVC prometheus-db-0 utilization has crossed 85% and will become read-only now. Free up "
                                "some space or expand the PVC immediately.", threshold=0.0)
    assert volume.confidence < QUOTED_CONFIDENCE  # no quotation: ranked on its words like any other message
    # The subject said by the quoting runbook: its quotation answers.
    for title in ("Storage cluster utilization has crossed 85% and will become read-only now. Free up some space or "
                  "expand the storage cluster immediately.",
                  "Critical: Storage cluster utilization has crossed 85% and will become read-only now. Free up some "
                  "space or expand the storage cluster immediately."):
        cluster = match_alert(index, title)
        assert cluster.matched == "CephClusterReadOnly" and cluster.confidence >= QUOTED_CONFIDENCE


def test_a_quotation_is_one_run_of_words_in_one_place():
    text = ("a", "b", "x", "b", "c")  # "a b" and "b c", never "a b c"
    quotable = text, {word: [place for place, said in enumerate(text) if said == word] for word in text}
    assert _quotation(["a", "b", "c"], quotable).words == ("a", "b")
    assert _quotation(["d", "x", "b", "c"], quotable).words == ("x", "b", "c")
    assert _quotation(["d", "e"], quotable).words == ()


def test_a_number_next_to_a_quotation_that_is_another_in_the_runbook_is_another_threshold(db):
    words = "storage utilization has crossed 75 and will become read only".split()
    quotable = tuple(words), {word: [place for place, said in enumerate(words) if said == word] for word in words}
    assert not _quotation("utilization has crossed 75 and will become read only".split(), quotable).other_number
    assert _quotation("utilization has crossed 80 and will become read only".split(), quotable).other_number
    assert not _quotation("utilization has crossed the 80 mark".split(), quotable).other_number  # a word, no number
    load_samples(db, {**SAMPLE_RUNBOOKS, **QUOTING_RUNBOOKS})
    critical = match_alert(load_index(db), "Triggered 87708: Storage cluster utilization has crossed 80% and will "
                                           "become read-only at 85%. Free up some space or expand the storage cluster.")
    assert critical.confidence < QUOTED_CONFIDENCE


def test_a_quotation_does_not_answer_a_message_that_names_another_alert(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, **QUOTING_RUNBOOKS})
    match = match_alert(load_index(db), "[FIRING:1] CephClusterAlmostReadOnly: Storage cluster utilization has "
                                        "crossed 75% and will become read-only at 85%.")
    assert not match.found


def test_of_an_alerts_severities_the_one_the_message_says_ranks_first(db):
    queue = ("The guest's vCPU run queue is longer than its threshold.", "1. Check the guest's CPU load.")
    capacity = ("The NooBaa system is approaching its capacity.", "1. Add backing stores.")
    load_samples(db, {**SAMPLE_RUNBOOKS, "GuestVCPUQueueHighWarning": queue, "GuestVCPUQueueHighCritical": queue,
                      **{f"NooBaaSystemCapacityWarning{level}": capacity for level in (85, 95, 100)}})
    index = load_index(db)

    def first(title):
        return index.runbook(ranked_candidates(index, title)[0][0]).record.alert_name

    assert first("[FIRING:1] Guest vCPU run queue is longer than its threshold (critical)") == "GuestVCPUQueueHighCritical"
    assert first("*[WARNING]* Guest vCPU run queue is longer than its threshold") == "GuestVCPUQueueHighWarning"
    assert first("A NooBaa system is approaching its capacity, usage is more than 95%") == "NooBaaSystemCapacityWarning95"
    assert first("A NooBaa system is approaching its capacity, usage is more than 85%") == "NooBaaSystemCapacityWarning85"


def test_a_variant_the_message_tells_apart_is_no_rival_and_one_it_does_not_stays_one(db):
    capacity = ("The NooBaa system is approaching its capacity.", "1. Add backing stores.")
    load_samples(db, {**SAMPLE_RUNBOOKS, **{f"NooBaaSystemCapacityWarning{level}": capacity for level in (85, 95, 100)}})
    index = load_index(db)
    said = match_alert(index, "A NooBaa system is approaching its capacity, usage is more than 95%")
    assert said.matched == "NooBaaSystemCapacityWarning95" and said.confidence >= DEFAULT_THRESHOLD
    assert said.evidence.margin > 0.5
    # Without the number the three are as likely as each other: each is the others' rival.
    unsaid = match_alert(index, "A NooBaa system is approaching its capacity")
    assert unsaid.evidence.margin == 0.0 and unsaid.confidence < said.confidence
    # Nor does a count of firings or an incident's number say one ("[FIRING:100]", "#95").
    for counted in ("Triggered #95 [FIRING:100] A NooBaa system is approaching its capacity",
                    "Triggered 85: [FIRING:85] A NooBaa system is approaching its capacity"):
        assert match_alert(index, counted).evidence.margin == 0.0


def test_the_share_of_a_quota_a_description_says_ranks_the_quota_alert_for_it_first(db):
    # kube-prometheus' three quota alerts share one description, "Namespace X is using V of its Y quota.";
    # only the value tells them apart.
    load_samples(db, {**SAMPLE_RUNBOOKS,
                      "KubeQuotaAlmostFull": ("Cluster reaches to the allowed limits for given namespace.", "1. Check."),
                      "KubeQuotaFullyUsed": ("Cluster reached allowed limits for given namespace.", "1. Check."),
                      "KubeQuotaExceeded": ("Cluster reaches to the allowed hard limits for given namespace.", "1. Check.")})
    index = load_index(db)

    def first(title):
        doc = ranked_candidates(index, title)[0][0]
        return index.runbook(doc).record.display_name

    assert first("Namespace checkout is using 112% of its cpu quota.") == "KubeQuotaExceeded"
    assert first("Namespace checkout is using 100% of its pods quota.") == "KubeQuotaFullyUsed"
    assert first("Namespace checkout is using 93% of its memory quota.") == "KubeQuotaAlmostFull"


# Siblings told apart by the share of the quota each fires at.
POOL_QUOTA_SIBLINGS = {
    "CephPoolQuotaBytesNearExhaustion": ("Storage pool quota usage has crossed 70%. A pool is approaching its quota.",
                                         "1. Raise the quota."),
    "CephPoolQuotaBytesCriticallyExhausted": ("Storage pool quota usage has crossed 90%. A pool is approaching its "
                                              "quota.", "1. Raise the quota."),
}
# Siblings told apart by the headroom each fires below: what is left, which no share used compares with.
GUEST_MEMORY_SIBLINGS = {
    "KubeVirtVMGuestMemoryAvailableLow": ("The guest's memory headroom has been low (<3% headroom) for a long "
                                          "period.", "1. Add memory to the VM."),
    "KubeVirtVMGuestMemoryPressure": ("The guest is under memory pressure: headroom < 5% with swapping.",
                                      "1. Add memory to the VM."),
}


def test_of_siblings_told_apart_by_a_threshold_the_one_whose_runbook_states_the_said_one_ranks_first(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, **POOL_QUOTA_SIBLINGS})
    index = load_index(db)
    for figure, name in (("90", "CephPoolQuotaBytesCriticallyExhausted"), ("70", "CephPoolQuotaBytesNearExhaustion")):
        match = match_alert(index, f"Storage pool replicapool quota usage has crossed {figure}%.")
        assert match.evidence is not None and match.matched == name
        assert match.evidence.margin > 0.5  # the sibling stating another threshold is no rival


def test_of_siblings_told_apart_by_a_threshold_a_share_used_between_them_is_the_lower_ones_above_both_the_higher(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, **POOL_QUOTA_SIBLINGS})
    index = load_index(db)
    for figure, name in (("74", "CephPoolQuotaBytesNearExhaustion"), ("92", "CephPoolQuotaBytesCriticallyExhausted")):
        match = match_alert(index, f"Ceph pool replicapool at {figure}% of its quota usage")
        assert match.evidence is not None and match.matched == name
        assert match.evidence.margin > 0.5  # the sibling whose band the share is not in is no rival
    # Of three siblings, the highest threshold the share has reached.
    load_samples(db, {"CephPoolQuotaBytesFull": ("Storage pool quota usage has crossed 100%. A pool is approaching "
                                                 "its quota.", "1. Raise the quota.")})
    index = load_index(db)
    assert match_alert(index, "Ceph pool replicapool at 92% of its quota usage").matched == \
        "CephPoolQuotaBytesCriticallyExhausted"
    assert match_alert(index, "Ceph pool replicapool at 100% of its quota usage").matched == "CephPoolQuotaBytesFull"
    # An alarm name writes the share as "pct".
    alarm = match_alert(index, 'ALARM: "ceph-pool-replicapool-quota-usage-92pct" in US East (N. Virginia)')
    assert alarm.matched == "CephPoolQuotaBytesCriticallyExhausted"
    # Below both thresholds, or a share of what is left, tells neither.
    for title in ("Ceph pool replicapool at 40% of its quota usage", "Ceph pool replicapool quota usage: 8% left"):
        assert match_alert(index, title).evidence.margin < 0.5


def test_siblings_whose_runbooks_state_what_is_left_are_not_told_apart_by_a_share_used(db):
    load_samples(db, {**SAMPLE_RUNBOOKS, **GUEST_MEMORY_SIBLINGS})
    index = load_index(db)
    match = match_alert(index, "VM guest memory 96% used")
    assert match.evidence is not None and match.evidence.margin < 0.5  # neither sibling's band holds 96 % used


def test_a_sibling_named_for_the_other_side_of_a_contrast_the_message_says_is_no_rival_nor_its_quotation(db):
    load_samples(db, {**SAMPLE_RUNBOOKS,
                      "NodeFilesystemSpaceFillingUp": ("Filesystem is predicted to run out of space within the "
                                                       "next hours at the current rate.", "1. Free space."),
                      "NodeFilesystemFilesFillingUp": ("Filesystem is predicted to run out of inodes within the "
                                                       "next hours at the current rate.", "1. Delete small files.")})
    index = load_index(db)
    space = match_alert(index, "Filesystem is predicted to run out of space within the next 4 hours.")
    assert space.matched == "NodeFilesystemSpaceFillingUp" and space.reason == "text match"
    assert space.evidence.margin > 0.5  # the files sibling, which the message does not say, is no rival
    # Saying neither side, the two stay each other's rivals.
    either = match_alert(index, "Filesystem is predicted to fill up within the next 4 hours.")
    assert either.evidence.margin < 0.5


def test_alerts_of_other_products_sharing_two_name_words_are_no_threshold_siblings(db):
    load_samples(db, {**SAMPLE_RUNBOOKS,
                      "CoreDNSErrorsHigh": ("CoreDNS is returning SERVFAIL errors for more than 1% of requests.",
                                            "1. Check the upstream resolvers."),
                      "VirtHandlerRESTErrorsHigh": ("More than 5% of the REST calls of virt-handler failed.",
                                                    "1. Check the API server.")})
    match = match_alert(load_index(db), "CoreDNS is returning errors for 5% of requests")
    assert match.matched != "VirtHandlerRESTErrorsHigh"
