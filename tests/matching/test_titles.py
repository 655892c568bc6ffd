"""normalise_alert_title / alert_key / name_key: one alert, one key, however it was decorated."""
import pytest

from matching.titles import alert_key, name_key, name_words, names_a_node, normalise_alert_title


@pytest.mark.parametrize("title, expected", [
    ("Triggered #4821: [FIRING:2] KubePodCrashLooping (api-7f9 default critical)", "KubePodCrashLooping"),
    ("[#4821] KubePodCrashLooping", "KubePodCrashLooping"),
    ("Resolved #77 - [RESOLVED] TargetDown (kubelet 10.0.0.1:10250 kube-system)", "TargetDown"),
    ("[FIRING:1] etcdNoLeader (etcd-0 openshift-etcd critical)", "etcdNoLeader"),
    ("[P2] etcd has no leader on prod-east", "etcd has no leader"),
    ("[Triggered on {host:web-01,env:prod}] High CPU on web-01.prod.example.com", "High CPU"),
    ('ALARM: "prod-api-5xx" in US East (N. Virginia)', "api 5xx"),
    ('OK: "checkout-latency" in EU (Ireland)', "checkout latency"),
    ("|Payments API| Disk 95% full on ip-10-0-1-2.ec2.internal", "Disk full"),
    ("prod.KubePodCrashLooping", "KubePodCrashLooping"),
    ("KubePodCrashLooping-staging", "KubePodCrashLooping"),
    ("kube_pod_crash_looping_prod", "kube_pod_crash_looping"),
    ("Pod default/api-7f9 is crash looping.", "Pod is crash looping"),
    ("[Alerting] Queue depth above 10000 for job 3f9a2c1d7e", "Queue depth above for job"),
    ("Triggered #12: [P1] [Triggered on {service:db}] Replication lag 45s on db-replica-2", "Replication lag"),
    (":red_circle: Triggered #1235 [FIRING:1] KubeJobFailed (batch critical)", "KubeJobFailed"),
    (":rotating_light: CloudWatch Alarm | prod-api-5xx | us-east-1 | Account: 123456789012", "api 5xx"),
    ("[FIRING:1] alertname=KubeQuotaExceeded namespace=payments severity=warning", "KubeQuotaExceeded"),
    ("Disk full on web-1 env=prod team=storage", "Disk full"),
    ('OK -> ALARM: "prod-api-5xx" in US East (N. Virginia)', "api 5xx"),
    ('ALARM -&gt; OK: "prod-api-5xx" in US East (N. Virginia)', "api 5xx"),
    ("CloudWatch Alarm | prod-ns-quota-90pct | us-east-1", "ns quota"),
    ("Triggered 63655: Cluster eks-data-prod has overcommitted CPU resource requests.",
     "Cluster has overcommitted CPU resource requests"),
    ("Kafka cluster under-replicated partitions", "Kafka cluster under-replicated partitions"),
    ("e2e-test-runner failed", "e2e-test-runner failed"),
    ("HTTP 503+ errors", "HTTP 503+ errors"),
    ("[FIRING:1] Control plane node master-2 not ready for 5m+ (cnv-prod)", "Control plane node not ready"),
    # A status condition says what is wrong; a label pair says where.
    ("cluster operator authentication reporting Available=False (env:prod)",
     "cluster operator authentication reporting not Available"),
    ("Cluster operator authentication has reported Degraded=True", "Cluster operator authentication has reported Degraded"),
    # A numbered instance of a kind is that kind: Ceph's daemons, not hosts.
    ("osd.4 crossed 80% full", "osd crossed full"),
    ("ocs-node-4: osd.3 and osd.9 not up", "osd and osd not up"),
    ("staging.2 latency high", "latency high"),  # an environment's instance is still the environment's
])
def test_it_strips_what_varies_between_firings(title, expected):
    assert normalise_alert_title(title) == expected


def test_it_keeps_status_classes_and_short_product_names():
    assert normalise_alert_title("S3 bucket returns 5xx") == "S3 bucket returns 5xx"
    assert normalise_alert_title("EC2 k8s node down") == "EC2 k8s node down"
    assert normalise_alert_title("Job failed on queue orders-7") == "Job failed on queue"


@pytest.mark.parametrize("title", [
    "KubePodCrashLooping", "kube_pod_crash_looping", "kube-pod-crash-looping", "Kube Pod Crash Looping",
    "[FIRING:3] KubePodCrashLooping (web-1 prod warning)", "Triggered #9: prod.KubePodCrashLooping",
])
def test_every_spelling_of_an_alert_has_one_key(title):
    assert alert_key(title) == "kube pod crash looping"
    assert name_key(alert_key(title)) == name_key("KubePodCrashLooping")


def test_the_same_alert_on_different_hosts_has_one_key():
    first = alert_key("[Triggered on {host:web-01}] Disk 91% full on web-01.example.com")
    second = alert_key("[Triggered on {host:db-7}] Disk 97% full on db-7.example.com")
    assert first == second == "disk full"


def test_different_alerts_keep_different_keys():
    assert alert_key("KubePodCrashLooping") != alert_key("KubePodNotReady")
    assert alert_key("etcd has no leader") != alert_key("etcd high commit durations")


def test_a_title_of_only_ids_still_has_a_key():
    assert alert_key("#4821: 10.0.0.1") != ""
    assert alert_key("") == "unknown"


def test_name_words_split_camel_case_acronyms_and_snake_case():
    assert name_words("KubeAPIDown") == ["kube", "api", "down"]
    assert name_words("etcdHighNumberOfFailedGRPCRequests") == ["etcd", "high", "number", "of", "failed", "grpc", "requests"]
    assert name_words("node_filesystem-space FillingUp") == ["node", "filesystem", "space", "filling", "up"]


def test_name_key_ignores_case_and_separators_only():
    assert name_key("MDSCPUUsageHigh") == name_key("MDSCpuUsageHigh") == "mdscpuusagehigh"
    assert name_key("KubeAPIDown") != name_key("KubeAPIErrorBudgetBurn")


def test_odd_unicode_and_control_characters_do_not_break_it():
    assert normalise_alert_title("Kube\u200bPodCrashLooping\x00") == "KubePodCrashLooping"
    assert normalise_alert_title("ＫｕｂｅＰｏｄＣｒａｓｈＬｏｏｐｉｎｇ") == "KubePodCrashLooping"
    assert normalise_alert_title(None) == ""


def test_a_vocabulary_can_keep_the_word_after_a_label_noun():
    title = "Namespace quota is going to be full."
    assert normalise_alert_title(title) == "Namespace is going to be full"
    assert normalise_alert_title(title, is_word={"quota"}.__contains__) == "Namespace quota is going to be full"
    # A label value the vocabulary does not know stays out; the key never consults a vocabulary.
    assert normalise_alert_title("Namespace checkout is using 91% of its memory quota.",
                                 is_word={"quota"}.__contains__) == "Namespace is using of its memory quota"
    assert alert_key(title) == "namespace is going to be full"


@pytest.mark.parametrize("title, reading", [
    # The value before the noun ("in observability namespace"): the word after it is the sentence's verb.
    ("Controller alertmanager in observability namespace fails to reconcile 4 objects.",
     "Controller alertmanager in namespace fails to reconcile objects"),
    ("Reconciling failed in monitoring namespace.", "Reconciling failed in namespace"),
    # The value after it.
    ("Errors in namespace payments-1 are high", "Errors in namespace are high"),
    ("CPU throttling in the namespace openshift-storage is high", "CPU throttling in the namespace is high"),
])
def test_a_namespace_is_left_out_on_whichever_side_of_the_word_it_stands(title, reading):
    assert normalise_alert_title(title) == reading


def test_titles_in_letters_beyond_ascii_keep_their_words_and_differ():
    # One key "unknown" for all of them made what the team taught about one alert apply to every other.
    keys = {alert_key(title) for title in ("Сервис недоступен", "ディスク容量不足", "サービス停止", "Échec de réplication")}
    assert keys == {"сервис недоступен", "ディスク容量不足", "サービス停止", "échec de réplication"}
    assert name_words("KubePodCrashLooping café") == ["kube", "pod", "crash", "looping", "café"]


@pytest.mark.parametrize("title, node", [
    ("ip-10-0-149-54.us-east-2.compute.internal has been unready for more than 15 minutes.", True),
    ("ip-10-0-3-17.ec2.internal interface eth0 has encountered 412 receive errors", True),
    ("gke-prod-pool-1-5704c290-cn8f:9100 interface bond0 has encountered receive errors", True),
    ("aks-nodepool1-12345678-vmss000002 is unreachable", True),
    ("Clock on worker-3.ocp-prod.example.internal is out of sync", True),
    ("System load per core at 10.0.3.4:9100 has been above 2", True),
    # A pod's, a member's or a bare address's name is not a node's; nor a role and number alone (a job's, too).
    ("Job compute-7 failed to complete", False),
    ("Pod payments/api-7f9c4-x2b8k is crash looping", False),
    ("etcd member etcd-0 has no leader", False),
    ("Prometheus 10.128.14.109:9090 failed to send alerts", False),
])
def test_a_nodes_host_name_is_told_from_other_label_values(title, node):
    assert names_a_node(title) is node
