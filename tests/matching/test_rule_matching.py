"""What the team's alert rules and the message's own links add to matching, before any text ranking."""
from matching.index import RunbookIndex, RunbookRecord
from matching.matcher import match_alert
from matching.rule_book import RuleBook, RuleFacts, link_key, link_name
from matching.titles import name_key

SITE = "https://runbooks.example.test"


def record(runbook_id, name, path, meaning="", body="Check the thing, then fix it."):
    url = f"{SITE}/{path}"
    return RunbookRecord(runbook_id=runbook_id, page_url=url, title=name, alert_name=name, url=url, kind="runbook",
                         meaning=meaning, body=body, names=((name_key(name), name, "title"),))


POD_NOT_READY = record(1, "KubePodNotReady", "kubernetes/KubePodNotReady.html",
                       "A pod has stayed unready for longer than a quarter of an hour.")
DRAIN_ERROR = record(2, "MachineConfigControllerDrainError", "mco/MachineConfigControllerDrainError.html",
                     "The machine config controller could not drain a node.")
DISK_FULL = record(3, "Disk full", "node/disk-full.html", "A filesystem is almost out of space.")
RULES = RuleBook([
    RuleFacts("KubePodNotReady", "Pod has been in a non-ready state for more than 15 minutes.",
              "Pod {{ $labels.namespace }}/{{ $labels.pod }} has been in a non-ready state for longer than "
              "15 minutes.", f"{SITE}/kubernetes/KubePodNotReady.html"),
    RuleFacts("MCDDrainError", "Alerts the user to a failed node drain.",
              "Drain failed on {{ $labels.exported_node }}, updates may be blocked.",
              f"{SITE}/mco/MachineConfigControllerDrainError.html"),
    RuleFacts("NodeFilesystemAlmostOutOfSpace", "Filesystem has less than 5% space left.",
              "Filesystem on {{ $labels.device }} at {{ $labels.instance }} has only {{ $value }}% space left.",
              f"{SITE}/node/disk-full.html"),
    RuleFacts("KubeContainerWaiting", "Pod container waiting longer than 1 hour",
              "pod/{{ $labels.pod }} in namespace {{ $labels.namespace }} on container {{ $labels.container }} "
              "has been in waiting state for longer than 1 hour.", ""),
    RuleFacts("PrometheusRuleFailures", "Prometheus is failing rule evaluations.",
              "Prometheus {{ $labels.pod }} has failed to evaluate {{ $value }} rules in the last 5m.",
              "https://github.com/example/runbooks/blob/main/PrometheusRuleFailures.md"),
], version=1)


def index_with_rules():
    index = RunbookIndex([POD_NOT_READY, DRAIN_ERROR, DISK_FULL], vectors=None)
    index.rules = RULES
    return index


def test_a_runbook_link_in_the_message_names_its_page_whatever_the_title_says():
    index = index_with_rules()
    match = match_alert(index, "Something odd happened", links=(f"{SITE}/node/disk-full.html#diagnosis",))
    assert (match.runbook_id, match.reason, match.confidence) == (3, "runbook link", 1.0)
    # The same page linked in another spelling of its URL.
    assert match_alert(index, "x", links=("http://RUNBOOKS.example.test/node/disk-full/",)).runbook_id == 3


def test_a_link_to_a_page_the_site_lacks_is_still_given():
    link = "https://wiki.example.test/ops/KafkaConsumerLagHigh"
    match = match_alert(index_with_rules(), "Consumer group lag is high", links=(link,))
    assert match.found and not match.on_docs_site
    assert (match.url, match.matched, match.reason) == (link, "KafkaConsumerLagHigh", "runbook link")


def test_a_link_to_an_upstream_runbook_finds_the_teams_copy_by_its_file_name():
    index = index_with_rules()
    match = match_alert(index, "x", links=("https://github.com/acme/runbooks/blob/main/KubePodNotReady.md",))
    assert match.runbook_id == 1


def test_a_title_rendered_from_a_rules_template_names_that_rules_alert():
    match = match_alert(index_with_rules(), "Triggered #4711: Pod payments/api-7f has been in a non-ready state "
                                            "for longer than 15 minutes.")
    assert (match.runbook_id, match.reason, match.matched) == (1, "rule template", "KubePodNotReady")
    # documented under another name than the alert's: the rule's runbook_url says where
    match = match_alert(index_with_rules(), "[FIRING:1] Filesystem has less than 5% space left. (critical)")
    assert (match.runbook_id, match.matched) == (3, "NodeFilesystemAlmostOutOfSpace")


def test_a_rule_without_a_runbook_keeps_the_bot_quiet_rather_than_guessing():
    match = match_alert(index_with_rules(), "pod/api-1 in namespace payments on container app has been in waiting "
                                            "state for longer than 1 hour.")
    assert not match.found and match.reason == "rule without runbook"
    assert match.alert_key == "kube container waiting"


def test_a_rule_whose_runbook_url_points_off_the_site_is_quiet_and_lists_that_link():
    # The rule's link may be long gone (a public rules repository had 28 of 41 returning 404); the docs site
    # has no runbook for the alert, so no reply claims one.  The link is offered as possibly related.
    for title in ("Prometheus k8s-0 has failed to evaluate 12 rules in the last 5m.",
                  "[FIRING:1] PrometheusRuleFailures (k8s-0 warning)"):
        match = match_alert(index_with_rules(), title)
        assert not match.found and match.reason == "rule without runbook"
        assert match.alternative_urls == ("https://github.com/example/runbooks/blob/main/PrometheusRuleFailures.md",)
        assert match.alert_key == "prometheus rule failures"


def test_an_alert_name_resolves_to_its_rules_runbook_url_when_the_page_is_named_otherwise():
    match = match_alert(index_with_rules(), "[FIRING:1] MCDDrainError (worker-3 warning)")
    assert (match.runbook_id, match.reason) == (2, "rule runbook_url")


def test_link_keys_join_the_spellings_of_one_page():
    assert link_key("https://Docs.example.test/a/KubePodNotReady.md") == link_key("http://docs.example.test/a/kubepodnotready/")
    assert link_key("https://docs.example.test/a/index.html#x")[1] == "x"
    assert link_name("https://x.test/runbooks/kubernetes/kubepodcrashlooping/") == "kubepodcrashlooping"


def test_a_short_template_inside_a_longer_title_about_something_else_is_no_fit():
    index = RunbookIndex([record(4, "etcdMembersDown", "etcd/etcdMembersDown.html",
                                 "Members of the etcd cluster are down: an etcd member instance is down.")],
                         vectors=None)
    index.rules = RuleBook([RuleFacts("InstanceDown", "Instance {{ $labels.instance }} is down", "", "")])
    match = match_alert(index, "[P2] etcd member instance etcd-2 is down on prod-east")
    assert match.reason != "rule without runbook"
    assert match_alert(index, "[FIRING:1] Instance 10.0.0.1:9100 is down").reason == "rule without runbook"


def test_a_rules_name_does_not_hide_a_documented_alert_named_later_in_the_title():
    match = match_alert(index_with_rules(), "[FIRING:2] monitoring (PrometheusRuleFailures KubePodNotReady warning)")
    assert (match.runbook_id, match.reason) == (1, "exact name")


def test_a_generic_link_gives_the_page_but_not_its_name_as_the_alerts():
    match = match_alert(index_with_rules(), "Consumer group lag is high",
                        links=("https://wiki.example.test/pages/viewpage.action?pageId=1234",))
    assert match.found and match.matched is None and match.alert_key == "consumer group lag is high"


def test_a_rules_runbook_url_that_cannot_be_read_leaves_the_alert_to_its_name_and_words():
    assert link_key("https://[RUNBOOK_HOST]/KubePodNotReady") == ("", "") and link_name("http://[oops/x") == ""
    index = index_with_rules()
    index.rules = RuleBook([RuleFacts("KubePodNotReady", "Pod {{ $labels.pod }} is not ready", "",
                                      "https://[RUNBOOK_HOST]/KubePodNotReady"),
                            RuleFacts("PaymentsQueueStuck", "Payments queue {{ $labels.queue }} is stuck", "",
                                      "https://[RUNBOOK_HOST]/PaymentsQueueStuck")], version=2)
    assert match_alert(index, "[FIRING:1] KubePodNotReady (payments api-1)").runbook_id == 1
    assert match_alert(index, "Pod api-1 is not ready").runbook_id == 1  # by its rule's template
    quiet = match_alert(index, "Payments queue orders is stuck")
    assert not quiet.found and quiet.reason == "rule without runbook" and quiet.alternatives == ()
    assert match_alert(index, "x", links=("http://[oops/x",)).runbook_id is None
    # A readable link whose path names no page is still offered, by its host.
    index.rules = RuleBook([RuleFacts("PaymentsQueueStuck", "Payments queue {{ $labels.queue }} is stuck", "",
                                      "https://wiki.example.test/")], version=3)
    quiet = match_alert(index, "Payments queue orders is stuck")
    assert (quiet.alternatives, quiet.alternative_urls) == (("wiki.example.test",), ("https://wiki.example.test/",))
