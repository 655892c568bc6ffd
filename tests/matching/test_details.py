"""The alert a message names beyond its title (matching/details.py), and the key it is kept under."""
import pytest

from matching.details import key_of, message_key, named_alert

GENERIC = "Incident triggered by Alertmanager"


@pytest.mark.parametrize("details, key", [
    (f"{GENERIC}\n*Alert:* etcdNoLeader\n*Severity:* critical", "etcd no leader"),
    (f"{GENERIC}\nLabels: alertname=TargetDown, job=node", "target down"),
    (f"{GENERIC}\n*Alert:* etcdNoLeader - etcd-0\nalertname=etcdNoLeader", "etcd no leader"),
    # The usual template: the summary in the field, the identifier in a label; the identifier is the alert.
    (f"{GENERIC}\n*Alert:* Pod payments/api-1 is crash looping - `critical`\n• *alertname:* `KubePodCrashLooping`",
     "kube pod crash looping"),
    # Only words: they are the alert, without the severity the template appends.
    (f"{GENERIC}\n*Alert:* Pod payments/api-1 is crash looping - `critical`", "pod is crash looping"),
    # An empty field gives nothing, not the next line's field.
    (f"{GENERIC}\n*Alert:*\n*Severity:* critical", "incident triggered by alertmanager"),
    (f"{GENERIC}\nAlert rule: https://prometheus.test/rules\n*Alert:* TargetDown", "target down"),
    # A grouped notification is no one alert; PagerDuty's own fields name the team's service, not the alert.
    (f"{GENERIC}\n*Alert:* etcdNoLeader\n*Alert:* TargetDown", "incident triggered by alertmanager"),
    (f"{GENERIC}\nService: payments-api\nUrgency: high", "incident triggered by alertmanager"),
])
def test_a_generic_title_is_the_alert_its_name_field_gives(details, key):
    assert message_key(GENERIC, details) == key


@pytest.mark.parametrize("title, details", [
    ("[FIRING:1] KubePodCrashLooping (payments)", "[FIRING:1] KubePodCrashLooping\nalertname=KubePodCrashLooping"),
    ("Alert: Pod is crash looping", "Alert: Pod is crash looping"),
    ("Rule: High CPU on web-01", "Rule: High CPU on web-01"),
    ("Disk full on db-1", "Disk full on db-1\nseverity: warning"),
])
def test_a_title_that_says_its_alert_keeps_its_own_key(title, details):
    # The key its history and lessons were stored under before the message's fields were read.
    assert message_key(title, details) == key_of(None, title)


def test_the_named_alert_is_kept_as_written_for_the_stored_keys_to_be_made_again():
    assert named_alert("x\n*Alert:* etcdNoLeader\nalertname=etcdNoLeader") == "etcdNoLeader"
    assert named_alert("x\n*Alert:* etcdNoLeader\n*Alert:* TargetDown") is None
    assert named_alert(None) is None
    assert key_of("etcdNoLeader", GENERIC) == "etcd no leader" and key_of(None, GENERIC) == "incident triggered by alertmanager"
