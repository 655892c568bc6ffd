"""Acronyms the runbooks define, so an alert that spells one out names it (pure functions).

Operators name their alerts with their components' acronyms (MCCDrainError, MCDRebootError, SSPDown)
while the summaries monitors page with spell them out ("Drain failed on worker-2 … check
MachineConfigController pod logs", "Scheduling, Scale and Performance operator is down").  The
on-call vocabulary (`matching.vocabulary`) holds the platforms' glossary by hand; these are the
acronyms a team's own runbooks define, the way technical writing does: "Machine Config Controller
(MCC)".  `defined_acronyms` finds such definitions in a runbook's text, the index keeps them for all
its runbooks, and `acronyms_said` gives the acronyms whose long form an alert's words say.
"""
import re
from collections.abc import Iterable, Mapping

from matching.text import STOP_WORDS, words_of

# "(MCC)", "(PVCs)", "(SSP)": two to six capitals, and a plural's "s".
_DEFINITION = re.compile(r"\(([A-Z]{2,6})s?\)")
# The words before it that may spell it out: the acronym's letters and a few glue words between them.
_LOOK_BACK = 12


def defined_acronyms(text: str) -> set[tuple[tuple[str, ...], str]]:
    """{(long form's words, acronym)} the text defines: the words right before "(ABBR)", glue words
    left out, whose initials spell it ("Machine Config Controller (MCC)", "MachineConfigController
    (MCC)", "Scheduling, Scale and Performance (SSP)").  A parenthesis whose words before it do not
    spell it ("PodDisruptionBudget (PBD)") defines nothing.

    >>> sorted(defined_acronyms("The Machine Config Controller (MCC) drains nodes."))
    [(('machine', 'config', 'controller'), 'mcc')]
    """
    found = set()
    for definition in _DEFINITION.finditer(text or ""):
        acronym = definition.group(1).lower()
        before = words_of(text[max(0, definition.start() - 120):definition.start()])[-_LOOK_BACK:]
        content = [word for word in before if word not in STOP_WORDS and word.isalpha()]
        long_form = tuple(content[-len(acronym):])
        if len(long_form) == len(acronym) and "".join(word[0] for word in long_form) == acronym:
            found.add((long_form, acronym))
    return found


def acronyms_said(words: Iterable[str], defined: Mapping[str, set[tuple[tuple[str, ...], str]]]) -> list[str]:
    """The acronyms whose long form `words` (lower case, in order) say word for word, glue words left
    out; `defined` maps a long form's first word to its (long form, acronym) entries."""
    content = [word for word in words if word not in STOP_WORDS and word.isalpha()]  # as `defined_acronyms` reads
    said = []
    for start, word in enumerate(content):
        for long_form, acronym in defined.get(word, ()):
            if tuple(content[start:start + len(long_form)]) == long_form and acronym not in said:
                said.append(acronym)
    return said
