"""On-call synonyms: two wordings of one condition read the same (pure functions)."""
import pytest

from matching.vocabulary import plain_words, quota_condition, ready_condition, without_advice, without_circumstances


@pytest.mark.parametrize("summary, name", [
    ("kubelet has disappeared from prometheus target discovery", "kubelet down"),
    ("no running virt controller was detected for the last min", "virt controller down"),
    ("no running ovn control plane", "ovn control plane down"),
    ("ovn kubernetes control plane is not running", "ovn kubernetes control plane down"),
    ("cluster operator has not been available for minutes", "cluster operator down"),
    ("node has been unready for more than minutes", "node has been not ready"),
    ("pod has been in a non ready state", "pod has been in a not ready state"),
    ("filesystem has less than inodes left", "filesystem has files near full"),
    ("filesystem has less than space left", "filesystem has space near full"),
    ("filesystem at has only available inodes left", "filesystem at has files near full"),
    ("filesystem is predicted to run out of space within the next hours", "filesystem space filling up"),
    ("etcd cluster database is running full", "etcd cluster database near full"),
    ("clock is out of sync by more than", "clock is skew by more than"),
    ("network interface has encountered receive errs", "network interface has encountered receive errors"),
    ("failed prometheus configuration reload", "errors prometheus config reload"),
    ("statefulset has not matched the expected number of replicas", "statefulset mismatch the expected number of replicas"),
    ("daemonset has not finished or progressed", "daemonset rollout stuck"),
    ("zero flows ingested", "no flows ingested"),
    ("virt api pods exist but none are ready", "virt api pods exist but no ready"),
    ("no virt handler pods running", "virt handler down"),
    ("worker eth0 rx errors", "worker eth0 receive errors"),
    ("ns is at of its quota", "namespace is at of its quota"),
    ("prom operator list calls failing", "prometheus operator list calls errors"),
    ("ceph health warn for minutes", "ceph warning state"),
    ("odf ceph health err", "odf ceph errors state"),
    ("osd and osd not up", "osd and osd down"),
    ("the cluster is not up to date", "the cluster is not up to date"),
    ("a ceph osd keeps going down and coming back up", "a ceph osd keeps flapping"),
    ("nic bond on worker keeps bouncing up down", "nic bond on worker flapping"),
    ("ses bounce rate high", "ses bounce rate high"),
    ("traffic dropped by networkpolicy rules", "traffic dropped by netpol rules"),
    ("denied by network policies", "denied by netpol"),
    ("disk nvme1n1 has been busy", "disk nvme1n1 has been utilization"),
    ("it has appeared unavailable times averaged over the past", "it has appeared errors averaged over the past"),
    ("the aggregated api is unavailable", "the aggregated api down"),
    ("a namespace is getting close to its resource quota", "a namespace resource quota almost full"),
    ("the bucket claim is approaching the quota", "the bucket claim quota almost full"),
    ("more than one ceph osd release is running", "ceph osd version mismatch is running"),
    ("multiple versions of kubernetes components running", "version mismatch of kubernetes components running"),
    ("deployment has not progressed", "deployment rollout stuck"),
    ("the compactor has not completed a compaction", "the compactor stuck a compaction"),
    ("the service is not up and running", "the service is not up and running"),
    ("kubelet serving cert expires in days", "kubelet server certificate expiration"),
    ("ocp node rootfs free under pct", "openshift node root filesystem free under pct"),
    ("masters total mem over pct", "masters total memory over pct"),
    ("k 8s api client errors", "kubernetes api client errors"),
    ("odf storage node ocs worker offline", "odf storage node ocs worker down"),
    ("container restart loop payments api", "container crash looping payments api"),
    ("pod keeps restarting", "pod crash looping"),
    ("prometheus could not scrape collector component", "prometheus down collector component"),
    ("collector cannot be scraped", "collector down"),
    ("alertmanager instances within the cluster have restarted at least times", "alertmanager instances within the cluster crash looping"),
    ("pod is restarting times minutes", "pod crash looping minutes"),
    ("kubelet serving certificate on worker expires in days", "kubelet server certificate on worker expiration"),
    ("alertmanager instances within the same cluster have different configurations",
     "alertmanager instances within the same cluster have mismatch config"),
    ("alertmanager config inconsistent", "alertmanager config mismatch"),
])
def test_a_summarys_wording_becomes_the_names_wording(summary, name):
    assert plain_words(summary) == name


@pytest.mark.parametrize("words", [
    "kube pod crash looping", "node filesystem almost out of files", "etcd no leader", "target down",
    "kube node unreachable", "kube quota fully used", "ceph mgr down", "kubelet server certificate expiration",
])
def test_names_already_in_the_canonical_wording_stay_as_they_are(words):
    # Applied to both sides, a rule may only join wordings: a plain name must not be rewritten away.
    assert plain_words(words) == words.replace("almost out of files", "files near full")


def test_both_spellings_of_one_condition_meet():
    assert plain_words("etcd database quota low space") == "etcd database quota near full"
    assert plain_words("storage cluster is nearing full") == plain_words("storage cluster near full")
    assert plain_words("kube node not ready") == plain_words("kube node unready")
    assert plain_words("  spaced   words ") == "spaced words"
    assert plain_words("ceph mgr is absent") == plain_words("ceph manager is not running") == "ceph mgr down"
    # Not brought up to date for too long is stale; not synced, without "for too long", is another condition.
    assert plain_words("controller has not successfully synced any changes to the northbound database for too long") \
        == "controller stale any changes to the northbound database"
    assert plain_words("the feed has not been updated for too long") == "the feed stale"
    assert plain_words("the cache has not been refreshed") == "the cache has not been refreshed"
    assert plain_words("the node has not updated its status and the job has been running for too long") \
        == "the node has not updated its status and the job has been running for too long"  # another clause
    assert plain_words("node clock has not synced") == "node clock has not synced"
    assert plain_words("the volume has status failed") == "the volume has status errors"
    assert plain_words("object storage daemons") == plain_words("OSDs".lower()) == "osd"


@pytest.mark.parametrize("reading, condition", [
    ("StatefulSet has not matched the expected number of replicas for longer than minutes on cluster eks-data",
     "StatefulSet has not matched the expected number of replicas"),
    ("interface has encountered receive errors in the last two minutes", "interface has encountered receive errors"),
    ("Prometheus has detected reload failures over the last", "Prometheus has detected reload failures"),
    ("Storage cluster is in error state for more than", "Storage cluster is in error state"),
    ("Pods of DaemonSet are not scheduled for at least", "Pods of DaemonSet are not scheduled"),
    ("OBC has crossed of the quota in namespace:cluster data-pipeline:ocs", "OBC has crossed of the quota"),
    ("Disk not accessible", "Disk not accessible"),
    ("Etcd loss of cluster quorum", "Etcd loss of cluster quorum"),
    ("Unschedulable pods for cluster autoscaler", "Unschedulable pods for cluster autoscaler"),
    ("Errors in the last deployment", "Errors in the last deployment"),
    ("Kubelet down on cluster", "Kubelet down"),
])
def test_when_and_where_an_alert_fires_is_not_part_of_its_condition(reading, condition):
    assert without_circumstances(reading) == condition


def test_a_rule_window_that_is_the_condition_itself_stays():
    # "within the next hours" goes, "predicted to run out of space" stays: that is what FillingUp says.
    assert without_circumstances("Filesystem is predicted to run out of space within the next hours") \
        == "Filesystem is predicted to run out of space"
    assert without_circumstances("Storage cluster is in a degraded state") == "Storage cluster is in a degraded state"


@pytest.mark.parametrize("title, condition", [
    ("Namespace checkout is using 112% of its cpu quota.", "exceeded"),
    ("Namespace checkout is using 100% of its pods quota.", "fully used"),
    ("Namespace checkout is using 91.5 % of its requests.memory quota.", "almost full"),
    # Less than that is only a figure: the quota alert for it says so in words of its own.
    ("OBC has crossed 80% of the quota(bytes) in namespace:cluster data-pipeline:ocs", ""),
    ("The kubernetes apiserver has terminated 21% of its incoming requests.", ""),
    ("Namespace checkout quota is almost full", ""),
    # As a team's alarm names write it.
    ("CloudWatch Alarm | ns-data-pipeline-resourcequota-90pct | eu-west-1", "almost full"),
    ('ALARM: "ns-ml-training-quota-100pct-used" in US West (Oregon)', "fully used"),
    ("ns-payments-quota-50pct", ""),
    # Not another thing's quota, nor what is left of one.
    ("ceph-pool-replicapool-quota-100pct", ""),
    ("obc-photos-quota-100pct-used", ""),
    ("ns-payments-quota-10pct-free", ""),
])
def test_the_share_of_a_quota_a_title_says_is_the_condition_quota_alerts_name(title, condition):
    assert quota_condition(title) == condition


@pytest.mark.parametrize("text, condition", [
    ("7 nodes have max ICMP RTT latency > 100ms over the last 24h. Investigate network health. Query 'max(x)' to "
     "see affected nodes.", "7 nodes have max ICMP RTT latency > 100ms over the last 24h."),
    ("Ceph OSD requests are taking too long to process. Please check ceph status to find out the cause.",
     "Ceph OSD requests are taking too long to process."),
    ("Job x failed to complete. Removing failed job after investigation should clear this alert.",
     "Job x failed to complete."),
    # A later sentence that says more of the condition stays, and so does a first sentence of any kind.
    ("Storage client heartbeat missed. The client lost its network connectivity.",
     "Storage client heartbeat missed. The client lost its network connectivity."),
    ("Utilization may become read-only at 85%. Storage is degraded.", "Utilization may become read-only at 85%. Storage is degraded."),
    # A failure said with a modal, and a date, are no speculation.
    ("Alertmanager is failing. Prometheus could not send 12 alerts.", "Alertmanager is failing. Prometheus could not send 12 alerts."),
    ("Pods are pending. The pod can't be scheduled.", "Pods are pending. The pod can't be scheduled."),
    ("Backup failed. The job last ran on 3 May 2024.", "Backup failed. The job last ran on 3 May 2024."),
    # One that says what may follow is the alert's impact.
    ("Storage client heartbeat missed. Client might have lost network connectivity.", "Storage client heartbeat missed."),
    ("More than 80% of IPv4 subnets are used. Insufficient IPv4 subnets could result in failure of new pods.",
     "More than 80% of IPv4 subnets are used."),
    ("Targets have been unreachable. This may be a symptom of network connectivity issues.", "Targets have been unreachable."),
    ("Check failed: disk sda is degraded. Ensure the RAID controller is healthy.", "Check failed: disk sda is degraded."),
    ("Version 4.2.1 is out of date", "Version 4.2.1 is out of date"),
    # A word that opens instructions as often opens a statement: only an instruction's object makes it advice.
    ("Disk sda is degraded. Read errors have increased.", "Disk sda is degraded. Read errors have increased."),
    ("Node exporter is down. Open file descriptors are at 95%.", "Node exporter is down. Open file descriptors are at 95%."),
    ("Job failed.\nCheck failed: disk degraded", "Job failed. Check failed: disk degraded"),
    ("Job failed. Check the pod's logs. Run this to retry.", "Job failed."),
])
def test_a_descriptions_advice_to_the_reader_is_not_part_of_its_condition(text, condition):
    assert without_advice(text) == condition


@pytest.mark.parametrize("title, condition", [
    ("[Opsgenie] P2 - virt-operator pods Running but 0/2 Ready for 10 minutes", "no ready"),
    ("virt-api only 1/2 ready for 10m?", "low ready"),
    ("Only 1 of 2 running virt-api pods has been Ready over the last 10 minutes.", "low ready"),
    ("virt-handler ready: 0/3", "no ready"),
    # All ready, or no count of ready ones, says nothing.
    ("virt-api 2/2 ready again", ""),
    ("3/6 replicas available for checkout-api", ""),
    ("virt-api pods are not ready", ""),
])
def test_a_count_of_ready_instances_is_the_condition_readiness_alerts_name(title, condition):
    assert ready_condition(title) == condition
