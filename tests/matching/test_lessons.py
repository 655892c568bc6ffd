"""What the team's feedback teaches the matcher (matching/lessons.py) and how match_alert uses it."""
from datetime import datetime, timedelta, timezone

from matching.index import RunbookIndex, RunbookRecord
from matching.lessons import CORRECTED, HELPFUL, NO_RUNBOOK, NOTHING_TAUGHT, Feedback, lessons_from
from matching.matcher import match_alert

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def say(verdict, who, minutes, replied=None, chosen=None):
    return Feedback(verdict, who, T0 + timedelta(minutes=minutes), replied, chosen)


def index():
    def runbook(number, name, meaning):
        url = f"https://runbooks.test/{name}"
        return RunbookRecord(number, url, name, name, url, "runbook", meaning, f"{meaning}. Check the namespace.")
    return RunbookIndex([runbook(1, "KubeQuotaExceeded", "Namespace quota has exceeded the limits"),
                         runbook(2, "KubeQuotaFullyUsed", "Namespace quota is fully used"),
                         runbook(3, "KubeQuotaAlmostFull", "Namespace quota is going to be full")], vectors=None)


def test_nothing_said_teaches_nothing():
    assert lessons_from([]) == NOTHING_TAUGHT
    assert not NOTHING_TAUGHT.decides


def test_a_correction_rejects_the_answer_and_teaches_the_choice():
    lessons = lessons_from([say(CORRECTED, "ana", 0, "KubeQuotaFullyUsed", "KubeQuotaExceeded")])
    assert (lessons.answer, lessons.taught_by, lessons.taught_at) == ("KubeQuotaExceeded", "ana", T0)
    assert lessons.rejects("kube-quota-fully-used") and not lessons.rejects("KubeQuotaExceeded")


def test_a_later_say_overrides_an_earlier_one_and_a_confirmation_lifts_a_rejection():
    said = [say(CORRECTED, "ana", 0, "KubeQuotaFullyUsed", "KubeQuotaExceeded"),
            say(HELPFUL, "bo", 5, "KubeQuotaFullyUsed")]
    lessons = lessons_from(said)
    assert lessons.answer == "KubeQuotaFullyUsed" and lessons.taught_by == "bo"
    assert not lessons.rejects("KubeQuotaFullyUsed")
    assert lessons_from(list(reversed(said))) == lessons  # the order they were given counts, not the list's


def test_no_runbook_keeps_quiet_until_someone_attaches_one():
    quiet = lessons_from([say(NO_RUNBOOK, "cy", 0, "KubeQuotaFullyUsed")])
    assert quiet.no_runbook and quiet.answer is None and quiet.rejects("KubeQuotaFullyUsed")
    attached = lessons_from([say(NO_RUNBOOK, "cy", 0, "KubeQuotaFullyUsed"),
                             say(CORRECTED, "dee", 1, None, "KubeQuotaAlmostFull")])
    assert not attached.no_runbook and attached.answer == "KubeQuotaAlmostFull"


def test_a_rejection_of_the_taught_answer_leaves_matching_afresh():
    lessons = lessons_from([say(HELPFUL, "ana", 0, "KubeQuotaFullyUsed"),
                            say(NO_RUNBOOK, "bo", 1, "KubeQuotaFullyUsed"),
                            say(CORRECTED, "cy", 2, "KubeQuotaFullyUsed", "KubeQuotaExceeded"),
                            say(CORRECTED, "dee", 3, "KubeQuotaExceeded", None)])
    # dee rejected the answer cy taught without choosing another: the next firing is matched afresh
    assert (lessons.answer, lessons.no_runbook, lessons.taught_by) == (None, False, None)
    assert lessons.rejects("KubeQuotaFullyUsed") and lessons.rejects("KubeQuotaExceeded")


def test_the_matcher_answers_with_the_taught_runbook_and_never_a_rejected_one():
    runbooks, title = index(), "[FIRING:1] Namespace quota is fully used (payments)"
    assert match_alert(runbooks, title).matched == "KubeQuotaFullyUsed"
    taught = match_alert(runbooks, title, lessons=lessons_from(
        [say(CORRECTED, "ana", 0, "KubeQuotaFullyUsed", "KubeQuotaExceeded")]))
    assert (taught.matched, taught.confidence, taught.reason, taught.taught_by) == ("KubeQuotaExceeded", 1.0, "taught", "ana")
    named = match_alert(runbooks, "KubeQuotaFullyUsed is firing", lessons=lessons_from(
        [say(NO_RUNBOOK, "bo", 0, "KubeQuotaFullyUsed"), say(CORRECTED, "cy", 1, None, "KubeQuotaAlmostFull"),
         say(CORRECTED, "dee", 2, "KubeQuotaAlmostFull", None)]))
    assert named.matched != "KubeQuotaFullyUsed"  # the name found is rejected: another runbook or none


def test_quiet_when_taught_so_and_matched_afresh_when_the_taught_runbook_is_gone():
    runbooks, title = index(), "Namespace quota is fully used"
    quiet = match_alert(runbooks, title, lessons=lessons_from([say(NO_RUNBOOK, "cy", 0, "KubeQuotaFullyUsed")]))
    assert not quiet.found and quiet.reason == "taught no runbook"
    gone = match_alert(runbooks, title, lessons=lessons_from([say(CORRECTED, "ana", 0, None, "KubeQuotaRemoved")]))
    assert gone.matched == "KubeQuotaFullyUsed" and gone.reason != "taught"

