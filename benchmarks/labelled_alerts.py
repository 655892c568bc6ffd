"""A labelled set of Slack messages for judging alert -> runbook matching (generated, seeded).

Built over the names in `../shared/corpus/manifest.tsv` (names only; no runbook prose is
used) in the shapes real monitors produce, delivered as PagerDuty's Slack app or a
monitor's bot would post them:

  alertmanager   "[FIRING:2] KubePodCrashLooping (api-7f9 default critical)"
  spelling       kube_pod_crash_looping, prod.KubePodCrashLooping, Kube Pod Crash Looping, …-staging
  datadog        "[P2] [Triggered on {host:web-01}] kube pod crash looping on prod-east"
  cloudwatch     ALARM: "prod-kube-pod-crash-looping" in US East (N. Virginia)
  summary        a description of what fired, not its name ("Pod default/api-7f9 is crash looping.")
  no_runbook     alerts nobody wrote a runbook for, many sharing words with ones that have one
  chatter        people in the channel, naming alerts in passing

Each item: {"kind", "event" (a Slack message event), "line" (the console form), "expected"
(set of acceptable alert names, empty when no runbook should be named), "is_alert"}.
"""
import json
import random
import re

from utils import name_key

PAGERDUTY_BOT_ID = "B0PAGERDUTY"

# What upstream summary annotations say for some well-known alerts, written here in our own words.
SUMMARIES = {
    "KubePodCrashLooping": ["Pod {ns}/{pod} ({container}) is in waiting state (reason: \"CrashLoopBackOff\").",
                            "Pod {ns}/{pod} is crash looping."],
    "KubePodNotReady": ["Pod {ns}/{pod} has been in a non-ready state for longer than 15 minutes."],
    "KubeDeploymentReplicasMismatch": ["Deployment {ns}/{pod} has not matched the expected number of replicas."],
    "KubeNodeNotReady": ["{node} has been unready for more than 15 minutes."],
    "KubeletDown": ["Kubelet has disappeared from Prometheus target discovery."],
    "KubeAPIDown": ["KubeAPI has disappeared from Prometheus target discovery."],
    "KubeJobFailed": ["Job {ns}/{pod} failed to complete."],
    "KubePersistentVolumeFillingUp": ["PersistentVolume claimed by {pod} in namespace {ns} is only 3% free."],
    "KubeQuotaExceeded": ["Namespace {ns} is using 112% of its cpu quota."],
    "KubeHpaMaxedOut": ["HPA {ns}/{pod} has been running at max replicas for longer than 15 minutes."],
    "KubeStatefulSetReplicasMismatch": ["StatefulSet {ns}/{pod} has not matched the expected number of replicas."],
    "KubeDaemonSetRolloutStuck": ["DaemonSet {ns}/{pod} has not finished or progressed for at least 15 minutes."],
    "CPUThrottlingHigh": ["47% throttling of CPU in namespace {ns} for container {container} in pod {pod}."],
    "NodeFilesystemSpaceFillingUp": ["Filesystem on /dev/sda1 at {node} has only 12% available space left "
                                     "and is filling up."],
    "NodeFilesystemAlmostOutOfSpace": ["Filesystem on /dev/nvme0n1 at {node} has only 3% available space left."],
    "NodeFilesystemAlmostOutOfFiles": ["Filesystem on /dev/sda1 at {node} has only 2% available inodes left."],
    "NodeClockNotSynchronising": ["Clock at {node} is not synchronising."],
    "NodeNetworkReceiveErrs": ["{node} interface eth0 has encountered 412 receive errors in the last two minutes."],
    "NodeRAIDDegraded": ["RAID array 'md0' at {node} is in degraded state due to one or more disks failures."],
    "TargetDown": ["100% of the node-exporter/node-exporter targets in {ns} namespace are down."],
    "etcdNoLeader": ["etcd cluster \"etcd\": member {pod} has no leader."],
    "etcdMembersDown": ["etcd cluster \"etcd\": members are down (1)."],
    "etcdHighFsyncDurations": ["etcd cluster \"etcd\": 99th percentile fsync durations are 1.2s on etcd member {pod}."],
    "etcdInsufficientMembers": ["etcd cluster \"etcd\": insufficient members (1)."],
    "PrometheusRuleFailures": ["Prometheus {ns}/prometheus-k8s-0 has failed to evaluate 7 rules in the last 5m."],
    "PrometheusBadConfig": ["Prometheus {ns}/prometheus-k8s-0 has failed to reload its configuration."],
    "PrometheusNotIngestingSamples": ["Prometheus {ns}/prometheus-k8s-1 is not ingesting samples."],
    "PrometheusTSDBCompactionsFailing": ["Prometheus {ns}/prometheus-k8s-0 has detected 3 compaction failures "
                                         "over the last 3h."],
    "AlertmanagerFailedReload": ["Configuration has failed to load for {ns}/alertmanager-main-0."],
    "AlertmanagerClusterDown": ["Half or more of the Alertmanager instances within the same cluster are down."],
    "KubeClientCertificateExpiration": ["A client certificate used to authenticate to kubernetes apiserver "
                                        "is expiring in less than 7 days."],
    "Watchdog": ["An alert that should always be firing to certify that Alertmanager is working properly."],
    "CoreDNSErrorsHigh": ["CoreDNS is returning SERVFAIL for 5% of requests."],
    "ClusterOperatorDown": ["The monitoring operator may be down or disabled."],
}

# Alerts from other systems: no runbook in the corpus.  Many share words with ones that have one.
NO_RUNBOOK_NAMES = [
    "RedisDown", "RedisMemoryHigh", "RedisReplicationBroken", "MySQLReplicationLag", "MySQLTooManyConnections",
    "PostgresqlDown", "PostgresqlTooManyConnections", "PostgresqlReplicationLag", "RabbitmqQueueTooLong",
    "RabbitmqNodeDown", "KafkaConsumerGroupLag", "KafkaBrokerDown", "KafkaTopicOfflinePartitions",
    "MongodbReplicaMemberUnhealthy", "MemcachedDown", "ZookeeperNoLeader", "CeleryWorkerDown",
    "SidekiqQueueBacklog", "AirflowSchedulerDown", "SparkExecutorLost", "FlinkJobRestarting",
    "TraefikBackendErrorsHigh", "EnvoyClusterUpstreamFailures", "NginxHighHttp5xxErrorRate",
    "JvmHeapUsageHigh", "JvmGcPauseLong", "TomcatThreadPoolExhausted", "VarnishCacheHitRateLow",
    "JenkinsBuildQueueStuck", "GitlabRunnerOffline", "ArgocdAppOutOfSync", "ArgocdAppDegraded",
    "CiliumAgentUnreachable", "CalicoFelixDown", "HarborRegistryDown", "KeycloakLoginFailuresHigh",
    "StripeWebhookFailures", "PaymentsApiLatencyHigh", "CheckoutErrorRateHigh", "OrderQueueBacklogGrowing",
    "SearchIndexStale", "EmailDeliveryDelayed", "SmsProviderErrors", "FeatureFlagServiceDown",
    "NomadJobFailed", "NomadPodCrashLooping", "ConsulNoLeader", "RabbitmqNoLeader", "KafkaNodeNotReady",
    "RedisClusterDown", "MySQLDiskFillingUp", "CassandraCompactionsFailing", "MongodbTargetDown",
    "ZookeeperMembersDown", "AirflowDagFailed", "FlinkCheckpointFailures", "SidekiqJobFailed",
    "ElasticsearchHeapTooHigh", "VaultSealed", "HaproxyBackendDown",
    # Same domain as the corpus, same words, but no runbook: the hard half.
    "KubePodEvicted", "KubeNodeDiskPressure", "KubeIngressCertificateExpiring", "NodeHighCPUUsage",
    "NodeMemoryPressure", "PrometheusStorageFull", "AlertmanagerSilenceExpiring", "etcdDefragmentationNeeded",
    "KubeServiceWithoutEndpoints", "KubeCronJobSuspended", "KubeNamespaceStuckTerminating", "NodeSwapUsageHigh",
    "KubeContainerOOMKilled", "KubePodImagePullBackOff", "KubeletEvictionThresholdReached", "KubeDNSLatencyHigh",
    "NodeLoadHigh", "KubeNodeDiskFull", "PrometheusScrapeDurationHigh", "AlertmanagerQueueFull",
]
NO_RUNBOOK_TITLES = [
    "Checkout service p99 latency above 2s", "Payment provider returning 502s", "Kafka consumer lag high on orders",
    "Redis memory usage above 90% on cache-3", "MySQL replication is broken on db-3", "Disk full on build agent",
    "SSL handshake failures from partner API", "Cron job nightly-report did not run", "Nginx 5xx rate above 5%",
    "JVM heap usage above 95% on search-2", "Queue depth of invoices queue above 10000",
    "Celery workers not consuming tasks", "Login success rate dropped below 90%", "CDN origin errors spiking",
    "Elasticsearch cluster health is red", "RabbitMQ node rabbit@mq-2 is down", "Mongo primary stepped down",
    "Backup job for warehouse failed", "Feature flag service unreachable", "Mobile push notifications delayed",
]
CHATTER = [
    "is {name} flapping again?", "ack, looking at {name} now", "who owns the {name} alert?",
    "I silenced {name} for 2h while we migrate", "{name} fired overnight, anyone know why?",
    "deploying api v2.31 to prod now", "lunch?", "thanks for jumping on that", "we should tune {name} thresholds",
    "fyi the staging cluster is being rebuilt", "can someone review my PR for the alert rules?",
    "restarted the pod, {name} should clear soon", "@here standup in 5", "hey, is the VPN down for anyone else?",
]
NAMESPACES = ["default", "payments", "monitoring", "kube-system", "openshift-etcd", "checkout"]
NODES = ["ip-10-0-3-17.ec2.internal", "node-4.prod.example.com", "worker-2", "10.2.3.4:9100"]


def name_words(name):
    return [w.lower() for w in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)]


def pagerduty_event(title, number, status="Triggered", incident_id=None):
    incident_id = incident_id or f"Q{number:06X}"[:8]
    url = f"https://acme.pagerduty.com/incidents/{incident_id}"
    return {"type": "message", "subtype": "bot_message", "bot_id": PAGERDUTY_BOT_ID, "text": "",
            "attachments": [{"fallback": f"{status} #{number}: {title}", "title": f"#{number}: {title}",
                             "title_link": url, "fields": [{"title": "Service", "value": "Platform",
                                                            "short": True}]}]}


def alertmanager_title(name, rng):
    labels = " ".join(rng.sample([f"{rng.choice(['api', 'web', 'db'])}-{rng.randrange(16**4):04x}",
                                  rng.choice(NAMESPACES), rng.choice(["critical", "warning"]), "prometheus-k8s"], 3))
    return f"[FIRING:{rng.randint(1, 9)}] {name} ({labels})"


def spelling_title(name, rng):
    words = name_words(name)
    return rng.choice([
        "_".join(words), "-".join(words), f"prod.{name}", f"{name}-staging", f"{name}_prod",
        " ".join(w.capitalize() for w in words), f"{' '.join(words)} (production)",
    ])


def datadog_title(name, rng):
    spaced = " ".join(name_words(name))
    host = rng.choice(["web-01", "db-7", "k8s-node-12"])
    return rng.choice([f"[P{rng.randint(1, 4)}] {spaced} on prod-east",
                       f"[Triggered on {{host:{host},env:prod}}] {spaced}",
                       f"[P2] [Triggered on {{cluster:main}}] {spaced} on {host}"])


def cloudwatch_title(name, rng):
    region = rng.choice(["US East (N. Virginia)", "EU (Ireland)", "Asia Pacific (Tokyo)"])
    return f'ALARM: "prod-{"-".join(name_words(name))}" in {region}'


def summary_title(name, rng):
    template = rng.choice(SUMMARIES[name])
    return template.format(ns=rng.choice(NAMESPACES), pod=f"api-{rng.randrange(16**5):05x}",
                           container=rng.choice(["app", "sidecar"]), node=rng.choice(NODES))


def with_runbook_items(rows, rng):
    """Alerts whose runbook is in the corpus, in every shape."""
    by_key, spelling = {}, {}
    for row in rows:
        names = {row["alert_name"]} | {a for a in row.get("aliases", "").split(";") if a}
        for name in names:
            # Names equal but for case (MDSCPUUsageHigh, MDSCpuUsageHigh) are one alert to anyone reading them.
            by_key.setdefault(name_key(name), set()).add(row["alert_name"])
            spelling.setdefault(name, name_key(name))
    expected = {name: by_key[key] for name, key in spelling.items()}
    shapes = {"alertmanager": alertmanager_title, "spelling": spelling_title, "datadog": datadog_title,
              "cloudwatch": cloudwatch_title}
    items = []
    for name in sorted(expected):
        kind = rng.choice(sorted(shapes))
        items.append((kind, shapes[kind](name, rng), expected[name]))
    for name in sorted(set(SUMMARIES) & set(expected)):
        items += [("summary", summary_title(name, rng), expected[name]) for _ in range(2)]
    return items


def no_runbook_items(rng):
    items = []
    for name in NO_RUNBOOK_NAMES:
        shape = rng.choice([alertmanager_title, datadog_title, cloudwatch_title, spelling_title])
        items.append(("no_runbook", shape(name, rng), set()))
    items += [("no_runbook", title, set()) for title in NO_RUNBOOK_TITLES]
    return items


def chatter_items(rows, rng):
    names = [row["alert_name"] for row in rows]
    items = []
    for index in range(60):
        text = rng.choice(CHATTER).format(name=rng.choice(names))
        items.append(("chatter", text, set(), index % 2 == 0))
    return items


def labelled_set(rows, seed=4821):
    """The labelled items, in a fixed order for a given seed."""
    rng = random.Random(seed)
    items, number = [], 1000
    for kind, title, expected in with_runbook_items(rows, rng) + no_runbook_items(rng):
        number += 1
        event = pagerduty_event(title, number)
        items.append({"kind": kind, "event": event, "line": json.dumps(event), "title": title,
                      "expected": sorted(expected), "is_alert": True})
    for kind, text, expected, as_json in chatter_items(rows, rng):
        event = {"type": "message", "user": "U0PERSON", "text": text}
        items.append({"kind": kind, "event": event, "line": json.dumps(event) if as_json else text,
                      "title": text, "expected": [], "is_alert": False})
    return items
