"""Alert rules from rule files and Prometheus-compatible rules APIs, kept in PostgreSQL per source."""
import logging
import textwrap

import pytest
import requests

from generate_documentation_db import rule_store
from generate_documentation_db.alert_rules import RuleSourceError, rules_from_api, rules_from_yaml
from generate_documentation_db.rule_sources import RuleReader, RuleWatcher, configured_sources, rules_api_url
from sandbox.prometheus_rules import RulesServer, rules_response

RULES_FILE = textwrap.dedent("""\
    groups:
      - name: apps
        rules:
          - record: job:errors:rate5m
            expr: sum(rate(errors_total[5m])) by (job)
          - alert: KubePodNotReady
            expr: kube_pod_status_phase{phase="Pending"} > 0
            for: 15m
            labels: {severity: warning, team: platform}
            annotations:
              summary: Pod has been in a non-ready state for more than 15 minutes.
              description: Pod {{ $labels.namespace }}/{{ $labels.pod }} has been in a non-ready state.
              runbook_url: https://runbooks.example.test/KubePodNotReady.md
          - alert: KubeJobFailed
            expr: kube_job_failed > 0
            labels: {severity: critical}
            annotations: {summary: Job failed to complete.}
    """)
PROMETHEUS_RULE = textwrap.dedent("""\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: unrelated}
    ---
    apiVersion: monitoring.coreos.com/v1
    kind: PrometheusRule
    metadata: {name: etcd}
    spec:
      groups:
        - name: etcd
          rules:
            - alert: etcdNoLeader
              expr: etcd_server_has_leader == 0
              labels: {severity: critical}
              annotations:
                message: etcd cluster has no leader.
                runbook: https://runbooks.example.test/etcdNoLeader.md
    """)


def test_a_rule_file_gives_its_alerting_rules_with_everything_the_matcher_and_coverage_need():
    rules = rules_from_yaml(RULES_FILE)
    assert [rule.alert_name for rule in rules] == ["KubePodNotReady", "KubeJobFailed"]  # the recording rule is not
    pod = rules[0]
    assert (pod.group, pod.severity, pod.labels["team"], pod.for_duration) == ("apps", "warning", "platform", "15m")
    assert pod.runbook_url == "https://runbooks.example.test/KubePodNotReady.md"
    assert pod.description.startswith("Pod {{ $labels.namespace }}/")
    assert rules[1].runbook_url == ""


def test_prometheusrule_objects_among_other_documents_are_read_with_their_older_annotation_names():
    (rule,) = rules_from_yaml(PROMETHEUS_RULE)
    assert (rule.alert_name, rule.summary, rule.runbook_url) == (
        "etcdNoLeader", "etcd cluster has no leader.", "https://runbooks.example.test/etcdNoLeader.md")


def test_invalid_yaml_is_one_sentence_naming_the_file_and_line():
    with pytest.raises(RuleSourceError, match=r"^rules/apps.yml is not valid YAML at line \d+\.$"):
        rules_from_yaml("groups:\n  - name: a\n    rules: [ {alert: X\n", "rules/apps.yml")


def test_the_api_response_shape_is_read_as_prometheus_serves_it(tmp_path):
    (tmp_path / "apps.yml").write_text(RULES_FILE)
    rules = rules_from_api(rules_response([tmp_path / "apps.yml"]))
    assert [(rule.alert_name, rule.for_duration) for rule in rules] == [("KubePodNotReady", "900s"),
                                                                        ("KubeJobFailed", "")]
    assert rules == [rule.__class__(**{**rule.__dict__}) for rule in rules]
    with pytest.raises(RuleSourceError, match="did not answer with rules"):
        rules_from_api({"status": "error", "error": "rule manager not ready"})


def test_the_rules_endpoint_is_added_to_a_base_url_including_mimirs_prometheus_prefix():
    assert rules_api_url("http://prometheus:9090/") == "http://prometheus:9090/api/v1/rules"
    assert rules_api_url("http://mimir:8080/prometheus") == "http://mimir:8080/prometheus/api/v1/rules"
    assert rules_api_url("http://x/api/v1/rules") == "http://x/api/v1/rules"
    (source,) = configured_sources(["https://ana:s3cret-pass@prometheus.example.test/"], [])
    assert source.name == "https://ana@prometheus.example.test/api/v1/rules"  # never the password
    assert "s3cret-pass" in source.url


@pytest.fixture
def rules_api(tmp_path):
    (tmp_path / "apps.yml").write_text(RULES_FILE)
    server = RulesServer(tmp_path, token="rules-token").start()
    yield server
    server.stop()


def reader(timeout=2.0):
    return RuleReader(requests.Session(), token="rules-token", timeout_seconds=timeout)


def rule_count(db):
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*) FROM alert_rules")
        return cur.fetchone()[0]


def test_a_rules_api_is_read_under_the_prometheus_prefix_and_an_unchanged_answer_writes_nothing(db, rules_api):
    watcher = RuleWatcher(reader(), [f"{rules_api.url}/prometheus"], [])
    report = watcher.poll(db)
    assert (report.rules, len(report.changed), report.faults) == (2, 1, [])
    assert rules_api.requests == ["/prometheus/api/v1/rules"]
    with db, db.cursor() as cur:
        cur.execute("SELECT xmin::text FROM alert_rule_sources")
        before = cur.fetchone()[0]
    assert watcher.poll(db).changed == []
    with db, db.cursor() as cur:
        cur.execute("SELECT xmin::text FROM alert_rule_sources")
        assert cur.fetchone()[0] == before  # the row was not rewritten
    assert rule_count(db) == 2


@pytest.mark.parametrize(("fault", "problem"), [
    (("delay", 1.5), "did not answer within 0.5 s."),
    (("status", 500), "answered HTTP 500."),
    (("garbage", None), "answered something that is not JSON."),
])
def test_a_rules_api_that_fails_is_one_line_and_its_last_good_rules_stay(db, rules_api, caplog, fault, problem):
    watcher = RuleWatcher(reader(timeout=0.5), [rules_api.url], [])
    watcher.poll(db)
    rules_api.fault = fault
    with caplog.at_level(logging.WARNING):
        report = watcher.poll(db)
    assert [problem_text for _, problem_text in report.faults] == [f"{rules_api.url}/api/v1/rules {problem}"]
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert warnings == [f"{rules_api.url}/api/v1/rules {problem} Its last good alert rules stay."]
    assert rule_count(db) == 2
    (state,) = rule_store.source_states(db)
    assert state.problem.endswith(problem) and state.rule_count == 2


def test_a_wrong_token_is_an_http_error_not_a_crash(db, rules_api):
    report = RuleWatcher(RuleReader(requests.Session(), token="wrong"), [rules_api.url], []).poll(db)
    assert report.faults and "HTTP 401" in report.faults[0][1]


def test_each_rule_file_is_a_source_so_one_broken_file_keeps_its_rules_while_the_others_move_on(db, tmp_path):
    folder = tmp_path / "rules"
    (folder / "team").mkdir(parents=True)
    (folder / "apps.yml").write_text(RULES_FILE)
    (folder / "team" / "etcd.yaml").write_text(PROMETHEUS_RULE)
    (folder / "README.md").write_text("not rules")
    watcher = RuleWatcher(reader(), [], [str(folder)])
    assert watcher.poll(db).rules == 3
    (folder / "apps.yml").write_text(RULES_FILE + "  - name: [broken\n")
    (folder / "team" / "etcd.yaml").write_text(PROMETHEUS_RULE.replace("etcdNoLeader", "etcdNoLeaderAnyMore"))
    report = watcher.poll(db)
    assert [source for source, _ in report.faults] == [str(folder / "apps.yml")]
    names = sorted(stored.rule.alert_name for stored in rule_store.stored_rules(db))
    assert names == ["KubeJobFailed", "KubePodNotReady", "etcdNoLeaderAnyMore"]
    (folder / "team" / "etcd.yaml").unlink()  # a file removed from the checkout takes its rules along
    watcher.poll(db)
    assert sorted(stored.rule.alert_name for stored in rule_store.stored_rules(db)) == ["KubeJobFailed",
                                                                                         "KubePodNotReady"]


def test_a_template_that_does_not_parse_makes_its_source_broken(db, tmp_path):
    path = tmp_path / "apps.yml"
    path.write_text(RULES_FILE)
    watcher = RuleWatcher(reader(), [], [str(path)])
    watcher.poll(db)
    path.write_text(RULES_FILE.replace("{{ $labels.pod }}", "{{ $labels.pod"))
    report = watcher.poll(db)
    assert "the description of KubePodNotReady does not parse as a template" in report.faults[0][1]
    assert rule_count(db) == 2


def test_an_alert_name_keeps_the_time_it_was_first_read_across_changes_of_its_rules(db):
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    rules = rules_from_yaml(RULES_FILE)
    rule_store.store_rules(db, "a.yml", rules)
    assert rule_store.first_seen_between(db, now - timedelta(hours=1), now + timedelta(hours=1)) == {
        "KubePodNotReady", "KubeJobFailed"}
    with db, db.cursor() as cur:
        cur.execute("UPDATE alert_rule_names SET first_seen_at = first_seen_at - interval '30 days'")
    rule_store.store_rules(db, "a.yml", rules[:1])  # changed: rows rewritten, first sight kept
    rule_store.store_rules(db, "b.yml", rules_from_yaml(PROMETHEUS_RULE))
    assert rule_store.first_seen_between(db, now - timedelta(hours=1), now + timedelta(hours=1)) == {"etcdNoLeader"}


def test_off_site_runbook_links_are_asked_once_per_interval_and_a_link_that_goes_is_noted_once(db, tmp_path):
    from sandbox.docs_server import DocsServer
    site = tmp_path / "site"
    site.mkdir()
    (site / "KubeJobFailed.html").write_text("<html><body><h1>KubeJobFailed</h1></body></html>")
    server = DocsServer(site).start()
    try:
        rules = tmp_path / "rules.yml"
        rules.write_text(RULES_FILE.replace("https://runbooks.example.test/KubePodNotReady.md",
                                            f"{server.url}KubePodNotReady.html").replace(
            "annotations: {summary: Job failed to complete.}",
            f"annotations: {{summary: Job failed to complete., runbook_url: '{server.url}KubeJobFailed.html'}}"))
        watcher = RuleWatcher(reader(), [], [str(rules)], link_check_seconds=3600)
        watcher.poll(db)
        assert watcher.check_links(db) == []  # never there: broken from the start, no news
        assert rule_store.stored_gone_links(db) == {f"{server.url}KubePodNotReady.html"}
        asked = [entry.path for entry in server.take_requests()]
        assert sorted(asked) == ["/KubeJobFailed.html", "/KubePodNotReady.html"]
        assert watcher.check_links(db) == [] and server.take_requests() == []  # not due again within the hour
        (site / "KubeJobFailed.html").unlink()
        with db, db.cursor() as cur:
            cur.execute("UPDATE rule_links SET checked_at = now() - interval '2 hours'")
        assert watcher.check_links(db) == [f"{server.url}KubeJobFailed.html"]  # it broke now
        assert rule_store.stored_gone_links(db) == {f"{server.url}KubePodNotReady.html", f"{server.url}KubeJobFailed.html"}
    finally:
        server.stop()


@pytest.mark.parametrize("payload", [
    {"status": "success", "data": "x"},
    {"status": "success", "data": {"groups": [{"name": "a", "rules": 5}]}},
    {"status": "success", "data": {"groups": "x"}},
    ["not", "an", "object"],
])
def test_a_rules_api_answer_of_the_wrong_shape_is_one_sentence(payload):
    with pytest.raises(RuleSourceError, match=r"^the rules API (answered|did not answer)"):
        rules_from_api(payload)


def test_odd_values_in_a_rule_are_read_without_losing_it():
    payload = {"status": "success", "data": {"groups": [{"name": "g", "rules": [
        {"type": "alerting", "name": "A", "duration": float("nan"), "labels": {"severity": None},
         "annotations": {"summary": "Pod x\x00y is down"}}]}]}}
    (rule,) = rules_from_api(payload)
    assert (rule.summary, rule.for_duration, rule.severity) == ("Pod xy is down", "", "")
    # Documents that hold no rules (another object, a playbook, an empty group) are no error.
    assert rules_from_yaml("kind: Foo\nspec: [1]\n---\n- hosts: all\n---\ngroups:\n  - name: a\n    rules:\n") == []


@pytest.mark.parametrize(("url", "name"), [
    ("https://ops:hunter2#x@prom.example.test:9090", "https://ops@prom.example.test:9090/api/v1/rules"),
    ("https://ops:s3cr/et@prom.example.test/", "https://ops@prom.example.test/api/v1/rules"),
    ("http://[::1]:9090", "http://[::1]:9090/api/v1/rules"),
    ("http://mimir.example.test/prometheus?tenant=a", "http://mimir.example.test/prometheus/api/v1/rules?tenant=a"),
])
def test_a_source_is_named_without_its_password_whatever_the_password_holds(url, name):
    (source,) = configured_sources([url], [])
    assert source.name == name
    assert "hunter2" not in source.name and "s3cr" not in source.name


def test_a_rules_folder_that_is_gone_for_a_while_keeps_the_rules_read_under_it(db, tmp_path):
    folder = tmp_path / "checkout"
    folder.mkdir()
    (folder / "apps.yml").write_text(RULES_FILE)
    watcher = RuleWatcher(reader(), [], [str(folder)])
    watcher.poll(db)
    (folder / "apps.yml").rename(tmp_path / "apps.yml")
    folder.rmdir()  # a checkout being replaced, an unmounted volume
    report = watcher.poll(db)
    assert [source for source, _ in report.faults] == [str(folder)]
    assert rule_count(db) == 2
