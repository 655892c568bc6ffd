"""Recognising alerts in Slack message events (pure)."""
import pytest

from bot.recognition import MalformedEvent, gathered_text, incident_title, recognise_alert, slack_to_plain
from sandbox.slack_workspace import pagerduty_message

PD = "B0PAGERDUTY"


def event(**fields):
    return {"type": "message", "channel": "C1", "ts": "1700000000.000100", **fields}


def test_a_pagerduty_attachment_message_is_an_alert_with_its_incident():
    message = event(**pagerduty_message("[FIRING:2] KubePodCrashLooping (api-7f9 default critical)", 4821, "Q1ABC2D"))
    alert = recognise_alert(message, pagerduty_bot_ids=(PD,))
    assert alert.title == "#4821: [FIRING:2] KubePodCrashLooping (api-7f9 default critical)"
    assert (alert.incident_number, alert.incident_id, alert.status) == (4821, "Q1ABC2D", "triggered")
    assert alert.incident_url == "https://sandbox.pagerduty.com/incidents/Q1ABC2D"
    assert alert.incident_claims == ["id:Q1ABC2D", "number:4821"]


def test_an_alerts_details_are_all_its_message_says_title_attachment_text_and_fields():
    message = event(**pagerduty_message("Incident triggered by Alertmanager", 4822, "Q1ABC2E"))
    message["attachments"][0]["text"] = "*Alert:* KubePodCrashLooping\n*Severity:* critical"
    alert = recognise_alert(message, pagerduty_bot_ids=(PD,))
    assert alert.title == "#4822: Incident triggered by Alertmanager"
    assert "Incident triggered by Alertmanager" in alert.details and "*Alert:* KubePodCrashLooping" in alert.details
    assert "Service: Production API" in alert.details


def test_text_is_gathered_from_blocks_attachments_fields_and_nested_blocks():
    message = event(text="", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "from blocks"}},
                                     {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
                                         {"type": "text", "text": "rich"}]}]}],
                    attachments=[{"pretext": "pre", "fields": [{"title": "Urgency", "value": "High"}],
                                  "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "nested"}]}]}])
    text = gathered_text(message)
    for part in ("from blocks", "rich", "pre", "Urgency: High", "nested"):
        assert part in text


def test_a_blocks_only_pagerduty_message_gives_its_title():
    message = event(bot_id=PD, blocks=[{"type": "section", "text": {
        "type": "mrkdwn", "text": "<https://acme.pagerduty.com/incidents/Q9ABCDE|Triggered #77: etcdNoLeader>"}}])
    alert = recognise_alert(message, pagerduty_bot_ids=(PD,))
    assert alert.title == "Triggered #77: etcdNoLeader"
    assert (alert.incident_number, alert.incident_id) == (77, "Q9ABCDE")


@pytest.mark.parametrize("text", ["[FIRING:1] TargetDown (job)", "Triggered #12: Disk full",
                                  'ALARM: "api-5xx" in EU (Ireland)', "see https://x.pagerduty.com/incidents/QABCDE"])
def test_another_bots_message_with_alert_markers_is_an_alert(text):
    assert recognise_alert(event(bot_id="B0OTHER", subtype="bot_message", text=text)) is not None


def test_a_bots_message_without_alert_markers_is_not_an_alert():
    assert recognise_alert(event(bot_id="B0DEPLOY", subtype="bot_message", text="Deployed api v2.3")) is None


@pytest.mark.parametrize("fields", [
    {"user": "U1", "text": "is KubePodCrashLooping flapping again?"},
    {"user": "U1", "text": "[FIRING:1] KubePodCrashLooping pasted by a person"},
    {"bot_id": PD, "text": "Triggered #1: X", "thread_ts": "1600000000.000001"},
    {"subtype": "message_changed", "message": {"bot_id": PD, "text": "Triggered #1: X", "ts": "1600000000.000009",
                                               "thread_ts": "1600000000.000001"}},  # an edited thread reply
    {"bot_id": "B0ME", "text": "Triggered #1: X"},
])
def test_people_thread_replies_edits_and_our_own_messages_are_not_alerts(fields):
    assert recognise_alert(event(**fields), pagerduty_bot_ids=(PD,), own_ids=("B0ME",)) is None


def test_plain_console_text_is_always_alert_text_and_a_persons_message_never_is():
    assert recognise_alert(event(text="Pod default/api-7f9 is crash looping.")) is not None
    assert recognise_alert(event(text="anyone looking at KubePodCrashLooping?")).title == \
        "anyone looking at KubePodCrashLooping?"
    assert recognise_alert(event(text="anyone looking at KubePodCrashLooping?", user="U1")) is None


@pytest.mark.parametrize("status_word, status", [("Acknowledged", "acknowledged"), ("Resolved", "resolved"),
                                                  ("Escalated", "escalated"), ("Triggered", "triggered")])
def test_statuses_are_recognised_and_only_an_incident_that_is_over_wants_no_reply(status_word, status):
    alert = recognise_alert(event(**pagerduty_message("TargetDown", 9, "QX1", status.lower())),
                            pagerduty_bot_ids=(PD,))
    assert alert.status == status
    assert alert.wants_reply == (status != "resolved")


@pytest.mark.parametrize("status", ["triggered", "acknowledged", "resolved"])
def test_the_newer_apps_block_layout_gives_the_incident_not_its_status_line(status):
    message = event(**pagerduty_message("[FIRING:1] etcdNoLeader (etcd-2 critical)", 4822, "Q9ZZ1", status,
                                        layout="blocks"))
    assert message["text"] == "" and "attachments" not in message
    alert = recognise_alert(message, pagerduty_bot_ids=(PD,))
    assert alert.title == "[#4822] [FIRING:1] etcdNoLeader (etcd-2 critical)"
    assert (alert.status, alert.incident_number, alert.incident_id) == (status, 4822, "Q9ZZ1")


def test_an_edit_by_the_pagerduty_app_is_the_alert_as_it_now_reads():
    original = event(**pagerduty_message("KubeJobFailed", 77, "QJOB77"))
    changed = {"type": "message", "subtype": "message_changed", "hidden": True, "channel": "C1",
               "ts": "1700000050.000200", "previous_message": original,
               "message": {**pagerduty_message("KubeJobFailed", 77, "QJOB77", "acknowledged"), "ts": original["ts"],
                           "edited": {"user": PD, "ts": "1700000050.000200"}}}
    alert = recognise_alert(changed, pagerduty_bot_ids=(PD,))
    assert (alert.ts, alert.channel, alert.status, alert.edited) == (original["ts"], "C1", "acknowledged", True)
    assert recognise_alert(original, pagerduty_bot_ids=(PD,)).edited is False


def test_a_person_editing_their_message_is_not_an_alert_and_an_edit_without_its_message_is_malformed():
    edit = {"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "1700000060.000100",
            "message": {"type": "message", "user": "U1", "text": "KubeJobFailed again?", "ts": "1700000001.000100"}}
    assert recognise_alert(edit, pagerduty_bot_ids=(PD,)) is None
    with pytest.raises(MalformedEvent):
        recognise_alert({**edit, "message": "gone"}, pagerduty_bot_ids=(PD,))


@pytest.mark.parametrize("broken", [
    {"ts": "1.2", "text": "Triggered #1: X"}, {"channel": "C1", "text": "Triggered #1: X"},
    {"channel": "C1", "ts": "1.2", "text": 42}, {"channel": "C1", "ts": "1.2", "attachments": "x"},
    {"channel": "C1", "ts": "1.2", "text": "Triggered #1: " + "x" * 100_000}, "not an object",
])
def test_malformed_events_raise_a_loggable_reason(broken):
    with pytest.raises(MalformedEvent):
        recognise_alert(broken, pagerduty_bot_ids=(PD,))


def test_odd_unicode_is_cleaned_not_fatal():
    alert = recognise_alert(event(bot_id=PD, text="Triggered #3: Kube\u200bPod\udcffCrash\u0000Looping \U0001F525"),
                            pagerduty_bot_ids=(PD,))
    assert "\u200b" not in alert.title and "\x00" not in alert.title


def test_slack_markup_becomes_plain_text():
    assert slack_to_plain("<https://x.io|click> <@U1> <!channel> &lt;b&gt; <https://y.io>") == \
        "click @U1 @channel <b> https://y.io"


def test_the_title_prefers_the_attachment_title_and_skips_empty_ones():
    message = event(attachments=[{"title": "  ", "fallback": "Triggered #5: First line\nsecond"}])
    assert incident_title(message) == "Triggered #5: First line"


def test_a_title_only_inside_an_attachments_blocks_is_found_without_its_mrkdwn_emphasis():
    message = event(bot_id=PD, attachments=[{"color": "#E01E5A", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":red_circle: *Triggered* <https://acme.pagerduty.com"
                                     "/incidents/Q1ABCDF|*#1235 [FIRING:1] KubeJobFailed (batch critical)*>"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Service: Platform"}]}]}])
    alert = recognise_alert(message, pagerduty_bot_ids=(PD,))
    assert alert.title == ":red_circle: Triggered #1235 [FIRING:1] KubeJobFailed (batch critical)"
    assert (alert.incident_number, alert.incident_id, alert.status) == (1235, "Q1ABCDF", "triggered")
    assert incident_title(event(text="_kube_pod_crash_looping_ on `web-1`")) == "kube_pod_crash_looping on web-1"


def test_an_aws_chatbot_cloudwatch_alarm_is_an_alert():
    message = event(bot_id="BAWS", subtype="bot_message", attachments=[{
        "title": ":rotating_light: CloudWatch Alarm | prod-api-5xx | us-east-1 | Account: 123456789012",
        "text": "Threshold Crossed: 1 datapoint [1.0] was greater than the threshold (0.0)."}])
    assert recognise_alert(message, pagerduty_bot_ids=(PD,)).title.startswith(":rotating_light: CloudWatch Alarm")


def test_another_monitors_hash_number_is_no_incident_number_unless_pagerduty_put_it():
    # "#3" in a Grafana or typed message is a node, a member or a count: a claim on it would keep every
    # later alert with a "#3" from being answered.
    for text in ("[FIRING:1] KubeletDown on node #3", "etcdNoLeader on member #3",
                 "[Alerting] KubePodCrashLooping restarted #3 times", "[FIRING:1] KubeletDown\nResolved #3 of 5 checks"):
        alert = recognise_alert(event(bot_id="B0GRAFANA", text=text), pagerduty_bot_ids=(PD,))
        assert alert.incident_number is None and alert.incident_claims == ["message:C1/1700000000.000100"]
    typed = recognise_alert({"channel": "C1", "ts": "1.000200", "type": "message", "text": "KubeletDown on node #3"})
    assert typed.incident_number is None
    # PagerDuty's own shapes, relayed by any bot or typed: its number.
    for text in ("Triggered #4821: KubeletDown", "*Acknowledged* #4821 KubeletDown", "[#4821] KubeletDown",
                 "#4821: KubeletDown", "Incident #4821: KubeletDown", "Alert #4821: KubeletDown-use1 | rosa | P3",
                 ":rotating_light: Re-triggered #4821: KubeletDown",
                 "<https://acme.pagerduty.com/incidents/Q1ABC2D|#4821 KubeletDown> on node #3"):
        assert recognise_alert(event(bot_id="B0GRAFANA", text=text), pagerduty_bot_ids=(PD,)).incident_number == 4821
    assert recognise_alert(event(bot_id=PD, text="KubeletDown on node #3"), pagerduty_bot_ids=(PD,)).incident_number == 3
