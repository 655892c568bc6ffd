"""Alert titles written blind, kept for the final check of the runbook matcher.

These wordings were written without seeing the matcher's code, its tuning data,
its results or the wordings in the earlier benchmark files. They imitate what a
PagerDuty incident title looks like when the Alertmanager template pages with an
alert's ``summary`` or ``description`` annotation instead of its name. Because
the matcher was never tuned on them, they are a final, held-out check.

``BLIND_SUMMARIES`` maps each alert name to two titles: a short summary
annotation and a longer description with label values filled in.
``BLIND_NO_RUNBOOK_SUMMARIES`` lists titles from the same domains for alerts that
have no runbook in the corpus; the matcher should not claim a runbook for them.

Placeholders ``{ns}``, ``{pod}``, ``{node}`` and ``{container}`` stand for the
namespace, the pod or object name, the node or host and the container; every
string can be passed through ``str.format`` with those four keywords.
"""

BLIND_SUMMARIES = {
    "ACMUWLMetricsCollectorFederationError": [
        "User workload metrics collector cannot federate from the hub Prometheus.",
        "ACM observability user-workload collector {pod} in {ns} got 14 failed federate requests/s (HTTP 403) "
        "for the last 10 minutes; application metrics are not reaching Grafana.",
    ],
    "ACMUWLMetricsCollectorForwardRemoteWriteError": [
        "User workload metrics collector is failing to forward samples to the observability API.",
        "36% of remote-write requests from UWL metrics collector {pod} in {ns} to the Observatorium API "
        "returned HTTP 503 during the past 10 minutes.",
    ],
    "CDINotReady": [
        "Containerized Data Importer is degraded.",
        "CDI in namespace {ns} has been unavailable and not progressing for 15 minutes; pod {pod} is not ready, "
        "so DataVolumes cannot be imported.",
    ],
    "CephMdsCPUUsageHighNeedsHorizontalScaling": [
        "Ceph MDS is CPU bound under a heavy request rate; add more active metadata servers.",
        "MDS pod {pod} in {ns} has used 71% of its CPU allocation while serving 2400 metadata requests/s "
        "for 6 hours; consider raising the active MDS count.",
    ],
    "CephMdsCPUUsageHighNeedsVerticalScaling": [
        "Ceph metadata server needs a bigger CPU allocation.",
        "CephFS metadata server {pod} in {ns} has been running at 69% of its 3-core CPU allocation for the last "
        "6 hours; raise its CPU requests and limits.",
    ],
    "CephMdsMissingReplicas": [
        "CephFS metadata server replicas are missing.",
        "Only 1 of 2 required MDS daemons for the filesystem in {ns} is up; pod {pod} has been absent "
        "for 15 minutes.",
    ],
    "CephMonLowNumber": [
        "Ceph monitor count is lower than the failure domains allow.",
        "Storage cluster in {ns} runs 3 Ceph monitors across 5 failure zones; going to 5 monitors would make "
        "quorum more resilient.",
    ],
    "CephMonVersionMismatch": [
        "Ceph monitors are running mixed versions.",
        "2 distinct Ceph versions detected among the mon daemons in {ns} for more than 10 minutes; mon pod {pod} "
        "still runs the previous release.",
    ],
    "CephOSDFlapping": [
        "A Ceph OSD keeps going down and coming back up.",
        "OSD pod {pod} on {node} in {ns} cycled 12 times within 5 minutes and is repeatedly marked down then up "
        "by the monitors.",
    ],
    "CephOSDSlowOps": [
        "Ceph OSD requests are being processed slowly.",
        "OSD {pod} on {node} has 37 operations blocked for longer than 30 seconds; client I/O to the storage "
        "cluster is degraded.",
    ],
    "CephOSDVersionMismatch": [
        "Ceph OSDs are running different versions.",
        "OSD daemons in {ns} report 2 different Ceph versions for over 10 minutes; {pod} was not updated after "
        "the storage upgrade.",
    ],
    "CephXattrSetLatency": [
        "CephFS setxattr operations are slow.",
        "Metadata server {pod} in {ns} averaged 47 ms per extended-attribute write over 5 minutes "
        "(threshold 30 ms).",
    ],
    "CollectorNodeDown": [
        "Log collector metrics endpoint is unreachable.",
        "Prometheus has failed to scrape log collector pod {pod} on {node} in {ns} for 10 minutes; "
        "log forwarding from that node may have stopped.",
    ],
    "DeschedulerPSIDisabled": [
        "Descheduler profile needs Pressure Stall Information, but the kernel feature is off.",
        "Kube descheduler is set to the KubeVirtRelieveAndMigrate profile, but worker {node} exposes no PSI "
        "metrics (/proc/pressure missing); pressure-based VM rebalancing will not happen.",
    ],
    "ExternalEgressHighTrend": [
        "Outbound traffic to external networks has surged compared with yesterday.",
        "Egress from namespace {ns} to destinations outside the cluster is up 240% compared with the same "
        "2-hour window 1 day ago.",
    ],
    "ExternalIngressHighTrend": [
        "Inbound traffic from outside the cluster is unusually high.",
        "Traffic entering {ns} from external sources rose 310% against yesterday's 1-hour baseline "
        "and is now 820 Mbps.",
    ],
    "ExtremelyHighIndividualControlPlaneMemory": [
        "A control plane node is almost out of memory.",
        "Master node {node} has used 93% of its memory for 45 minutes; etcd and kube-apiserver on it risk "
        "being OOM killed.",
    ],
    "GuestFilesystemAlmostOutOfSpace": [
        "A filesystem inside a virtual machine is nearly full.",
        "Guest disk vda1 mounted at /var in VMI {pod} ({ns}) is 91% used, with 1.8 GiB left.",
    ],
    "GuestVCPUQueueHighWarning": [
        "Virtual machine guest has a long CPU run queue.",
        "VMI {pod} in {ns} reports 14 runnable threads waiting beyond its 4 vCPUs over the last 2 minutes; "
        "guest processes are contending for CPU.",
    ],
    "HAControlPlaneDown": [
        "A control plane node is not ready.",
        "Control plane node {node} has reported NotReady for 7 minutes; API server, scheduler and etcd "
        "redundancy are reduced.",
    ],
    "HCOGoldenImageWithNoArchitectureAnnotation": [
        "A golden image template does not declare which CPU architectures it supports.",
        "Custom DataImportCronTemplate centos-stream9 in HyperConverged {ns}/kubevirt-hyperconverged lacks the "
        "architectures annotation; VMs booted from it may fail on arm64 nodes.",
    ],
    "HCOMisconfiguredDescheduler": [
        "Descheduler is not configured correctly for OpenShift Virtualization VMs.",
        "KubeDescheduler cluster in {ns} evicts virt-launcher pods without a KubeVirt-aware profile; VMs may be "
        "shut down instead of live migrated.",
    ],
    "HPPNotReady": [
        "Hostpath provisioner is degraded.",
        "Hostpath provisioner components in {ns} have not become ready for 15 minutes; pod {pod} is failing and "
        "PVCs on {node} cannot be provisioned.",
    ],
    "HighCPUWorkload": [
        "Node CPU utilisation is very high.",
        "CPU usage on {node} has been at 96% for more than 5 minutes; workloads on the node may slow down.",
    ],
    "HighNodeCPUFrequency": [
        "Node CPUs are running near their maximum clock speed.",
        "CPU cores on {node} have run at 87% of their maximum frequency for 5 minutes under sustained load.",
    ],
    "HighRBDCloneSnapshotCount": [
        "Too many clones or snapshots hang off a single RBD image.",
        "RBD image csi-vol-8f2c in pool ocs-storagecluster-cephblockpool has 236 child clones/snapshots "
        "(limit 200); deletes and resizes on it will slow down.",
    ],
    "HighlyAvailableWorkloadIncorrectlySpread": [
        "Replicated workload with persistent storage is not spread across nodes.",
        "All 3 replicas of StatefulSet {pod} in {ns} are scheduled on {node}; its persistent volumes leave it "
        "with a single point of failure.",
    ],
    "ImageRegistryStorageReadOnly": [
        "Internal image registry storage is read-only.",
        "Image registry pod {pod} in {ns} cannot write to its PVC; pushes and builds targeting the internal "
        "registry will fail.",
    ],
    "IngressHTTPLatencyTrend": [
        "Router HTTP response latency is rising compared with yesterday.",
        "Average HAProxy response time for routes in {ns} is 420 ms, 180% above the same hour 1 day ago.",
    ],
    "KubeVirtComponentExceedsRequestedMemory": [
        "KubeVirt component is using more memory than it requested.",
        "Container {container} of {pod} in {ns} is using 612 MiB of memory against a 400 MiB request.",
    ],
    "KubeVirtVMGuestMemoryAvailableLow": [
        "VM guest OS has almost no free memory left.",
        "Guest in VMI {pod} ({ns}) has had only 2% of its memory available for 10 minutes with no swap "
        "activity; an out-of-memory kill is likely.",
    ],
    "KubeVirtVMIExcessiveMigrations": [
        "A VM is being live-migrated far too often.",
        "VMI {pod} in {ns} was live migrated 15 times in the last 24 hours.",
    ],
    "KubevirtVmHighMemoryUsage": [
        "The container running a VM is close to its memory limit.",
        "Container {container} in virt-launcher pod {pod} ({ns}) has only 14 MB of memory left before its "
        "limit; the VM may be killed.",
    ],
    "LatencyHighTrend": [
        "TCP round-trip time has increased compared with the baseline.",
        "Smoothed TCP RTT for flows in {ns} is 38 ms, up 250% from the same period yesterday.",
    ],
    "LowKVMNodesCount": [
        "Fewer than two nodes provide KVM for virtual machines.",
        "Only 1 schedulable node ({node}) exposes the KVM device; VMs cannot be live migrated.",
    ],
    "LowReadyVirtControllersCount": [
        "Some virt-controller pods are not ready.",
        "1 of 2 virt-controller pods in {ns} has not been ready for 10 minutes; VM start and stop requests "
        "may fail.",
    ],
    "LowVirtAPICount": [
        "Only one virt-api instance is available.",
        "For the past hour {ns} has run a single virt-api pod ({pod}) while 6 nodes are schedulable; "
        "the KubeVirt API has no redundancy.",
    ],
    "MachineConfigControllerDrainError": [
        "Machine config controller could not drain a node.",
        "Draining {node} for a MachineConfig update has failed for 1 hour; pod {pod} in {ns} blocks eviction "
        "and the upgrade is stalled.",
    ],
    "MachineConfigControllerPausedPoolKubeletCA": [
        "A paused machine config pool is holding back a rotated kubelet CA.",
        "MachineConfigPool worker is paused and has not received the new kubelet-ca.crt for 1 hour; "
        "the current signer certificate expires in 12 days.",
    ],
    "NetObservLokiError": [
        "Flow logs are being dropped because the Loki write path is failing.",
        "flowlogs-pipeline pod {pod} in {ns} is dropping 1500 flows/s because writes to Loki fail.",
    ],
    "NetObservNoFlows": [
        "No network flow records have arrived from the eBPF agents.",
        "No network flows processed by flowlogs-pipeline in {ns} for 10 minutes; check the eBPF agent on {node}.",
    ],
    "NetworkAddonsConfigNotReady": [
        "Cluster network addons are not ready.",
        "The NetworkAddonsConfig in {ns} has been unready for 10 minutes; component {pod} deployed by the network "
        "addons operator is failing.",
    ],
    "NoLeadingVirtController": [
        "No virt-controller holds the leader lease.",
        "virt-controller pods in {ns} are ready but none has acquired leadership for 10 minutes; "
        "VMI lifecycle actions are stuck.",
    ],
    "NoLeadingVirtOperator": [
        "virt-operator has no leader.",
        "Neither of the 2 ready virt-operator pods in {ns} has held the leader lease for 10 minutes; "
        "KubeVirt upgrades and certificate rotation are paused.",
    ],
    "NoOvnMasterLeader": [
        "OVN-Kubernetes master has not elected a leader.",
        "ovnkube-master pods in {ns} have had no lease holder for 12 minutes; network configuration changes "
        "are not being applied.",
    ],
    "NoReadyVirtAPI": [
        "No virt-api pod is ready.",
        "0 of 2 virt-api pods in {ns} have been ready for 10 minutes; requests for VMs and other KubeVirt "
        "resources are failing.",
    ],
    "NoReadyVirtHandler": [
        "No virt-handler is ready on any node.",
        "virt-handler DaemonSet in {ns} has had 0 ready pods for 10 minutes; VM migrations and node-level "
        "domain operations will fail.",
    ],
    "NoRunningOvnControlPlane": [
        "OVN-Kubernetes control plane is not running.",
        "No ovnkube-control-plane pods have been running in {ns} for 5 minutes; egress IP assignment and node "
        "subnet allocation are unavailable.",
    ],
    "NodeWithoutOVNKubeNodePodRunning": [
        "A node has no running ovnkube-node pod.",
        "ovnkube-node has not been running on {node} for 10 minutes; new pods there cannot get networking and "
        "policy updates are not applied.",
    ],
    "ODFCorePodRestarted": [
        "A core ODF pod restarted.",
        "Ceph OSD pod {pod} on {node} in {ns} restarted 2 times in the past 24 hours while the storage cluster "
        "was active.",
    ],
    "ODFNodeLatencyHighOnNonOSDNodes": [
        "Network latency to ODF nodes that do not host OSDs is high.",
        "Ping round-trip time to storage node {node} (mon/mgr, no OSDs) averaged 140 ms over 24 hours, "
        "above the 100 ms limit.",
    ],
    "ODFNodeLatencyHighOnOSDNodes": [
        "Storage network latency to OSD nodes is elevated.",
        "Ping round-trip to OSD host {node} averaged 16 ms over the last 24 hours (threshold 10 ms); "
        "replication and client I/O will suffer.",
    ],
    "ODFNodeMTULessThan9000": [
        "ODF storage node interface is not using jumbo frames.",
        "Interface ens5 on storage node {node} has MTU 1500; ODF recommends 9000 for the storage network.",
    ],
    "ODFOperatorNotUpgradeable": [
        "OpenShift Data Foundation operator reports it cannot be upgraded.",
        "The odf-operator OperatorCondition in {ns} has had Upgradeable=False for 30 minutes; the next ODF "
        "version cannot be installed.",
    ],
    "ODFPersistentVolumeMirrorStatus": [
        "Persistent volume mirroring to the peer site is unhealthy.",
        "RBD image csi-vol-1a2b for PVC {pod} in {ns} (pool ocs-storagecluster-cephblockpool) has not mirrored "
        "to the secondary cluster for 20 minutes.",
    ],
    "ObcQuotaObjectsExhausedAlert": [
        "Object bucket claim has hit its object-count quota.",
        "ObjectBucketClaim {pod} in {ns} reached 100% of its 50000-object quota and is now read-only.",
    ],
    "OrphanedVirtualMachineInstances": [
        "VM instances are running on a node without virt-handler.",
        "virt-launcher pod {pod} in {ns} is running on {node}, where no virt-handler pod is up; "
        "the VMI cannot be managed.",
    ],
    "PersistentVolumeUsageCritical": [
        "Persistent volume claim is critically full.",
        "PVC {pod} in {ns} on storage class ocs-storagecluster-ceph-rbd is 88% used; writes will start failing "
        "once it fills.",
    ],
    "PersistentVolumeUsageNearFull": [
        "Persistent volume claim usage is high.",
        "PVC {pod} in {ns} backed by ocs-storagecluster-cephfs has reached 78% of its 100 GiB capacity.",
    ],
    "PrometheusOperatorListErrors": [
        "Prometheus Operator controller is failing to list resources.",
        "The prometheus controller of prometheus-operator in {ns} had 12% of its list calls fail over the last "
        "10 minutes.",
    ],
    "PrometheusOperatorWatchErrors": [
        "Prometheus Operator watches are failing.",
        "Watch requests from the alertmanager controller in prometheus-operator ({ns}) failed at a 7% rate "
        "over 15 minutes.",
    ],
    "PrometheusPossibleNarrowSelectors": [
        "Queries may use selectors on le or quantile labels that no longer match float values.",
        "Prometheus {pod} in {ns} evaluated queries or relabel rules that match the le label against the "
        "integer 1; since bucket labels are stored as floats they may return nothing.",
    ],
    "SSPFailingToReconcile": [
        "The SSP operator cannot reconcile its resources.",
        "ssp-operator pod {pod} in {ns} has failed its reconcile loop repeatedly for 15 minutes; common VM "
        "templates and the template validator are not being updated.",
    ],
    "StorageAutoScalerCRIsInvalid": [
        "Storage autoscaler configuration is invalid.",
        "StorageAutoScaler {pod} in {ns} rejects the ssd device class: a duplicate autoscaler exists for the "
        "same storage cluster, so capacity will not be expanded.",
    ],
    "V4SubnetAllocationThresholdExceeded": [
        "Most IPv4 node subnets in the cluster network are already assigned.",
        "84% of the cluster network's IPv4 host subnets are allocated to nodes; only 10 remain for new nodes.",
    ],
    "VirtHandlerRESTErrorsBurst": [
        "Most API calls from virt-handler are failing.",
        "virt-handler pod {pod} on {node} saw 86% of its API server requests fail during the last 10 minutes.",
    ],
    "VirtOperatorRESTErrorsHigh": [
        "virt-operator API requests are failing at an elevated rate.",
        "7% of REST calls from virt-operator pod {pod} in {ns} failed over the last hour; upgrades and "
        "reconciliation may be delayed.",
    ],
    "VirtualMachineStuckInUnhealthyState": [
        "A virtual machine has been unhealthy without a running instance.",
        "VM {pod} in {ns} has stayed in Provisioning for 14 minutes and no VirtualMachineInstance was created.",
    ],
    "etcdBackendQuotaLowSpace": [
        "etcd database is about to hit its size quota.",
        "etcd member on {node} has a 7.7 GiB database, 96% of the 8 GiB backend quota; writes will stop when "
        "it is full.",
    ],
    "etcdGRPCReadRequestsSlow": [
        "etcd read requests are slow.",
        "99th percentile latency of etcd Range calls on {pod} is 4.2s over the last 10 minutes.",
    ],
}

BLIND_NO_RUNBOOK_SUMMARIES = [
    # Kubernetes
    "Node is evicting pods.",
    "Pod {pod} in {ns} has been unschedulable for 25 minutes: 0/9 nodes are available, 3 have insufficient memory.",
    "Clients in {ns} made 340 requests in the last hour to an API version that is removed in the next "
    "Kubernetes release.",
    "CronJob missed its scheduled run.",
    "Admission webhook called by the API server is failing 18% of requests for pods in {ns}; object creation "
    "is being rejected.",
    # OpenShift
    "Cluster operators are blocking minor version upgrades.",
    "Cluster version operator has been unable to fetch the update graph for 2 hours: connection to the update "
    "service timed out.",
    "Machine has not reached the Running phase.",
    "Automatic image pruning is disabled.",
    # Ceph / ODF
    "12 placement groups in pool ocs-storagecluster-cephblockpool have been inactive for 5 minutes; I/O to "
    "them is blocked.",
    "A Ceph daemon crash has been recorded.",
    "Device /dev/sdc on {node} backing a Ceph OSD is predicted by SMART data to fail within 6 weeks.",
    "Clock skew detected between Ceph monitors.",
    "CephFS filesystem ocs-storagecluster-cephfilesystem reports metadata damage; clients in {ns} see "
    "I/O errors on affected directories.",
    "A NooBaa bucket is in an error state.",
    # KubeVirt
    "VirtualMachineSnapshot of VM {pod} in {ns} failed after 10 minutes: no volume snapshot class found.",
    "Live migration of a virtual machine failed.",
    "QEMU guest agent in VMI {pod} ({ns}) has been disconnected for 30 minutes; guest details are unavailable.",
    "Hotplugging a disk into a running VM failed.",
    # Prometheus / Alertmanager / Thanos
    "Prometheus is close to its maximum concurrent query limit.",
    "Prometheus {pod} in {ns} dropped 3 WAL segments after detecting corruption on startup.",
    "Prometheus Operator cannot update the status of the objects it manages.",
    "Alertmanager has no receivers configured, so notifications go nowhere.",
    "Thanos Query {pod} in {ns} is returning errors for 9% of HTTP query requests over 5 minutes.",
    "Thanos sidecar in {pod} ({ns}) failed 6% of object storage operations while uploading blocks over the last "
    "5 minutes.",
    "Thanos Store gateway is slow to read from object storage.",
    "Prometheus {pod} in {ns} is using 91% of its memory limit with 4.2 million active series.",
    # etcd
    "etcd member {pod} needs 210 ms (p99) to reach its peer on {node} over the last 10 minutes.",
    "etcd cluster has frequent leader elections.",
    "etcd database on {pod} is 58% fragmented (4.1 GiB allocated, 1.7 GiB in use); defragmentation is advised.",
    # Node exporter
    "A systemd unit has failed on the host.",
    "Disk nvme0n1 on {node} has had an average I/O queue depth of 14 for 30 minutes.",
    "Bond interface bond0 on {node} is degraded: 1 of 2 member links is down.",
    # Networking / OVN
    "ovnkube-controller on {node} gave up applying pod {pod} in {ns} after 15 retries.",
    "Pod sandbox creation is failing at the CNI ADD step.",
    "Egress IP 10.0.12.40 for namespace {ns} cannot be assigned: no egress-assignable node has capacity.",
    # Ingress
    "HAProxy configuration reloads are failing on a router.",
    "IngressController default has been Degraded for 20 minutes: router pod {pod} in {ns} is unavailable.",
    # Certificates
    "A cert-manager certificate will expire soon.",
    "Certificate {pod} in {ns} has not been Ready for 15 minutes; the ACME order for its secret keeps failing.",
]
