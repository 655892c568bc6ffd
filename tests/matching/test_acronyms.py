"""Acronyms a runbook defines ("Machine Config Controller (MCC)"), and an alert spelling one out."""
import pytest

from matching.acronyms import acronyms_said, defined_acronyms
from matching.index import RunbookIndex
from matching.matcher import match_alert, ranked_candidates
from tests.matching.test_index import runbook


@pytest.mark.parametrize("text, defined", [
    ("The Machine Config Controller (MCC) drains nodes.", {(("machine", "config", "controller"), "mcc")}),
    ("Check the MachineConfigController (MCC) pod logs.", {(("machine", "config", "controller"), "mcc")}),
    ("Scheduling, Scale and Performance (SSP) operator", {(("scheduling", "scale", "performance"), "ssp")}),
    ("Persistent Volume Claims (PVCs) bind volumes.", {(("persistent", "volume", "claims"), "pvc")}),
    # Words before the parenthesis that do not spell it define nothing; nor does a lone capitalised word.
    ("A PodDisruptionBudget (PBD) limits evictions.", set()),
    ("Run it again (NOW) and see.", set()),
    ("Restart the pod (optional).", set()),
])
def test_a_definition_is_an_acronym_after_the_words_whose_initials_spell_it(text, defined):
    assert defined_acronyms(text) == defined


def test_an_alerts_words_say_an_acronym_when_they_spell_its_long_form_out():
    defined = {"machine": {(("machine", "config", "controller"), "mcc"), (("machine", "config", "daemon"), "mcd")}}
    assert acronyms_said("drain failed check the machine config controller pod logs".split(), defined) == ["mcc"]
    assert acronyms_said("machine config is degraded".split(), defined) == []


MCC_DRAIN = runbook(1, "MCCDrainError", "The Machine Config Controller (MCC) could not drain a node.",
                    "1. Read the MCC's logs for the pod that blocks the eviction.")
MCD_REBOOT = runbook(2, "MCDRebootError", "The Machine Config Daemon (MCD) failed to reboot a node.",
                     "1. Read the daemon's journal on the node.")
NODE_DOWN = runbook(3, "NodeDown", "A host stopped reporting.", "1. Ping it.")


def test_the_index_learns_the_acronyms_its_runbooks_define_and_forgets_a_removed_ones():
    index = RunbookIndex([MCC_DRAIN, MCD_REBOOT, NODE_DOWN], version=1, vectors=None)
    words = "drain failed check machineconfigcontroller pod logs machine config controller".split()
    assert index.acronyms_said(words) == ["mcc"]
    index.replace_pages([MCC_DRAIN.page_url], [], version=2)
    assert index.acronyms_said(words) == []


def test_an_alert_spelling_out_a_component_says_the_name_of_the_runbook_named_by_its_acronym():
    index = RunbookIndex([MCC_DRAIN, MCD_REBOOT, NODE_DOWN], version=1, vectors=None)
    spelled = "Drain failed on worker-2, updates may be blocked: see the MachineConfigController pod logs."
    unsaid = "Drain failed on worker-2, updates may be blocked: see the pod logs."
    (best, _, evidence), *_ = ranked_candidates(index, spelled)
    (_, _, without), *_ = ranked_candidates(index, unsaid)
    assert index.runbook(best).record.alert_name == "MCCDrainError"
    # MCCDrainError's name is said whole: "mcc" as well as drain and error.
    assert evidence.name_recall == pytest.approx(1.0) and without.name_recall < 1.0
    assert match_alert(index, spelled, threshold=0.0).matched == "MCCDrainError"
