"""Which alert rules have a runbook before any of them fires (pure: stored rules over the runbook index)."""
from generate_documentation_db.alert_rules import AlertRule
from generate_documentation_db.rule_coverage import (
    BROKEN,
    NONE,
    OFF_SITE,
    ON_SITE,
    format_coverage,
    rule_coverage,
    with_broken_links,
)
from generate_documentation_db.rule_store import StoredRule
from matching.index import RunbookIndex, RunbookRecord
from matching.titles import name_key

SITE = "https://runbooks.example.test"


def runbook(runbook_id, name, path):
    return RunbookRecord(runbook_id, f"{SITE}/{path}", name, name, f"{SITE}/{path}", "runbook", "", "",
                         ((name_key(name), name, "title"),))


INDEX = RunbookIndex([runbook(1, "KubePodNotReady", "KubePodNotReady.html"),
                      runbook(2, "Disk full", "node/disk-full.html")], vectors=None)


def stored(name, severity="warning", link="", source="rules.yml"):
    return StoredRule(source, AlertRule(name, group="g", severity=severity, runbook_url=link))


def test_each_rule_once_with_its_status_the_gaps_first_by_severity():
    rules = [
        stored("KubePodNotReady"),  # by its name
        stored("NodeFilesystemAlmostOutOfSpace", "critical", f"{SITE}/node/disk-full.html"),  # by its link
        stored("RedisDown", "warning", "https://wiki.example.test/RedisDown"),
        stored("KafkaLag", "warning"), stored("EtcdDown", "critical"),
        stored("KafkaLag", "warning", source="http://prometheus/api/v1/rules"),  # the same rule twice
    ]
    coverage = rule_coverage(rules, INDEX)
    assert [(entry.alert_name, entry.status) for entry in coverage] == [
        ("EtcdDown", NONE), ("KafkaLag", NONE), ("RedisDown", OFF_SITE),
        ("NodeFilesystemAlmostOutOfSpace", ON_SITE), ("KubePodNotReady", ON_SITE)]
    assert coverage[3].runbook == f"{SITE}/node/disk-full.html"
    marked = with_broken_links(coverage, {"https://wiki.example.test/RedisDown"})
    assert [entry.status for entry in marked][:3] == [NONE, NONE, BROKEN]
    lines = format_coverage(marked)
    assert lines[-2] == "5 rules: 2 no runbook, 1 runbook_url broken, 2 runbook on the docs site."
    assert lines[-1] == "Without a runbook on the docs site, by severity: critical 1, warning 2."
