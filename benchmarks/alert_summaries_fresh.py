"""Alert titles written blind, after the matcher was tuned, to check it on wordings it was never tuned on.

Written without seeing the matcher, its scoring, its vocabulary or its tuning data
(benchmarks/alert_summaries.py), and without running any benchmark. Each title imitates what a
pager shows when the Alertmanager template uses an alert's ``summary`` or ``description``
annotation instead of the alert name.

FRESH_SUMMARIES maps an alert name that has a runbook in the corpus to two titles: a short
summary annotation and a longer description with label values filled in.

FRESH_NO_RUNBOOK_SUMMARIES lists titles for alerts from the same domains that have NO runbook in
the corpus; the first 20 are short summaries, the last 20 descriptions with values.

Titles may contain the placeholders {ns}, {pod}, {node} and {container} (and no other braces);
callers fill them in with ``str.format``.
"""


FRESH_SUMMARIES = {
    "ACMMetricsCollectorFederationError": [
        "Metrics collector cannot federate metrics from the in-cluster Prometheus.",
        "35% of federate requests from the observability metrics collector {ns}/{pod} to prometheus-k8s returned "
        "non-2xx responses over the last 10 minutes.",
    ],
    "AlertmanagerClusterFailedToSendAlerts": [
        "All Alertmanager instances are failing to deliver notifications to an integration.",
        "Every Alertmanager replica in {ns} failed to send 100% of its notifications to the slack integration in "
        "the last 5 minutes.",
    ],
    "CDIMultipleDefaultVirtStorageClasses": [
        "More than one storage class is marked as the default for virtualization.",
        "3 storage classes carry the default virtualization annotation; DataVolumes in {ns} without an explicit "
        "class will get the most recently created one.",
    ],
    "CDIStorageProfilesIncomplete": [
        "A storage profile is missing its access mode or volume mode settings.",
        "StorageProfile {pod} has no claim property sets, so VM disks cannot be provisioned on that storage class "
        "until accessModes and volumeMode are filled in.",
    ],
    "CephClusterErrorState": [
        "Ceph storage cluster health is HEALTH_ERR.",
        "The storage cluster in {ns} has reported an error health status for 12 minutes; storage availability is "
        "affected.",
    ],
    "CephClusterWarningState": [
        "Ceph cluster health has degraded to a warning state.",
        "Ceph cluster managed from {ns} has been in HEALTH_WARN for the past 20 minutes.",
    ],
    "CephDataRecoveryTakingTooLong": [
        "Ceph data recovery has been running for an unusually long time.",
        "Ceph placement group recovery in {ns} has been in progress for 2 hours with 1.4% of objects still "
        "degraded.",
    ],
    "CephFSOrphanedSnapshot": [
        "CephFS holds stale snapshots with no matching snapshot content.",
        "Found 7 CephFS snapshots in {ns} that no VolumeSnapshotContent references any more; they still use 38 GiB "
        "of capacity.",
    ],
    "CephMdsCpuUsageHigh": [
        "Ceph metadata server CPU usage is high.",
        "MDS daemon {pod} in {ns} has used 92% of its allocated CPU for the past 6 hours; file metadata operations "
        "may slow down.",
    ],
    "CephMgrIsAbsent": [
        "Ceph manager has disappeared from Prometheus target discovery.",
        "No ceph-mgr target in {ns} has been discovered for 5 minutes; storage metrics and PVC provisioning are "
        "affected.",
    ],
    "CephMgrIsMissingReplicas": [
        "Ceph manager is running with fewer replicas than required.",
        "The ceph-mgr deployment in {ns} has had 1 of 2 desired replicas available for the last 5 minutes.",
    ],
    "CephOSDDiskUnavailable": [
        "A disk backing a Ceph OSD cannot be accessed and the OSD was marked out.",
        "The disk device for OSD {pod} on host {node} has been inaccessible for 10 minutes and Ceph marked the OSD "
        "out.",
    ],
    "CephOSDDown": [
        "One or more Ceph object storage daemons are not running.",
        "2 of 9 Ceph OSDs in {ns} have been down for 5 minutes; OSD pod {pod} on {node} is not running.",
    ],
    "CephOSDNearFull": [
        "A Ceph OSD storage device is nearly full.",
        "The OSD device on host {node} is 78% utilized; free up space or expand the storage cluster.",
    ],
    "CephPgRepairTakingTooLong": [
        "Ceph placement group self-repair is taking longer than expected.",
        "Placement groups in {ns} have been in the repair state for more than 1 hour.",
    ],
    "ClusterLogForwarderOutputErrorRate": [
        "Log collector is failing to deliver logs to one of its outputs.",
        "Collector {ns}/{pod} is getting errors on 14% of sends to output remote-loki over the last 5 minutes.",
    ],
    "ClusterVMPanicDetected": [
        "Several virtual machines across the cluster have suffered guest kernel panics.",
        "6 virtual machines in 3 namespaces reported unrecoverable guest OS crashes in the last 24 hours.",
    ],
    "CnaoDown": [
        "Cluster network addons operator is not running.",
        "The cluster-network-addons-operator pod in {ns} has been down for 5 minutes; changes to VM network "
        "components are not reconciled.",
    ],
    "DNSErrors": [
        "High rate of DNS error responses seen in network flows.",
        "9% of DNS responses for traffic to namespace {ns} returned errors such as SERVFAIL or REFUSED over the "
        "last 5 minutes.",
    ],
    "DNSNxDomain": [
        "Many DNS lookups are returning non-existent domain answers.",
        "NXDOMAIN makes up 40% of DNS answers to pods in {ns}; check search domains and ndots settings.",
    ],
    "DuplicateWaspAgentDSDetected": [
        "More than one swap agent DaemonSet is deployed in the cluster.",
        "An old manually installed wasp-agent DaemonSet {ns}/{pod} is running alongside the one deployed for memory "
        "overcommit.",
    ],
    "GarbageCollectorSyncFailed": [
        "Kubernetes garbage collector failed to sync its caches.",
        "The garbage collector in kube-controller-manager {pod} could not sync informers for 2 resources in the "
        "last 15 minutes; cascading deletion is stalled.",
    ],
    "HCOGoldenImageWithNoSupportedArchitecture": [
        "A golden image template lists no architecture that any cluster node supports.",
        "DataImportCronTemplate {pod} is annotated only for s390x but no node in the cluster has that architecture; "
        "its boot source will not be imported.",
    ],
    "HCOInstallationIncomplete": [
        "Virtualization operator is running without its HyperConverged resource.",
        "The HyperConverged operator in {ns} has been running for 75 minutes but no HyperConverged custom resource "
        "has been created.",
    ],
    "HCOOperatorConditionsUnhealthy": [
        "OpenShift Virtualization operator reports an unhealthy condition.",
        "HyperConverged {ns}/{pod} has reported Degraded=True with reason ReconcileFailed for 10 minutes.",
    ],
    "HPPOperatorDown": [
        "Hostpath provisioner operator is down.",
        "No hostpath-provisioner-operator pod has been running in {ns} for the last 5 minutes.",
    ],
    "HighOverallControlPlaneMemory": [
        "Control plane nodes are using a large share of their combined memory.",
        "Memory in use across all master nodes is at 68% of capacity and has stayed above 60% for the past hour.",
    ],
    "IPsecErrors": [
        "IPsec encryption or decryption errors detected in node traffic.",
        "4% of IPsec-processed packets on node {node} failed to encrypt or decrypt over the last 5 minutes.",
    ],
    "InfoInhibitor": [
        "Helper alert that keeps info-severity alerts muted.",
        "Info-level alerts in namespace {ns} are being suppressed until a warning or critical alert fires next to "
        "them.",
    ],
    "Ingress5xxErrors": [
        "Ingress router is returning a high rate of 5xx responses.",
        "12% of HTTP responses served through routes in {ns} were 5xx server errors over the last 5 minutes.",
    ],
    "KMSServerConnectionAlert": [
        "Storage cluster cannot connect to its key management server.",
        "ODF in {ns} has lost its connection to the configured Vault KMS endpoint; encrypted volumes cannot be "
        "provisioned.",
    ],
    "KubeStateMetricsShardingMismatch": [
        "kube-state-metrics shards disagree about the total shard count.",
        "kube-state-metrics pods in {ns} report different total shard values (2 and 3); some objects are not being "
        "exported.",
    ],
    "KubeVirtCRModified": [
        "A virtualization component resource was changed outside its managing operator.",
        "KubeVirt resource {ns}/{pod} has 3 fields changed by something other than the HyperConverged operator; the "
        "edits will be overwritten.",
    ],
    "KubeVirtComponentExceedsRequestedCPU": [
        "A KubeVirt component is using more CPU than it requested.",
        "Container {container} of pod {ns}/{pod} is using 1.4 CPU cores, 180% of its CPU request.",
    ],
    "KubeVirtVMGuestMemoryPressure": [
        "Virtual machine guest is under sustained memory pressure.",
        "VM {ns}/{pod} guest has under 5% usable memory and 300 major page faults per second over the last 10 "
        "minutes.",
    ],
    "KubemacpoolDown": [
        "MAC address allocator for virtual machines is unavailable.",
        "kubemacpool-mac-controller-manager in {ns} has had no ready pod for 5 minutes; new VirtualMachines cannot "
        "be created.",
    ],
    "LowReadyVirtAPICount": [
        "Not all virt-api replicas are ready.",
        "Only 1 of 2 virt-api pods in {ns} has been ready during the last 10 minutes.",
    ],
    "LowVirtControllersCount": [
        "Too few virt-controller instances are running.",
        "Only 1 virt-controller pod is up in {ns}; the virtualization controller has no redundancy left.",
    ],
    "NetpolDenied": [
        "A large share of traffic is being dropped by network policies.",
        "18% of flows to namespace {ns} were denied by NetworkPolicy rules in the last 5 minutes.",
    ],
    "NoOvnClusterManagerLeader": [
        "OVN-Kubernetes cluster manager has no elected leader.",
        "No ovnkube-control-plane pod in {ns} has held the cluster manager lease for 10 minutes.",
    ],
    "NooBaaSystemCapacityWarning95": [
        "Multicloud object gateway backing storage is almost completely used.",
        "NooBaa backingstores in {ns} are 95% full; new object writes will soon be rejected.",
    ],
    "NorthboundStaleAlert": [
        "OVN northbound database is not being kept up to date.",
        "ovnkube-controller on node {node} has not synced with the northbound database for 5 minutes.",
    ],
    "ODFNodeNICBandwidthSaturation": [
        "Network interface on a storage node is close to its link capacity.",
        "Interface ens5 on ODF node {node} is running at 94% of its 25 Gb/s link speed.",
    ],
    "ODFRBDClientBlocked": [
        "Ceph has blocklisted an RBD client on a node.",
        "The RBD client on node {node} is blocklisted by Ceph and pod {ns}/{pod} is stuck in CreateContainerError; "
        "RBD volumes there may be read-only.",
    ],
    "OSDCPULoadHigh": [
        "OSD container CPU usage is high.",
        "Container {container} in OSD pod {ns}/{pod} has been using 86% CPU for the last 15 minutes.",
    ],
    "ObcQuotaBytesAlert": [
        "Object bucket claim is nearing its size quota.",
        "ObjectBucketClaim {ns}/{pod} has used 82% of its 100 GiB quota and becomes read-only at the limit.",
    ],
    "ObcQuotaObjectsAlert": [
        "Object bucket claim is approaching its object count limit.",
        "ObjectBucketClaim {ns}/{pod} holds 41,000 of the 50,000 objects its quota allows (82%).",
    ],
    "OdfMirrorDaemonStatus": [
        "RBD mirror daemon is unhealthy.",
        "The rbd-mirror daemon in {ns} has reported an error status for 1 minute; images are not being replicated "
        "to the peer cluster.",
    ],
    "OdfPoolMirroringImageHealth": [
        "Mirrored images in a storage pool have unknown health.",
        "5 mirrored RBD images in a pool in {ns} have been in an unknown state for over a minute; disaster recovery "
        "replication may be broken.",
    ],
    "OpenShiftUpdateRiskMightApply": [
        "A known update risk may apply to this cluster.",
        "The cluster version operator has judged a conditional update risk as possibly applying to this cluster for "
        "10 minutes; updating to the affected release is not recommended.",
    ],
    "PrometheusErrorSendingAlertsToSomeAlertmanagers": [
        "Prometheus is failing to deliver alerts to one of the Alertmanagers.",
        "Prometheus {ns}/{pod} hit 3.2% errors sending alerts to alertmanager-main-1 in the last 5 minutes.",
    ],
    "PrometheusLabelLimitHit": [
        "Prometheus dropped scrape targets that exceeded the label limit.",
        "Prometheus {ns}/{pod} dropped 4 targets because their series carried more labels than the scrape config "
        "allows.",
    ],
    "PrometheusOperatorNodeLookupErrors": [
        "Prometheus Operator cannot reconcile node information.",
        "Prometheus Operator in {ns} had 12% errors looking up Kubernetes nodes over the last 10 minutes.",
    ],
    "PrometheusOutOfOrderTimestamps": [
        "Prometheus is rejecting samples with out-of-order timestamps.",
        "Prometheus {ns}/{pod} dropped 150 samples in the last 10 minutes because their timestamps were older than "
        "samples it already stored.",
    ],
    "PrometheusRemoteWriteDesiredShards": [
        "Prometheus remote write needs more shards than it is allowed to run.",
        "The remote write queue of Prometheus {ns}/{pod} wants 64 shards but max_shards is set to 50.",
    ],
    "PrometheusScrapeBodySizeLimitHit": [
        "Some scrape targets send responses larger than the allowed body size.",
        "Prometheus {ns}/{pod} failed 3 scrapes in the last 5 minutes because the response exceeded the enforced "
        "10MB body size limit.",
    ],
    "SSPCommonTemplatesModificationReverted": [
        "Manual changes to common VM templates were rolled back.",
        "The scheduling, scale and performance operator undid 2 user edits to common templates in {ns} during the "
        "last hour.",
    ],
    "SSPDown": [
        "No SSP operator pod is running.",
        "ssp-operator in {ns} has had zero running pods for 5 minutes; common templates and the template validator "
        "are not reconciled.",
    ],
    "SSPOperatorDown": [
        "Scheduling, scale and performance operator is unavailable.",
        "Every ssp-operator replica in {ns} is down; VM templates will not be updated or restored.",
    ],
    "SouthboundStaleAlert": [
        "OVN northd is not propagating changes to the southbound database.",
        "The southbound database on node {node} has not received updates from northd for over 2 minutes.",
    ],
    "StorageClientHeartbeatMissed": [
        "Storage provider stopped receiving heartbeats from a storage client.",
        "StorageConsumer {pod} in {ns} has not sent a heartbeat for 120 seconds; its Ceph monitor endpoints may be "
        "stale.",
    ],
    "StorageQuotaUtilizationThresholdReached": [
        "Client storage consumption is approaching its quota.",
        "Storage consumer {pod} has used 85% of its 10 TiB storage quota; new PVs may soon be refused.",
    ],
    "UnsupportedHCOModification": [
        "Virtualization operands have unsupported JSON patch overrides.",
        "HyperConverged {ns}/{pod} carries a JSON patch annotation applying 2 unsupported changes to KubeVirt "
        "operands.",
    ],
    "VMNonRecoverableOSPanic": [
        "Virtual machine guest operating system crashed and could not recover.",
        "VM {ns}/{pod} on {node} hit a guest kernel panic reported through pvpanic 2 times in the past 24 hours.",
    ],
    "VirtApiRESTErrorsHigh": [
        "virt-api is seeing an elevated rate of failed REST calls.",
        "7% of REST requests made by virt-api pod {ns}/{pod} failed over the last hour.",
    ],
    "VirtControllerRESTErrorsBurst": [
        "virt-controller has almost entirely lost contact with the API server.",
        "85% of REST calls from virt-controller {ns}/{pod} failed in the last 10 minutes.",
    ],
    "VirtControllerRESTErrorsHigh": [
        "Elevated REST error rate from virt-controller.",
        "virt-controller {ns}/{pod} saw 6% of its API server requests fail over the last 60 minutes.",
    ],
    "VirtHandlerRESTErrorsHigh": [
        "virt-handler requests to the API server are failing more than usual.",
        "virt-handler pod {pod} on node {node} had 8% failed REST calls in the last hour.",
    ],
    "VirtOperatorRESTErrorsBurst": [
        "virt-operator cannot talk to the Kubernetes API server.",
        "Over 90% of REST calls from virt-operator {ns}/{pod} have been failing for 10 minutes.",
    ],
    "VirtualMachineCRCErrors": [
        "VM disks use an RBD storage class that can trigger CRC errors.",
        "VM {ns}/{pod} runs on a Ceph RBD volume whose storage class lacks the krbd:rxbounce option; bad crc errors "
        "may flood the storage network.",
    ],
}

FRESH_NO_RUNBOOK_SUMMARIES = [
    # Short summaries.
    "Ceph object gateway (RGW) endpoint is not responding.",
    "Ceph placement groups are inactive.",
    "NooBaa bucket is in an error state.",
    "Kubernetes service has no ready endpoints.",
    "Deployment rollout has stalled.",
    "Namespace is stuck in Terminating.",
    "Admission webhook calls are failing.",
    "Prometheus service discovery refresh is failing.",
    "Prometheus query load is high.",
    "Thanos sidecar cannot reach its Prometheus.",
    "A systemd unit has failed on the node.",
    "Node is under heavy memory paging.",
    "HAProxy router reloads are failing.",
    "Virtual machine guest agent is not connected.",
    "OpenShift web console route is unreachable.",
    "Cluster autoscaler cannot scale up the node group.",
    "etcd cluster is changing leaders frequently.",
    "CSI RBD provisioner has no ready replicas.",
    "Alertmanager notification latency is high.",
    "Persistent volume expansion is stuck.",
    # Descriptions with label values.
    "Pod {ns}/{pod} was evicted from {node} due to node memory pressure.",
    "Container {container} in pod {ns}/{pod} was OOM killed 3 times in the last hour.",
    "Ingress certificate for {ns}/{pod} expires in 3 days.",
    "CronJob {ns}/{pod} has missed its last 4 scheduled runs.",
    "Node {node} has been cordoned and unschedulable for more than 24 hours.",
    "Volume snapshot {ns}/{pod} has not become ready after 30 minutes.",
    "etcd member {pod} has a 99th percentile peer round-trip time of 0.45s.",
    "etcd database on {node} has 48% unused space after compaction; defragmentation is recommended.",
    "Prometheus {ns}/{pod} failed 12 scrapes in the last 10 minutes because targets exceeded the sample limit.",
    "Thanos Query {ns}/{pod} is failing 8% of queries over the last 5 minutes.",
    "Systemd service multipathd.service failed on node {node} 10 minutes ago.",
    "VM {ns}/{pod} vCPUs have seen 25% steal time over the last 15 minutes.",
    "Virtual machine snapshot {ns}/{pod} has been in progress for 2 hours.",
    "Ingress controller {pod} has had 1 of 3 desired replicas available for 15 minutes.",
    "Service {ns}/{pod} of type LoadBalancer has been waiting for an external IP for 20 minutes.",
    "Ceph RGW in {ns} is returning 5xx errors for 9% of S3 requests.",
    "NooBaa namespace store {pod} in {ns} has been unable to reach its target bucket for 10 minutes.",
    "OAuth server in {ns} rejected 30% of login attempts in the last 15 minutes.",
    "MetalLB speaker on {node} lost its BGP session to peer 10.0.0.1 5 minutes ago.",
    "Admission webhook {pod} timed out on 22% of API server calls in the last 10 minutes.",
]
