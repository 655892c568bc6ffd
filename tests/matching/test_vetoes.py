"""What a message says about being another alert than a runbook's (matching.vetoes, pure functions)."""
import pytest

from matching.index import RunbookIndex, RunbookRecord
from matching.matcher import match_alert
from matching.text import described_terms
from matching.titles import name_key
from matching.vetoes import VETOED_SHARE, conditions_in, is_spelled_name, message_flags, spelling_of, vetoed_share


def record(runbook_id, name, meaning, title=None):
    page = f"https://runbooks.example.test/{runbook_id}.md"
    title = title or name
    return RunbookRecord(runbook_id=runbook_id, page_url=page, title=title, alert_name=name, url=page,
                         kind="runbook", meaning=meaning, body=meaning,
                         names=((name_key(name or title), name or title, "title"),))


INDEX = RunbookIndex([record(1, "CoreDNSErrorsHigh", "CoreDNS answers many queries with SERVFAIL errors."),
                      record(2, "KafkaLagHigh", "Consumers lag behind the kafka topic."),
                      record(4, "CPUThrottlingHigh", "Processes are throttled by their CPU limit or CPU steal."),
                      record(3, None, "A page whose title is no word at all.", title="!!!")], vectors=None)



def doc_of(title):
    return next(doc for doc in range(len(INDEX)) if INDEX.runbook(doc).record.title == title)


@pytest.mark.parametrize("reading, is_name", [
    ("CoreDNSForwardErrorsHigh", True), ("kube-deployment-rollout-stuck", True),
    ("core dns forward errors high", True), ("Thanos Compact Halted", True), ("Thanos Compact Halted alert", True),
    ("Disk not responding", False), ("etcd cluster has no leader", False), ("Watchdog", False),
    ("Pod is crash looping", False),
])
def test_a_name_is_one_identifier_or_its_words_spelled_as_monitors_title_them(reading, is_name):
    assert is_spelled_name(reading) is is_name


def test_a_display_name_and_a_teams_lower_case_alarm_name_are_told_apart():
    assert spelling_of("Core DNS Forward Errors High").display
    assert spelling_of("kube-deployment-rollout-stuck").display  # one identifier
    assert spelling_of("prometheus tsdb block reload failures").words[:2] == ("prometheus", "tsdb")
    assert not spelling_of("prometheus tsdb block reload failures").display
    assert spelling_of("Disk not responding") is None


@pytest.mark.parametrize("title, vetoed", [
    ("kafka_consumer_lag_too_high is firing again", True),  # a name leads
    ("Monitor is alerting: kafka_consumer_lag_too_high", True),  # it leads the clause after the label
    ("[Triggered] Alert has fired | kafka_consumer_lag_too_high", True),
    ("Kafka consumers have lagged behind since fetches exceeded the configured consumer_fetch_max_wait", False),
])
def test_a_snake_case_name_is_unknown_where_it_leads_a_clause_not_where_a_description_quotes_it(title, vetoed):
    assert message_flags(INDEX, title, title).unknown_identifier is vetoed


def test_a_runbook_whose_name_has_no_word_neither_crashes_nor_vetoes_a_lower_case_alarm_name():
    flags = message_flags(INDEX, "consumers lag behind", "consumers lag behind")
    assert flags.spelling is not None and not flags.spelling.display
    assert vetoed_share(INDEX, doc_of("!!!"), flags, ["consum", "lag", "behind"]) == 1.0
    assert match_alert(INDEX, "consumers lag behind").confidence > 0


def test_glue_words_count_for_neither_side_of_a_mostly_unknown_alarm_name():
    # cpu and steal are the runbooks' words; and, or, per are glue, not words no runbook uses.
    flags = message_flags(INDEX, "cpu steal and or per", "cpu steal and or per")
    assert vetoed_share(INDEX, doc_of("CPUThrottlingHigh"), flags, ["cpu", "steal"]) == 1.0
    lambda_alarm = message_flags(INDEX, "lambda invoice pdf steal", "lambda invoice pdf steal")
    assert vetoed_share(INDEX, doc_of("CPUThrottlingHigh"), lambda_alarm, ["lambda", "invoic", "pdf", "steal"]) == \
        VETOED_SHARE


@pytest.mark.parametrize("words, degrees, conditions", [
    ("number of coredns panics encountered", True, {"panic"}),
    ("guest kernel panicking", True, {"panick"}),
    ("coredns errors high", True, {"error", "high"}),
    ("coredns errors high", False, {"error"}),
])
def test_the_conditions_a_message_says_panics_among_them(words, degrees, conditions):
    assert conditions_in(described_terms(words), degrees=degrees) == conditions
