"""Alerts nobody wrote a runbook for, and channel chatter, for the labelled set.

Many share words with alerts that have a runbook (same domain, same nouns): the hard half
of matching is saying nothing for them.
"""

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
    "KubePodPending", "KubeDeploymentRolloutStuck", "KubeStatefulSetDown", "KubeIngressDown", "NodeDiskIOSaturation",
    "NodeNetworkBandwidthHigh", "PrometheusWALCorruption", "PrometheusHighMemoryUsage", "etcdDiskSpaceLow",
    "etcdLeaderElectionStorm", "KubeSecretRotationOverdue", "CephRGWDown",
    "CephBucketQuotaFull", "VirtLauncherDown", "KubeVirtVMHighCPU", "CoreDNSLatencyHigh", "ClusterAutoscalerDown",
    "MachineHealthCheckFailing", "IngressCertificateExpired", "ThanosQueryDown", "LokiIngesterDown",
    "TempoCompactorFailing", "GrafanaDashboardErrors", "OpenSearchClusterRed", "IstioSidecarInjectionFailed",
    # Upstream alerts one word away from a corpus name (CoreDNSForwardErrorsHigh / CoreDNSErrorsHigh, CephOSDHostDown /
    # CephOSDDown).  Added at stop 9 after probing with them, so seen while fixing name matching.
    "NodeCPUHighUsage", "NodeSystemSaturation", "NodeMemoryMajorPagesFaults", "NodeMemoryHighUtilization",
    "NodeSystemdServiceFailed", "NodeBondingDegraded", "PrometheusSDRefreshFailure", "PrometheusHighQueryLoad",
    "ThanosSidecarBucketOperationsFailed", "etcdMemberCommunicationSlow", "etcdHighNumberOfLeaderChanges",
    "etcdHighCommitDurations", "KubeNodeEviction", "KubePdbNotEnoughHealthyPods", "CoreDNSDown",
    "CoreDNSLatenciesTooHigh", "CoreDNSForwardErrorsHigh", "CephPGsInactive", "CephOSDHostDown", "CephMonDown",
    "CephHealthError", "KubeCronJobRunning", "PrometheusTSDBWALCorruptions",
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

# Summary-annotation titles of alerts with no runbook, in our own words: the same nouns as covered alerts.
NO_RUNBOOK_SUMMARIES = [
    "Redis instance {pod} is down.", "Kafka consumer group {pod} lag is above 5000 messages.",
    "Pod {ns}/{pod} was evicted because the node is under memory pressure.",
    "Container {container} in pod {ns}/{pod} was OOMKilled.", "Pod {ns}/{pod} cannot pull its image.",
    "Node {node} has high CPU usage (95%).", "Node {node} is under disk pressure.",
    "Ingress certificate for shop.example.com expires in 5 days.", "Prometheus storage is 93% full.",
    "Service {ns}/checkout has no endpoints.", "CronJob {ns}/{pod} is suspended.",
    "Namespace {ns} is stuck in Terminating.", "Swap usage on {node} is above 80%.",
    "etcd database needs defragmentation.", "PostgreSQL primary on {node} is down.",
    "MySQL replication lag is 300 seconds on {node}.", "RabbitMQ queue orders has 12000 messages ready.",
    "Elasticsearch cluster health is red.", "Vault is sealed on {node}.", "HAProxy backend api has no servers up.",
    "Jenkins build queue has been stuck for 30 minutes.", "ArgoCD application {pod} is out of sync.",
    "Cilium agent on {node} is unreachable.", "The Keycloak login failure rate is above 20%.",
    "Checkout error rate is above 5% for 10 minutes.", "Payments API p99 latency is above 2 seconds.",
    "Loki ingester {pod} is not ready.", "Thanos query has disappeared from target discovery.",
    "Pod {ns}/{pod} has been pending for more than 30 minutes.", "Disk IO on {node} is saturated.",
    "Zookeeper ensemble has no leader.", "Consul cluster has no leader.", "MongoDB replica member is unhealthy.",
    "Nginx is returning 7% 5xx responses.", "The cluster autoscaler is down.",
    "Istio sidecar injection failed for {ns}/{pod}.", "Memcached on {node} has disappeared.",
    "Celery workers have stopped consuming tasks.", "Airflow scheduler heartbeat is missing.",
    "Sidekiq queue default has 4000 jobs waiting.",
]
CHATTER = [
    "is {name} flapping again?", "ack, looking at {name} now", "who owns the {name} alert?",
    "I silenced {name} for 2h while we migrate", "{name} fired overnight, anyone know why?",
    "deploying api v2.31 to prod now", "lunch?", "thanks for jumping on that", "we should tune {name} thresholds",
    "fyi the staging cluster is being rebuilt", "can someone review my PR for the alert rules?",
    "restarted the pod, {name} should clear soon", "@here standup in 5", "hey, is the VPN down for anyone else?",
]
CHATTER += [
    "did anyone else get paged for {name}?", "{name} again... third time this week",
    "looks like {name} resolved itself", "I think {name} is a false positive, the disk is fine",
    "can we lower the severity of {name}?", "runbook for {name} is out of date btw",
    "{name} and {other} both fired at 3am", "paging the db team about {name}",
    "pods in payments are crash looping after the deploy, rolling back",
    "etcd looks slow today, anyone touching the control plane?", "the node is not ready, I'm draining it",
    "prometheus config reload failed after my change, fixing", "disk on worker-2 is almost full, cleaning up",
]
