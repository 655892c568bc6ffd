"""A runbook's name found anywhere in an alert message, in any spelling (matching.names, through match_alert)."""
import pytest

from matching.index import RunbookIndex, RunbookRecord
from matching.matcher import match_alert
from matching.names import atoms_of, name_mentions
from matching.titles import name_key

SITE = "https://runbooks.example.test"


def runbook(runbook_id, name, meaning, body):
    page_url = f"{SITE}/{name}.md"
    return RunbookRecord(runbook_id=runbook_id, page_url=page_url, title=name, alert_name=name, url=page_url,
                         kind="runbook", meaning=meaning, body=body, names=((name_key(name), name, "title"),))


RUNBOOKS = [
    runbook(1, "KubeDeploymentReplicasMismatch",
            "A deployment has had fewer available pods than it asks for over the last quarter of an hour.",
            "1. Check the rollout with kubectl rollout status. 2. Describe the pods that are not ready and read "
            "their events. 3. Look for a quota or a node selector that keeps new pods pending. 4. Roll back the "
            "last change if the new pods crash."),
    runbook(2, "etcdBackendQuotaLowSpace",
            "The etcd database is close to its backend quota; once it is full the cluster refuses every write.",
            "1. Read each member's database size with etcdctl endpoint status. 2. Compact the key space. "
            "3. Defragment one member at a time. 4. Raise the quota only after finding what grew."),
    runbook(3, "NetworkAddonsConfigNotReady",
            "The cluster network addons operator reports its configuration is not ready, so secondary networks "
            "cannot be attached to virtual machines.",
            "1. Read the conditions of the network addons config resource. 2. Check the operator's pod logs in "
            "the openshift-cnv namespace. 3. Look for a component whose daemon set has not rolled out."),
    runbook(4, "CephMonHighNumberOfLeaderChanges",
            "The storage cluster's monitors keep electing a new leader, usually because of network latency or "
            "slow disks under a monitor.",
            "1. Search the monitor logs for election messages. 2. Measure the latency between monitor hosts. "
            "3. Look at disk latency on each monitor's host. 4. Move a monitor off an overloaded host."),
    runbook(5, "OSDCPULoadHigh",
            "An object storage daemon uses most of the processor time of its host.",
            "1. Find the busy daemon with top on the storage host. 2. Check whether recovery or scrubbing runs. "
            "3. Spread the daemons over more hosts if the load stays high."),
    runbook(6, "KubeAPITerminatedRequests",
            "The API server turns away a large share of incoming requests because of flow control.",
            "1. Look at the flow schemas and priority levels. 2. Find the client sending the most requests. "
            "3. Ask its owners to back off, or raise its priority level's share."),
    runbook(7, "Watchdog",
            "An alert that always fires, to prove that the whole alerting pipeline works.",
            "1. Nothing needs doing while it fires. 2. If the watchdog stops arriving at the receiver, check that "
            "the monitoring stack runs. 3. Check that the receiver's webhook still answers."),
    runbook(8, "NooBaaSystemCapacityWarning85",
            "The object gateway's storage is 85 percent used.",
            "1. Check the usage of each backing store. 2. Delete what is no longer needed. 3. Add a backing "
            "store with free space before writes fail."),
    runbook(9, "CoreDNSErrorsHigh",
            "The cluster DNS server answers many queries with a server failure.",
            "1. Read the DNS pods' logs. 2. Check that the upstream resolvers answer. 3. Look for a loop in "
            "the forward configuration."),
    runbook(10, "NodeDown",
            "A host has stopped reporting to monitoring.",
            "1. Ping the host. 2. Check its power and network in the cloud console. 3. Drain it if it comes "
            "back unhealthy."),
    runbook(11, "AlertmanagerFailedToSendAlerts",
            "An Alertmanager instance fails to deliver notifications to one of its receivers.",
            "1. Read the Alertmanager logs for the integration that fails. 2. Check the receiver's credentials. "
            "3. Check that the receiver's endpoint answers."),
]
INDEX = RunbookIndex(RUNBOOKS)


def assert_answered_by_name(title, name):
    match = match_alert(INDEX, title)
    assert (match.matched, match.reason, match.confidence) == (name, "exact name", 1.0), title


def mentions_in(text):
    found = name_mentions(text, INDEX.known_keys, INDEX.name_vocabulary, INDEX.prose_words, INDEX.key_starts)
    # Runs that no known key starts with are given up early; that must change nothing found.
    assert found == name_mentions(text, INDEX.known_keys, INDEX.name_vocabulary, INDEX.prose_words)
    return [mention.key for mention in found]


@pytest.mark.parametrize("title", [
    "KubeDeploymentReplicasMismatch", "kube_deployment_replicas_mismatch", "kube-deployment-replicas-mismatch",
    "prod.KubeDeploymentReplicasMismatch", "KUBE_DEPLOYMENT_REPLICAS_MISMATCH", "Kube Deployment Replicas Mismatch",
    "kubedeploymentreplicasmismatch",
])
def test_a_name_in_any_spelling_is_answered_by_name(title):
    assert_answered_by_name(title, "KubeDeploymentReplicasMismatch")


@pytest.mark.parametrize("title, name", [
    ("etcd_backend_quota_low_space", "etcdBackendQuotaLowSpace"),
    ("ETCD_BACKEND_QUOTA_LOW_SPACE", "etcdBackendQuotaLowSpace"),
    ("Etcd Backend Quota Low Space", "etcdBackendQuotaLowSpace"),
    ("NETWORK_ADDONS_CONFIG_NOT_READY", "NetworkAddonsConfigNotReady"),
    ("cephmonhighnumberofleaderchanges", "CephMonHighNumberOfLeaderChanges"),
    ("CEPH_MON_HIGH_NUMBER_OF_LEADER_CHANGES", "CephMonHighNumberOfLeaderChanges"),
    ("Ceph Mon High Number Of Leader Changes", "CephMonHighNumberOfLeaderChanges"),
    ("osd_cpu_load_high", "OSDCPULoadHigh"),
    ("OSD CPU Load High", "OSDCPULoadHigh"),
    ("kube-api-terminated-requests", "KubeAPITerminatedRequests"),
    ("noobaa_system_capacity_warning_85", "NooBaaSystemCapacityWarning85"),
    ("NooBaa System Capacity Warning 85", "NooBaaSystemCapacityWarning85"),
])
def test_every_runbooks_name_is_answered_in_snake_upper_spaced_and_run_together_shapes(title, name):
    assert_answered_by_name(title, name)


@pytest.mark.parametrize("title, name", [
    ("KubeDeploymentReplicasMismatch-use1", "KubeDeploymentReplicasMismatch"),
    ("KubeDeploymentReplicasMismatch-ocp-prod-01", "KubeDeploymentReplicasMismatch"),
    ("stg.KubeDeploymentReplicasMismatch", "KubeDeploymentReplicasMismatch"),
    ("KubeDeploymentReplicasMismatch_production", "KubeDeploymentReplicasMismatch"),
    ("eu-west-1.KubeDeploymentReplicasMismatch", "KubeDeploymentReplicasMismatch"),
    ("OSDCPULoadHigh-ocp-prod-01", "OSDCPULoadHigh"),
    ("osd-cpu-load-high-prod", "OSDCPULoadHigh"),
    ("network-addons-config-not-ready_stg", "NetworkAddonsConfigNotReady"),
    ("use1-NooBaaSystemCapacityWarning85", "NooBaaSystemCapacityWarning85"),
    ("NooBaaSystemCapacityWarning85_production", "NooBaaSystemCapacityWarning85"),
    ("prod.Watchdog", "Watchdog"),
])
def test_a_name_joined_to_an_environment_region_or_cluster_is_found(title, name):
    assert_answered_by_name(title, name)


@pytest.mark.parametrize("title, name", [
    ('Grafana alert "KubeDeploymentReplicasMismatch" is firing', "KubeDeploymentReplicasMismatch"),
    ('Grafana alert "kube deployment replicas mismatch" is firing', "KubeDeploymentReplicasMismatch"),
    ('Grafana alert "osd-cpu-load-high" is firing', "OSDCPULoadHigh"),
    ('Grafana alert "Watchdog" is firing', "Watchdog"),
])
def test_a_name_inside_quotes_is_found(title, name):
    assert_answered_by_name(title, name)


@pytest.mark.parametrize("title, name", [
    ("Triggered #90539 [FIRING:2] openshift-cnv (NetworkAddonsConfigNotReady warning)", "NetworkAddonsConfigNotReady"),
    ("[FIRING:3] monitoring (KubeDeploymentReplicasMismatch api-7f9 critical)", "KubeDeploymentReplicasMismatch"),
    ("[FIRING:1] Watchdog (prometheus-k8s none)", "Watchdog"),
])
def test_a_name_among_alertmanagers_label_values_of_a_grouped_subject_is_found(title, name):
    assert_answered_by_name(title, name)


@pytest.mark.parametrize("title, name", [
    ("seeing KubeDeploymentReplicasMismatch-ocp-prod-01 again in eks-data-prod, is someone on it?",
     "KubeDeploymentReplicasMismatch"),
    ("seeing etcdBackendQuotaLowSpace-ocp-prod-01 again in eks-data-prod, is someone on it?",
     "etcdBackendQuotaLowSpace"),
    ("heads up: kube-api-terminated-requests just paged for staging-us-east-1", "KubeAPITerminatedRequests"),
    ("ceph mon high number of leader changes on prod-east, network again?", "CephMonHighNumberOfLeaderChanges"),
])
def test_a_name_in_a_persons_sentence_is_found(title, name):
    assert_answered_by_name(title, name)


@pytest.mark.parametrize("title", [
    "KubeDeploymentReplicasMismatchHigh",
    "kube-deployment-replicas-mismatch-high",
    "KubeDeploymentReplicasMismatchHigh on prod",
    "[FIRING:1] CoreDNSForwardErrorsHigh (coredns critical)",
    "AlertmanagerClusterFailedToSendAlerts",
    "kube_deployment_replicas_mismatch_high",
    "KUBE_DEPLOYMENT_REPLICAS_MISMATCH_HIGH",
    "[FIRING:1] core_dns_forward_errors_high (coredns critical)",
])
def test_an_unknown_identifier_a_word_longer_than_a_runbooks_name_is_not_answered(title):
    match = match_alert(INDEX, title)
    assert not match.found and match.reason == "none"


@pytest.mark.parametrize("title", [
    "kube_deployment_replicas_mismatch_ratio_high", "node-down-eu-errors", "NODE_DOWN_PROD_LEADER_CHANGES",
    "[FIRING:1] node.down.7.high (prod critical)",
])
def test_a_snake_or_kebab_name_going_on_in_words_of_alert_names_is_another_alert(title):
    # As KubeDeploymentReplicasMismatchRatioHigh is, though the word next to the name is none of them.
    assert mentions_in(title) == [] and not match_alert(INDEX, title).found


@pytest.mark.parametrize("title, name", [
    ("node_down_prod", "NodeDown"), ("node-down-eu-west-1", "NodeDown"),
    ("eks-prod-node-down", "NodeDown"), ("cnv-kube-deployment-replicas-mismatch", "KubeDeploymentReplicasMismatch"),
    ("node-down-payments", "NodeDown"), ("kube_deployment_replicas_mismatch_checkout_worker", "KubeDeploymentReplicasMismatch"),
])
def test_a_snake_or_kebab_name_with_an_affix_after_or_a_cluster_before_is_found(title, name):
    assert_answered_by_name(title, name)


def test_an_identifier_a_word_longer_than_a_runbooks_name_is_no_mention_of_it():
    # The precondition: without the extra word, the name is found.
    assert mentions_in("KubeDeploymentReplicasMismatch on prod") == ["kubedeploymentreplicasmismatch"]
    assert mentions_in("KubeDeploymentReplicasMismatchHigh on prod") == []
    assert mentions_in("[FIRING:1] CoreDNSForwardErrorsHigh (coredns critical)") == []


@pytest.mark.parametrize("title, shorter_name", [
    # CephNodeDown (OpenShift Data Foundation) where only a generic NodeDown runbook exists.
    ("Ceph Node Down on prod", "NodeDown"),
    ("ceph node down", "NodeDown"),
    ("Kube Deployment Replicas Mismatch High on prod", "KubeDeploymentReplicasMismatch"),
    ("Core DNS Forward Errors High", "CoreDNSErrorsHigh"),
    ("Alertmanager Cluster Failed To Send Alerts", "AlertmanagerFailedToSendAlerts"),
    ("Ceph Mon High Number Of Leader Changes Node", "CephMonHighNumberOfLeaderChanges"),
])
def test_a_spelled_out_name_with_a_name_word_more_than_a_runbooks_is_not_answered(title, shorter_name):
    match = match_alert(INDEX, title)
    assert not match.found and match.reason == "none"
    assert name_key(shorter_name) not in mentions_in(title)


def test_a_spelled_out_name_without_the_extra_word_is_answered():
    # The counterpart of the cases above: the same words minus the extra one are the runbook's name.
    assert_answered_by_name("Node Down on prod", "NodeDown")
    assert_answered_by_name("alertmanager failed to send alerts on prod", "AlertmanagerFailedToSendAlerts")


def test_an_extra_name_word_next_to_a_spelled_out_name_makes_it_another_alerts():
    vocabulary = {"etcd", "high", "commit", "durations"}
    assert name_mentions("Etcd High Commit on prod", {"etcdhighcommit"}, vocabulary)[0].key == "etcdhighcommit"
    assert name_mentions("Etcd High Commit Durations on prod", {"etcdhighcommit"}, vocabulary) == []
    assert name_mentions("Durations etcd high commit", {"etcdhighcommit"}, vocabulary) == []


def test_a_neighbour_in_another_phrase_does_not_extend_a_spelled_out_name():
    vocabulary = {"etcd", "high", "commit", "durations"}
    found = name_mentions("Durations: etcd high commit", {"etcdhighcommit"}, vocabulary)
    assert [(mention.key, mention.spelled, mention.atoms) for mention in found] == [
        ("etcdhighcommit", "etcd high commit", 3)]


def test_an_environment_region_or_number_next_to_a_name_does_not_extend_it():
    vocabulary = {"etcd", "high", "commit", "durations", "prod", "east"}
    for text in ("etcdHighCommit-prod-east-2", "etcd_high_commit_production", "etcd high commit 2"):
        assert [mention.key for mention in name_mentions(text, {"etcdhighcommit"}, vocabulary)] == ["etcdhighcommit"]


def test_watchdog_as_the_whole_title_is_its_name():
    assert "watchdog" in INDEX.prose_words  # the Watchdog runbook uses the word in its own steps
    for title in ("Watchdog", "watchdog", "[Alerting] Watchdog", "Watchdog on prod", "Watchdog - prod-east"):
        assert_answered_by_name(title, "Watchdog")


@pytest.mark.parametrize("sentence", [
    "the hardware watchdog rebooted node-3 overnight",
    "our watchdog timer fired on db-2, is the kernel ok?",
])
def test_the_word_watchdog_in_a_sentence_is_not_taken_for_its_name(sentence):
    assert "watchdog" in INDEX.prose_words
    assert mentions_in(sentence) == []
    assert match_alert(INDEX, sentence).reason != "exact name"


@pytest.mark.parametrize("sentence", [
    "the hardware watchdog rebooted node-3 overnight",
    "our watchdog timer fired on db-2, is the kernel ok?",
])
def test_a_sentence_about_a_hardware_watchdog_is_not_answered_with_the_watchdog_runbook(sentence):
    assert match_alert(INDEX, sentence).matched != "Watchdog"


def test_a_run_together_name_in_a_sentence_is_no_word_of_prose():
    assert "kubedeploymentreplicasmismatch" not in INDEX.prose_words
    assert_answered_by_name("is kubedeploymentreplicasmismatch back on prod?", "KubeDeploymentReplicasMismatch")


def test_a_run_together_name_is_not_extended_by_a_word_of_names_in_the_sentence():
    # "not" is a word of NetworkAddonsConfigNotReady's name, but it stands apart from the run-together name.
    assert "not" in INDEX.name_vocabulary
    assert_answered_by_name("oh not kubedeploymentreplicasmismatch again, taking it", "KubeDeploymentReplicasMismatch")


@pytest.mark.parametrize("title, name", [
    ("node-down-ca-central-1", "NodeDown"),
    ('INSUFFICIENT_DATA: "prd_node_down_ca" in Canada (Central)', "NodeDown"),
    ("NodeDown-me-south-1", "NodeDown"),
    ("node_down_europe_west1", "NodeDown"),
])
def test_a_cloud_regions_word_that_is_also_a_word_of_names_does_not_extend_a_name(title, name):
    # A runbook named for a CA would make "ca" a word of alert names; joined to a name it is Canada's region.
    index = RunbookIndex(RUNBOOKS + [runbook(12, "KubeletCAExpiration", "The kubelet's CA certificate expires soon.",
                                             "1. Rotate the kubelet CA.")])
    match = match_alert(index, title)
    assert (match.matched, match.reason) == (name, "exact name"), title


@pytest.mark.parametrize("title", [
    "KubeDeploymentReplicasMismatch|high",  # "high" is a word of names (CoreDNSErrorsHigh), past a separator
    "KubeDeploymentReplicasMismatch(high)",
    'KubeDeploymentReplicasMismatch{severity="high"} 1',
    "does anyone have KubeDeploymentReplicasMismatch's runbook handy?",
    "two KubeDeploymentReplicasMismatches in a row on prod",
])
def test_a_name_past_a_separator_possessive_or_plural_is_found(title):
    assert_answered_by_name(title, "KubeDeploymentReplicasMismatch")


def test_a_message_naming_two_runbooks_lists_the_longer_name_first():
    assert mentions_in("kube-api-terminated-requests and Node Down both paged") == [
        "kubeapiterminatedrequests", "nodedown"]
    assert_answered_by_name("kube-api-terminated-requests and Node Down both paged", "KubeAPITerminatedRequests")


def test_a_mention_keeps_the_words_it_was_spelled_with():
    found = name_mentions("heads up: kube-api-terminated-requests just paged", INDEX.known_keys,
                          INDEX.name_vocabulary, INDEX.prose_words)
    assert [(mention.key, mention.spelled, mention.atoms) for mention in found] == [
        ("kubeapiterminatedrequests", "kube api terminated requests", 4)]


def test_atoms_split_tokens_at_name_separators_and_keep_which_token_they_came_from():
    atoms = atoms_of("seeing etcdBackendQuotaLowSpace-ocp-prod-01 again")
    assert [(atom.text, atom.token) for atom in atoms] == [
        ("seeing", 0), ("etcdBackendQuotaLowSpace", 1), ("ocp", 1), ("prod", 1), ("01", 1), ("again", 2)]
    assert [atom.text for atom in atoms_of("a/b:c|d.e_f")] == ["a", "b", "c", "d", "e", "f"]


def test_atoms_leave_out_quotes_brackets_and_urls():
    atoms = atoms_of('Grafana alert "osd-cpu-load-high" is firing (see https://grafana.example.test/d/x?a=1)')
    assert [atom.text for atom in atoms] == ["Grafana", "alert", "osd", "cpu", "load", "high", "is", "firing", "see"]


def test_brackets_and_a_colon_start_a_new_phrase():
    atoms = atoms_of("Triggered #90539 [FIRING:2] openshift-cnv (NetworkAddonsConfigNotReady warning)")
    phrase = {atom.text: atom.phrase for atom in atoms}
    assert phrase["Triggered"] == phrase["90539"]
    assert phrase["FIRING"] < phrase["openshift"] == phrase["cnv"] < phrase["NetworkAddonsConfigNotReady"]
    assert phrase["NetworkAddonsConfigNotReady"] == phrase["warning"]
    heads_up = atoms_of("heads up: kube-api-terminated-requests")
    assert heads_up[1].phrase < heads_up[2].phrase


def test_an_empty_message_has_no_atoms_and_no_mentions():
    assert atoms_of("") == () and atoms_of(None) == ()
    assert mentions_in("") == []


@pytest.mark.parametrize("title", [
    "KubeDeploymentReplicasMismatch@prod-east", "alert=KubeDeploymentReplicasMismatch sev=2",
    "prod/KubeDeploymentReplicasMismatch", "`KubeDeploymentReplicasMismatch` again", "check(KubeDeploymentReplicasMismatch)",
    "firing: KubeDeploymentReplicasMismatch,KubeJobStuck", "KUBEDEPLOYMENTREPLICASMISMATCH",
    "kube.deployment.replicas.mismatch", "Kube-Deployment-Replicas-Mismatch",
])
def test_a_name_between_other_punctuation_or_in_a_list_is_found(title):
    assert_answered_by_name(title, "KubeDeploymentReplicasMismatch")


def test_the_word_a_monitor_appends_does_not_make_a_spelled_out_name_another_alert():
    assert_answered_by_name("[Alerting] Kube Deployment Replicas Mismatch alert", "KubeDeploymentReplicasMismatch")
