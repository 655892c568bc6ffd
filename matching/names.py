"""Finding an alert's name anywhere in a message, in any spelling (pure functions).

Monitors and people name alerts in many shapes: ``KubePodCrashLooping``, ``kube_pod_crash_looping``,
``KUBE_POD_CRASH_LOOPING``, ``kube-pod-crash-looping``, ``prod.KubePodCrashLooping``,
``KubeDeploymentReplicasMismatch-use1``, ``Kube Pod Crash Looping``, ``cephmonhighnumberofleaderchanges``,
inside quotes, or among Alertmanager's label values (``[FIRING:3] monitoring (PrometheusRuleFailures …)``).

The message is cut into *atoms*: whitespace tokens (and list items) split again at ``- _ . / : | @ = +`` and
brackets.  Every run of
consecutive atoms is a candidate; its canonical key (lower-case letters and digits, see
`titles.name_key`) is looked up among the runbooks' names.  What makes a found run a *mention*
rather than a coincidence:

* an atom next to the run that is itself a word of alert names extends it into another alert's
  name (``Etcd High Commit Durations`` is not a runbook named ``EtcdHighCommit``); environments,
  regions, clusters and numbers beside it do not (``etcdBackendQuotaLowSpace-ocp-prod-01``);
* a single ordinary word (one the runbooks use in their prose, such as ``watchdog``) names an alert
  only when it is the whole title; a run-together name (``odfmirrordaemonstatus``) is no word of prose.

Only ``- _ .`` join a name's atoms: past any other separator (``X|critical``, ``X{instance="…"}``,
``prod/X``) a neighbour is not part of it.  A possessive (``X's runbook``) and an identifier in the
plural (``two CephOSDNearFulls``) name it too.
"""
import functools
import re
from collections.abc import Container
from dataclasses import dataclass
from typing import NamedTuple

from matching.titles import ENVIRONMENT_WORDS, REGION_WORDS, name_key, name_words, normalise_alert_title

MAX_RUN_ATOMS = 12
KEY_START_CHARS = 16
MONITOR_SUFFIXES = frozenset(("alert", "alarm"))
_ATOM_SPLIT = re.compile(r"[-_./:|@=+()\[\]{}<>]+")
_ATOM_SPLIT_KEEPING = re.compile(f"({_ATOM_SPLIT.pattern})")
_NAME_JOINERS = frozenset("-_.")
_POSSESSIVE = re.compile(r"['’]s$")
_TOKEN_EDGES = "\"'`“”‘’()[]{}<>,;!?*~=#@"
_URL = re.compile(r"\b(?:https?|ftp)://\S+")
_OPENERS = "([{<\"'“‘`"
_CLOSERS = ")]}>\"'”’`,;:.!?"
_LIST_SEPARATOR = re.compile(r"([,;])")
_QUOTES = "\"'“”‘’`"
_SEPARATORS = frozenset("- – — | / :".split())
_HAS_DIGIT = re.compile(r"\d")
# The shapes of an alert-like identifier, as the matcher and the rest of a message (matching.details) read
# them: CamelCase of at least two word parts, snake_case and kebab-case of three words or more (a CloudWatch
# alarm or a hand-made monitor's name: "kube-deployment-rollout-stuck").
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*[a-z0-9][A-Z][A-Za-z0-9]*$")
SNAKE_NAME = re.compile(r"^[A-Za-z]+(?:_[A-Za-z]+){2,}$")
KEBAB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z][A-Za-z0-9]*){2,}$")


def is_alert_like(token: str) -> bool:
    """The token has one of the shapes of an alert-like identifier (IDENTIFIER, SNAKE_NAME, KEBAB_NAME)."""
    return bool(IDENTIFIER.match(token) or SNAKE_NAME.match(token) or KEBAB_NAME.match(token))
_INNER_CAPITAL = re.compile(r"[a-z0-9][A-Z]|[A-Z]{2,}[a-z]")


class Atom(NamedTuple):  # a tuple: a message's atoms are made by the thousand, a dataclass costs twice as much
    text: str
    token: int  # which whitespace token it came from
    phrase: int  # which phrase: brackets, commas, colons and dashes between words end one
    quoted: bool = False  # the whole token stood in quotes: 'Grafana alert "Watchdog" is firing'
    # Joined to the atom before it in its token by what names are spelled with (- _ .), not by a separator
    # a message puts between a name and what follows ("NoLeadingVirtController|critical", "Name{instance=…}").
    glued: bool = False


@dataclass(frozen=True)
class NameMention:
    """A runbook name found in the message: its canonical key and the words it was spelled with."""

    key: str
    spelled: str
    atoms: int


@functools.lru_cache(maxsize=64)  # a message is cut once for its names and once for its flags
def atoms_of(text: str | None) -> tuple[Atom, ...]:
    """The message cut into atoms (see the module's docstring), URLs left out."""
    atoms, phrase, ended = [], 0, False
    # A list ("KubePodCrashLooping,KubeNodeNotReady") names each of its items.
    for index, raw in enumerate(_LIST_SEPARATOR.sub(r"\1 ", _URL.sub(" ", str(text or ""))).split()):
        if ended or raw[:1] in _OPENERS or raw in _SEPARATORS:
            phrase += 1
        ended = raw[-1:] in _CLOSERS
        token = raw.strip(_TOKEN_EDGES)
        if token.endswith(("'s", "’s")):
            token = _POSSESSIVE.sub("", token)  # "ClusterOperatorDegraded's runbook"
        quoted = raw[:1] in _QUOTES and raw.rstrip(".,;:!?")[-1:] in _QUOTES
        if token.isalnum():  # most tokens are one word: no separator to look at
            part = token.strip(_TOKEN_EDGES)
            if part:
                atoms.append(Atom(part, index, phrase, quoted))
            continue
        pieces = _ATOM_SPLIT_KEEPING.split(token)  # parts and, between them, the separators
        for position in range(0, len(pieces), 2):
            part = pieces[position].strip(_TOKEN_EDGES)
            if part:
                glued = position > 0 and set(pieces[position - 1]) <= _NAME_JOINERS
                atoms.append(Atom(part, index, phrase, quoted, glued))
    return tuple(atoms)


def key_starts_of(key: str) -> list[str]:
    """The prefixes of a name key that name_mentions' `key_starts` holds for it."""
    return [key[:length] for length in range(1, min(len(key), KEY_START_CHARS) + 1)]


class AnyOf:
    """Membership in any of several containers (a runbook's names, or a rule's)."""

    def __init__(self, *containers: Container[str]) -> None:
        self.containers = containers

    def __contains__(self, item: object) -> bool:
        return any(item in container for container in self.containers)


def is_affix(atom_text: str) -> bool:
    """An environment, region, cluster or number joined to a name, or the word a monitor appends to it
    ("[Alerting] Prometheus Duplicate Timestamps alert"): not part of any alert's name."""
    lowered = atom_text.lower()
    return (bool(_HAS_DIGIT.search(atom_text)) or lowered in ENVIRONMENT_WORDS or lowered in REGION_WORDS
            or lowered in MONITOR_SUFFIXES)


def name_mentions(text: str, known_keys: Container[str], name_vocabulary: Container[str],
                  prose_words: Container[str] = frozenset(), key_starts: Container[str] | None = None) -> list[NameMention]:
    """[NameMention] of the runbook names `text` mentions, longest first.

    `known_keys`: canonical keys of every runbook name and alias.  `name_vocabulary`: the lower-case
    words alert names are made of.  `prose_words`: words the runbooks use as ordinary words.
    `key_starts`: every known key's first KEY_START_CHARS characters and their prefixes (key_starts_of),
    so a run of words no key starts with is given up at once rather than grown a dozen words long.
    """
    atoms = atoms_of(text)
    atom_keys = [name_key(atom.text) for atom in atoms]
    whole_title = name_key(normalise_alert_title(text))
    found = []
    for start in range(len(atoms)):
        key = ""
        for end in range(start + 1, min(len(atoms), start + MAX_RUN_ATOMS) + 1):
            key += atom_keys[end - 1]
            singular = _singular(key, known_keys) if end == start + 1 and _looks_compound(atoms[start].text) else None
            if singular and _is_mention(atoms, start, end, whole_title, name_vocabulary, prose_words):
                # An alert's name in the plural, as people count firings: "two CephOSDNearFulls in a row".
                found.append(NameMention(singular, atoms[start].text, 1))
            if key and key_starts is not None and key[:KEY_START_CHARS] not in key_starts:
                break
            if key in known_keys and _is_mention(atoms, start, end, whole_title, name_vocabulary, prose_words):
                found.append(NameMention(key, " ".join(atom.text for atom in atoms[start:end]), end - start))
    found.sort(key=lambda mention: (-mention.atoms, -len(mention.key)))
    return list({mention.key: mention for mention in found}.values())


def _singular(key, known_keys):
    """The known name `key` is the plural of ("…nearfulls", "…mismatches"), when `key` itself is none."""
    if key in known_keys:
        return None
    for ending in ("es", "s"):
        if key.endswith(ending) and key[:-len(ending)] in known_keys:
            return key[:-len(ending)]
    return None


def _is_mention(atoms, start, end, whole_title, name_vocabulary, prose_words):
    run = atoms[start:end]
    if len(run) == 1 and not _looks_compound(run[0].text):
        word = run[0].text.lower()
        if word in prose_words and whole_title != name_key(word) and not run[0].quoted:
            return False
    before = atoms[start - 1] if start > 0 else None
    after = atoms[end] if end < len(atoms) else None
    # An identifier (a whole token: CamelCase, snake, kebab) is delimited by its own spelling; a
    # neighbour matters inside the same token, or in the same phrase around a name spelled out in words.
    # A name run together in one word ("kubecontainerwaiting", no word of names by itself) is as delimited
    # as CamelCase: "taking kubecontainerwaiting, will update" is not CephPGRepairTakingTooLong's "taking".
    spelled_out = len({atom.token for atom in run}) > 1 or (
        len(run) == 1 and not _looks_compound(run[0].text) and run[0].text.lower() in name_vocabulary)
    if len(run) > 1 and len({atom.token for atom in run}) == 1 and _longer_in_its_token(atoms, start, end,
                                                                                       name_vocabulary):
        return False
    for neighbour, edge, glued in ((before, run[0], run[0].glued), (after, run[-1], after and after.glued)):
        if neighbour is None:
            continue
        joined = neighbour.token == edge.token and glued
        if neighbour.token == edge.token and not glued:
            continue  # "Name|critical", "Name{instance=…}", "prod/Name": a separator, not a name's joiner
        if not (joined or (spelled_out and neighbour.phrase == edge.phrase)):
            continue
        if not is_affix(neighbour.text) and any(word in name_vocabulary for word in name_words(neighbour.text)):
            return False
    return True


def _longer_in_its_token(atoms, start, end, name_vocabulary):
    """True when a name spelled in snake, kebab or dotted atoms (``kube_job_failed``) is only the start of
    its token's name: a word of alert names follows later in the token, not only next to it
    (``kube_job_failed_ratio_high``, ``node_down_eu_flapping`` are other alerts, as ``KubeJobFailedRatioHigh``
    is).  Environments, regions, numbers, a service or a cluster may follow (``kube_pod_crash_looping_prod``,
    ``kube-pod-crash-looping-payments``); before the name, only the neighbour counts (_is_mention)."""
    token = atoms[start].token
    following = []
    for atom in atoms[end:]:
        if atom.token != token or not atom.glued:
            break  # the name's token goes on past a separator ("kube_job_failed|critical"): not the name
        following.append(atom)
    return any(not is_affix(atom.text) and any(word in name_vocabulary for word in name_words(atom.text))
               for atom in following)


def _looks_compound(atom_text):
    """CamelCase, or letters and digits together: a name by its spelling, not an ordinary word."""
    return bool(_INNER_CAPITAL.search(atom_text)) or (bool(_HAS_DIGIT.search(atom_text)) and atom_text[:1].isalpha())
