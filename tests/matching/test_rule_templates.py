"""Titles rendered from a rule's summary or description template: every Go template shape a rule uses."""
import pytest

from matching.rule_templates import TemplateIndex, compile_template, fits, template_problem, title_words


def fit(template, title):
    return fits(compile_template("SomeAlert", template), title_words(title))


@pytest.mark.parametrize(("template", "title"), [
    # a label value, several side by side, and one inside a path
    ("Pod {{ $labels.namespace }}/{{ $labels.pod }} has been in a non-ready state for longer than 15 minutes.",
     "Pod payments/api-7f9c-x2 has been in a non-ready state for longer than 15 minutes."),
    # a value through a pipeline, and glued to a unit: "{{ $value }}s" renders "32.9s"
    ("{{ $value | humanizePercentage }} of reconciling operations failed for {{ $labels.controller }}.",
     "48.24% of reconciling operations failed for alertmanager controller."),
    ("Prometheus {{ $labels.job }} remote write is {{ printf \"%.1f\" $value }}s behind for {{ $labels.remote_name }}.",
     "Prometheus monitoring/prometheus-k8s-0 remote write is 32.9s behind for 7f0c54."),
    # `with` and `if` blocks render something, or nothing
    ("Deployment {{ $labels.deployment }} has not matched the expected number of replicas"
     "{{ with $labels.cluster -}} on cluster {{ . }}{{- end }}.",
     "Deployment billing/api has not matched the expected number of replicas on cluster eks-prod."),
    ("Deployment {{ $labels.deployment }} has not matched the expected number of replicas"
     "{{ with $labels.cluster -}} on cluster {{ . }}{{- end }}.",
     "Deployment billing/api has not matched the expected number of replicas."),
    ("Disk {{ if eq $labels.kind \"ssd\" }}SSD{{ else }}HDD{{ end }} on {{ $labels.instance }} is failing hard.",
     "Disk SSD on node-3 is failing hard"),
    # the route's decorations before, a severity after, Slack's escaping
    ("etcd cluster \"{{ $labels.job }}\": 99th percentile of gRPC requests is {{ $value }}s on etcd instance {{ $labels.instance }}.",
     "*[CRITICAL]* etcd cluster &quot;etcd&quot;: 99th percentile of gRPC requests is 3s on etcd instance "
     "10.42.1.174:2379. (critical)"),
    ("{{ $value }} non-OSD node(s) have max ICMP RTT latency > 100ms over the last 24h.",
     "Triggered 3456: 7 non-OSD node(s) have max ICMP RTT latency &gt; 100ms over the last 24h."),
    # a comment renders nothing
    ("{{/* shown in PagerDuty */}}Job {{ $labels.job_name }} failed to complete.",
     "Job payments/settlement-1 failed to complete."),
])
def test_a_title_rendered_from_a_template_fits_it_fully(template, title):
    assert fit(template, title) == "full"


def test_a_title_cut_by_pagerduty_fits_when_most_of_the_template_is_there():
    template = ("Prometheus {{ $labels.namespace }}/{{ $labels.pod }} has failed to evaluate {{ $value }} rules "
                "in the last 5m.")
    assert fit(template, "Prometheus monitoring/prometheus-k8s-0 has failed to evaluate 12 rules in the l") == "cut"
    assert fit(template, "Prometheus monitoring/prometheus-k8s-0 has f") is None  # too little is left to tell


def test_other_words_where_the_template_has_literal_ones_do_not_fit():
    template = "Pod {{ $labels.pod }} has been in a non-ready state for longer than 15 minutes."
    assert fit(template, "Pod api-1 has been in a ready state for longer than 15 minutes.") is None
    assert fit(template, "Pod api-1 has been in a non-ready state for longer than 15 minutes, and the node "
                         "it runs on is being drained by the autoscaler right now") is None


def test_a_template_that_says_too_little_or_does_not_parse_is_not_used():
    assert compile_template("TargetDown", "{{ $labels.job }} is down") is None
    assert compile_template("Broken", "Pod {{ $labels.pod is not ready for long") is None
    assert compile_template("Broken", "Pod {{ if $labels.pod }}x is not ready for long") is None
    assert template_problem("Pod {{ $labels.pod is not ready") is not None
    assert template_problem("Pod {{ $labels.pod }} is not ready") is None


def test_two_rules_whose_templates_fit_as_well_as_each_other_leave_the_alert_unnamed():
    index = TemplateIndex([
        compile_template("CephClusterErrorState", "Storage cluster is in error state for more than 10m."),
        compile_template("OdfClusterErrorState", "Storage cluster is in error state for more than {{ $value }}."),
        compile_template("CephClusterWarningState", "Storage cluster is in warning state for more than 15m."),
    ])
    assert index.alert_for("Storage cluster is in warning state for more than 15m.") == "CephClusterWarningState"
    assert index.alert_for("Storage cluster is in error state for more than 10m.") == "CephClusterErrorState"
    assert index.alert_for("Storage cluster is in error state for more than 20m.") == "OdfClusterErrorState"
    shared = TemplateIndex([compile_template(name, "Target disappeared from Prometheus target discovery.")
                            for name in ("KubeletDown", "KubeSchedulerDown")])
    assert shared.alert_for("Target disappeared from Prometheus target discovery.") is None
    cut = TemplateIndex([
        compile_template("KubePersistentVolumeFillingUp", "Based on recent sampling, the PersistentVolume claimed by "
                         "{{ $labels.pvc }} in Namespace {{ $labels.namespace }} is expected to fill up within four days."),
        compile_template("KubePersistentVolumeInodesFillingUp", "Based on recent sampling, the PersistentVolume claimed "
                         "by {{ $labels.pvc }} in Namespace {{ $labels.namespace }} is expected to run out of inodes."),
    ])
    assert cut.alert_for("Based on recent sampling, the PersistentVolume claimed by data-0 in Namespace monito") is None


def test_of_two_templates_a_whole_title_fits_the_one_that_says_more_of_it():
    index = TemplateIndex([
        compile_template("KubeClientCertificateExpiration", "Client certificate is about to expire."),
        compile_template("KubeletClientCertificateExpiration", "Kubelet client certificate is about to expire."),
        compile_template("GrafanaRequestsFailing", "{{ $labels.namespace }}/{{ $labels.job }}/{{ $labels.handler }} "
                                                   "is experiencing {{ $value | humanize }}% errors"),
        compile_template("KubeStateMetricsListErrors", "kube-state-metrics is experiencing errors in list operations."),
    ])
    assert index.alert_for("Kubelet client certificate is about to expire.") == "KubeletClientCertificateExpiration"
    assert index.alert_for("Client certificate is about to expire.") == "KubeClientCertificateExpiration"
    assert index.alert_for("kube-state-metrics is experiencing errors in list operations.") == \
        "KubeStateMetricsListErrors"


def test_a_long_description_cut_after_a_hundred_characters_still_fits():
    template = compile_template("Watchdog", "This is an alert meant to ensure that the entire alerting pipeline is "
                                "functional. This alert is always firing, therefore it should always be firing in "
                                "Alertmanager and always fire against a receiver.")
    assert fits(template, title_words("This is an alert meant to ensure that the entire alerting pipeline is "
                                      "functional. This alert is alwa")) == "cut"


def test_two_rules_of_one_alert_name_that_both_fit_name_it():
    index = TemplateIndex([
        compile_template("NodeFilesystemAlmostOutOfSpace", "Filesystem has less than 5% space left."),
        compile_template("NodeFilesystemAlmostOutOfSpace", "Filesystem has less than {{ $value }}% space left."),
    ])
    assert index.alert_for("[FIRING:1] Filesystem has less than 5% space left. (critical)") == \
        "NodeFilesystemAlmostOutOfSpace"


@pytest.mark.parametrize("template", [
    '{{ define "shown" }}{{ .Labels.pod }}{{ end }}Pod is not ready for long',
    "{{if(eq 1 1)}}x{{end}} Pod is not ready for long",
    "{{range.Alerts}}{{.Labels.pod}}{{end}} Pod is not ready for long",
    "{{- if $labels.x -}} on {{ . }} {{- else if $labels.y }}y{{ else }}z{{- end }} Pod is not ready for long",
])
def test_every_go_block_and_a_keyword_glued_to_its_argument_parse(template):
    assert template_problem(template) is None
    assert fit(template, "Pod is not ready for long") == "full"
