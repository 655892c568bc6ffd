"""Runbook links an alert message carries: in its text, in an attachment field, as a Slack link, as a button."""
from bot.recognition import recognise_alert
from bot.replies import runbook_reply
from matching.matcher import Match

BOT = "B0MONITOR"


def links_of(**message):
    alert = recognise_alert({"channel": "C1", "ts": "1.000100", "bot_id": BOT, **message}, pagerduty_bot_ids=(BOT,))
    return alert.runbook_links


def test_a_slack_link_labelled_runbook_in_the_text():
    text = ("[FIRING:1] KubePodNotReady (payments api-1) "
            "<https://runbooks.example.test/KubePodNotReady.md?a=1&amp;b=2|:notebook: Runbook> "
            "<https://grafana.example.test/d/pods|Dashboard>")
    assert links_of(text=text) == ("https://runbooks.example.test/KubePodNotReady.md?a=1&b=2",)


def test_a_labelled_url_in_the_text_and_an_attachment_field():
    assert links_of(text="[FIRING:1] NodeDown\n*Runbook:* <https://runbooks.example.test/node-down>") == \
        ("https://runbooks.example.test/node-down",)
    assert links_of(text="Alert: NodeDown\nrunbook_url: https://runbooks.example.test/node-down.") == \
        ("https://runbooks.example.test/node-down",)
    attachment = {"title": "[FIRING:1] NodeDown", "fields": [
        {"title": "Severity", "value": "critical"},
        {"title": "Runbook", "value": "<https://runbooks.example.test/node-down|open>"}]}
    assert links_of(text="", attachments=[attachment]) == ("https://runbooks.example.test/node-down",)


def test_a_button_labelled_runbook():
    attachment = {"title": "[FIRING:1] NodeDown", "actions": [
        {"type": "button", "text": "Silence", "url": "https://alertmanager.example.test/#/silences/new"},
        {"type": "button", "text": ":green_book: Runbook", "url": "https://runbooks.example.test/node-down"}]}
    blocks = [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Runbook"},
                                                "url": "https://runbooks.example.test/other"}]}]
    assert links_of(text="", attachments=[attachment], blocks=blocks) == (
        "https://runbooks.example.test/other", "https://runbooks.example.test/node-down")


def test_a_message_without_one_has_none():
    assert links_of(text="[FIRING:1] NodeDown <https://grafana.example.test/d/1|Dashboard>") == ()


def test_the_reply_says_where_the_runbook_came_from_and_when_it_is_not_on_the_docs_site():
    link = "https://wiki.example.test/KafkaConsumerLagHigh"
    match = Match(title="Consumer lag", normalised="consumer lag", alert_key="kafka consumer lag high", url=link,
                  matched="KafkaConsumerLagHigh", confidence=1.0, reason="runbook link")
    _, blocks = runbook_reply(match, None)
    context = blocks[-1]["elements"][0]["text"]
    assert "matched: the alert's runbook link (not on the docs site)" in context
    assert f"<{link}|" in context
    on_site = Match(title="x", normalised="x", alert_key="x", runbook_id=7, url=link, matched="X", reason="rule template")
    assert "matched: from the rule's summary template" in runbook_reply(on_site, None)[1][-1]["elements"][0]["text"]


def test_a_link_that_says_there_is_no_runbook_is_not_one_and_parentheses_of_the_url_stay():
    assert links_of(text="[FIRING:1] NodeDown <https://wiki.example.test/createpage.action|No runbook yet: write one>") == ()
    assert links_of(text="[FIRING:1] NodeDown (runbook: https://wiki.example.test/Node_(disk))") == (
        "https://wiki.example.test/Node_(disk)",)


def test_a_link_that_cannot_be_read_is_no_runbook_and_the_alert_is_still_matched():
    # An unfilled template's host, a stray bracket, a port out of range: urlsplit refuses them.
    text = ("[FIRING:1] KubeletDown <https://[RUNBOOK_HOST]/KubeletDown|Runbook> "
            "Runbook: http://[oops/x <https://runbooks.example.test:99999/x|Runbook> "
            "<https://runbooks.example.test/kubelet-down|Runbook>")
    assert links_of(text=text) == ("https://runbooks.example.test/kubelet-down",)
    assert links_of(text="KubeletDown <http://[oops/x|Runbook>") == ()
