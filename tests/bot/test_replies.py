"""Block Kit replies: escaping untrusted text, cutting within Slack's limits (pure)."""
import datetime

from bot.replies import (
    SECTION_LIMIT,
    cut_mrkdwn,
    escape,
    no_runbook_reply,
    render_for_console,
    reply_mrkdwn,
    runbook_reply,
    safe_mrkdwn,
)
from generate_documentation_db.runbook_store import StoredRunbook, StoredSection
from matching.matcher import Match

URL = "https://runbooks.example.test/kubepodcrashlooping/"


def runbook(sections, changed_at=None):
    return StoredRunbook(1, "KubePodCrashLooping", "KubePodCrashLooping", URL, "runbook", None, "", URL,
                         "\n".join(s.mrkdwn for s in sections), (), tuple(sections), changed_at)


def section(title, mrkdwn, level=2):
    return StoredSection(title, None, level, ("KubePodCrashLooping", title), mrkdwn, mrkdwn)


def match(**fields):
    base = dict(title="t", normalised="KubePodCrashLooping", alert_key="kube pod crash looping", runbook_id=1,
                matched="KubePodCrashLooping", runbook_title="KubePodCrashLooping", url=URL, confidence=0.83,
                reason="text match")
    return Match(**{**base, **fields})


def test_untrusted_text_cannot_ping_mention_or_link():
    shown = escape("<!channel> <@U123> <https://evil|click> @here https://evil.example")
    for forbidden in ("<!channel>", "<@U123>", "<https://evil", "@here", "https://evil"):
        assert forbidden not in shown
    assert "&lt;!channel&gt;" in shown


def test_runbook_links_survive_but_pings_inside_runbooks_do_not():
    text = safe_mrkdwn("See <https://docs.example/x|the docs> and <!channel> <@U1> <javascript:alert(1)|x> a < b & c")
    assert "<https://docs.example/x|the docs>" in text
    assert "<!channel>" not in text and "<@U1>" not in text and "<javascript" not in text
    assert "a &lt; b &amp; c" in text


def test_the_reply_has_title_steps_and_a_context_line_that_says_why():
    sections = [section("Meaning", "Pods restart."), section("Mitigation", "1. Read the logs.\n2. Roll back.")]
    text, blocks = runbook_reply(match(), runbook(sections, datetime.datetime(2026, 3, 4)))
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "KubePodCrashLooping"
    assert "*Mitigation*\n1. Read the logs." in reply_mrkdwn(blocks)
    assert "Pods restart." not in reply_mrkdwn(blocks)  # the steps, not the whole page
    context = blocks[-1]["elements"][0]["text"]
    assert f"<{URL}|" in context and "changed 2026-03-04" in context and "text match 0.83" in context
    assert text == "Runbook: KubePodCrashLooping"


def test_a_long_runbook_is_cut_within_block_limits_with_a_full_runbook_link():
    long_steps = "\n".join(f"{n}. step {'x' * 80}" for n in range(400))
    _, blocks = runbook_reply(match(reason="exact name", confidence=1.0), runbook([section("Mitigation", long_steps)]))
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks if b["type"] == "section")
    assert f"<{URL}|Full runbook>" in reply_mrkdwn(blocks)
    assert "matched: exact name" in reply_mrkdwn(blocks)


def test_a_cut_inside_a_code_block_closes_and_reopens_the_fence():
    text = "intro\n```\n" + "\n".join(f"kubectl get pods -n ns{n}" for n in range(300)) + "\n```\nafter"
    chunks, was_cut = cut_mrkdwn(text, budget=5000, limit=1000)
    assert was_cut and len(chunks) > 2
    for chunk in chunks:
        assert chunk.count("```") % 2 == 0 and len(chunk) <= 1000


def test_a_short_runbook_is_not_cut():
    chunks, was_cut = cut_mrkdwn("1. one\n2. two", budget=3000)
    assert (chunks, was_cut) == (["1. one\n2. two"], False)


def test_the_no_runbook_reply_escapes_the_title_and_lists_possibly_related():
    miss = Match(title="x", normalised="Disk <!channel> full", alert_key="disk channel full",
                 alternatives=("NodeFilesystemSpaceFillingUp",))
    _, blocks = no_runbook_reply(miss)
    text = reply_mrkdwn(blocks)
    assert "<!channel>" not in text and "Possibly related: NodeFilesystemSpaceFillingUp" in text


def test_possibly_related_runbooks_link_to_their_pages():
    miss = Match(title="x", normalised="Disk full", alert_key="disk full",
                 alternatives=("NodeFilesystemSpaceFillingUp", "Bad|<name>"),
                 alternative_urls=("https://docs.example/node#fs", "javascript:alert(1)"))
    text = reply_mrkdwn(no_runbook_reply(miss)[1])
    assert "Possibly related: <https://docs.example/node#fs|NodeFilesystemSpaceFillingUp>, Bad|&lt;name&gt;" in text


def test_the_console_shows_the_reply_as_slack_would():
    _, blocks = runbook_reply(match(), runbook([section("Mitigation", "Run `kubectl logs` & <https://d.io|docs>")]))
    shown = render_for_console("", blocks)
    assert shown.startswith("*KubePodCrashLooping*")
    assert "Run `kubectl logs` & docs (https://d.io)" in shown
