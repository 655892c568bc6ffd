"""When a message says it is another alert than the best ranked runbook's (pure functions).

A text match weighs words; some messages say outright that they are about something else: an alert
name no runbook answers to, an absence the runbook is named for and the message does not say, the other
HTTP status class.  `message_flags` reads what the message says once; `vetoed_share` is what is left of
each candidate's confidence (enough to list it as possibly related).  The words that tell conditions and
objects apart (`CONDITIONS`, `CONTRAST_OF`) are the matcher's too.
"""
import re
from dataclasses import dataclass

from matching.names import IDENTIFIER, KEBAB_NAME, SNAKE_NAME, atoms_of, is_alert_like
from matching.text import STOP_WORDS, described_terms, stem
from matching.titles import MONITOR_NAMES, name_words, without_decorations

# What a veto leaves of a text match's confidence.
VETOED_SHARE = 0.5
TOKEN_EDGES = "\"'`“”‘’()[]{}<>,;:!?*.~"
# What alert names say is wrong, after their subject: KubeletDown, RuleEvaluationLatencyHigh, DiskAlmostFull.
CONDITIONS = frozenset(described_terms(
    "down errors failing slow latency high low full filling crash looping restarting ready mismatch expiration "
    "stuck lag behind flapping skew overcommitted exceeded throttling unavailable unreachable degraded missing near "
    "panic panicking"))
# Words of degree, which name no condition by themselves ("…LatencyHigh", "…TooHigh").
_DEGREES = frozenset(described_terms("high low near"))
_DEGREE_ADVERBS = frozenset(("too", "very"))
# Words by which sibling alerts' names tell apart what is wrong or where: of two names that differ by one
# word of one group, the message saying one of them, and not the other, has chosen.
_CONTRASTS = ("cpu memory disk space files network", "receive transmit", "read write", "ingress egress",
              "inbound outbound", "deployment statefulset daemonset job cronjob pod node container replicaset",
              "client server", "requests limits")
CONTRAST_OF = {term: group for group, words in enumerate(_CONTRASTS) for word in words.split()
               for term in described_terms(word)}
# Words that already name what a node's host name would, or another object an alert's name is of
# ("StatefulSet worker-2.db has not matched…").
OBJECT_WORDS = frozenset("node nodes kubelet host hosts machine instance pod pods job jobs statefulset deployment "
                         "daemonset container member".split())
# How an alert says that something is absent (a contraction's "n't" is "not" in the vocabulary's wording;
# "isnt" and "cant" are how people type them).
NEGATION_TERMS = frozenset(stem(word) for word in
                           "no not none without cannot unable lost never zero down absent missing gone stopped "
                           "false isnt arent wasnt werent doesnt didnt cant wont dont hasnt havent couldnt".split())
_NEGATIONS_IN_NAMES = frozenset(("no", "not"))
# An HTTP status class as names and messages write it: 5xx, 4XX ("ingress-4xx-errors", "Ingress5xxErrors").
_HTTP_CLASS_WORD = re.compile(r"^[1-5]xx$")
_HTTP_CLASS_SAID = re.compile(r"(?<![0-9a-z])([1-5]xx)(?![a-z])", re.IGNORECASE)
_UNIT = re.compile(r"^\d*[KMGTPE]i?B(?:ps|/s)?$")
# What makes words a sentence rather than a spelled-out name, and what Grafana appends to a rule's name.
_SENTENCE_WORDS = frozenset("is are was were has have had been be being the a an of for to in on at by with from "
                            "than this that it its their will may can cannot should".split())
_NAME_SUFFIXES = frozenset(("alert", "alarm"))
MAX_NAME_WORDS = 10
# The verbs that end a description's subject: what follows them says the condition.
_AUXILIARIES = frozenset("is are was were has have had".split())
# What ends a message's opening ("Monitor is alerting: …", "CloudWatch Alarm | …"): a clause starts after it.
_CLAUSE_ENDS = frozenset("| - – —".split())


@dataclass(frozen=True)
class Spelling:
    """How a message spells a name: `display` for an identifier or its display form, capitalised word by
    word ("Core DNS Forward Errors High"); else a team's own name in lower-case words, in order."""

    words: tuple[str, ...]
    display: bool


@dataclass(frozen=True)
class MessageFlags:
    """What a message says about being another alert, read once for all its candidates."""

    unknown_identifier: bool  # an alert-like identifier no runbook answers to
    spelling: Spelling | None  # the message is a name, spelled so
    http_classes: frozenset[str]  # the HTTP status classes it says ("4xx")
    # A team's alarm name mostly in words no runbook uses, whichever runbook is weighed (`_mostly_unknown`).
    mostly_unknown: bool = False


def message_flags(index, title: str, reading: str) -> MessageFlags:
    """The flags of a message (`title`) whose cleaned words are `reading`."""
    text = without_decorations(title)
    atoms = [atom.text for atom in atoms_of(text)]
    # A product the runbooks name in their prose ("KubeVirt", "CephFS") is no alert's name, nor a unit, nor
    # the monitor that posts the alert.
    unknown = any(IDENTIFIER.match(atom) and not _UNIT.match(atom) and atom.lower() not in index.prose_tokens
                  and atom.lower() not in MONITOR_NAMES for atom in atoms)
    words = reading.split()
    # snake_case and UPPER_SNAKE names of three words or more: kube_deployment_replicas_mismatch_high, also
    # behind a dotted environment or cluster ("eu1.io_throttling_high"); not a setting a description quotes.
    tokens, clause_starts = _tokens_and_clauses(text)
    unknown = unknown or any(SNAKE_NAME.match(token) and not _in_a_predicate(tokens, position, clause_starts[position])
                             for position, token in enumerate(tokens))
    unknown = unknown or (len(words) == 1 and bool(KEBAB_NAME.match(words[0])))
    http_classes = frozenset(found.lower() for found in _HTTP_CLASS_SAID.findall(text))
    spelling = spelling_of(reading)
    mostly_unknown = spelling is not None and not spelling.display and _mostly_unknown(index, spelling.words)
    return MessageFlags(unknown, spelling, http_classes, mostly_unknown)


def vetoed_share(index, doc: int, flags: MessageFlags, query: list[str]) -> float:
    """What is left of a text match's confidence (1.0, or VETOED_SHARE) when the message says it is
    another alert than runbook `doc`'s:
    * it holds an alert-like identifier no runbook answers to (CoreDNSForwardErrorsHigh is not
      CoreDNSErrorsHigh), or is such a name's display form ("Core DNS Forward Errors High");
    * it is a name in lower-case words that says this runbook's name with a word more ("core dns forward
      errors high"), the other side of a contrast ("kube-deployment-rollout-stuck" is not
      KubeDaemonSetRolloutStuck), another condition ("core dns down" is not CoreDNSErrorsHigh), or mostly
      words no runbook uses ("lambda-invoice-pdf-throttles"); otherwise a team's own alarm name
      ("prometheus-tsdb-block-reload-failures") is words about the condition, which the text match weighs;
    * the runbook is named for an absence (etcdNoLeader, KubeNodeNotReady) the alert does not say
      ("etcd cluster has frequent leader elections");
    * the runbook's name is one ordinary word the message uses as a word, not as the name (the name
      finder refused it): "the hardware watchdog rebooted node-3" is not the Watchdog alert;
    * the runbook is named for one HTTP status class and the alert says another ("ingress-4xx-errors"
      is not Ingress5xxErrors)."""
    runbook = index.runbook(doc)
    name = name_words(runbook.record.display_name)
    spelled = flags.mostly_unknown or (flags.spelling is not None
                                       and _spells_another_alert(index, runbook, name, flags.spelling, query))
    absent = bool(_NEGATIONS_IN_NAMES & set(name)) and not (NEGATION_TERMS & set(query) or _lacks(name, query))
    said_as_a_word = len(name) == 1 and name[0] in index.prose_words and stem(name[0]) in query
    named_classes = {word for word in name if _HTTP_CLASS_WORD.match(word)}
    other_class = bool(named_classes) and bool(flags.http_classes) and not named_classes & flags.http_classes
    return VETOED_SHARE if flags.unknown_identifier or spelled or absent or said_as_a_word or other_class else 1.0


def conditions_in(terms, degrees: bool = True) -> set[str]:
    """The terms that say what is wrong (Down, Latency, Full), words of degree (High, Low) too or not."""
    found = set(terms) & CONDITIONS
    return found if degrees else found - _DEGREES


def spelling_of(reading: str) -> Spelling | None:
    """How the cleaned title spells a name, or None when it is words about an alert (see `is_spelled_name`)."""
    if not is_spelled_name(reading):
        return None
    words = [word for word in reading.split() if word.lower() not in _NAME_SUFFIXES]
    # One word is an identifier ("kube-deployment-rollout-stuck" as the whole title).
    display = len(words) == 1 or all(word[0].isupper() for word in words)
    return Spelling(tuple(word.lower() for word in words), display)


def is_spelled_name(reading: str) -> bool:
    """True when the cleaned title is an alert's *name* rather than words about it: one identifier
    ("CoreDNSForwardErrorsHigh", "kube_pod_crash_looping", "kube-deployment-rollout-stuck"), or a
    name spelled out as words the way monitors title them, all lower case or all capitalised and
    without a sentence's glue ("core dns forward errors high", "Thanos Compact Halted")."""
    words = [word for word in reading.split() if word.lower() not in _NAME_SUFFIXES]
    if len(words) == 1:
        return is_alert_like(words[0])
    if not (2 <= len(words) <= MAX_NAME_WORDS and all(word.isalpha() for word in words)):
        return False
    # Capitalised throughout, glue words too ("Alertmanager Cluster Failed To Send Alerts"), is a name's
    # spelling; in lower case the glue makes a sentence.
    if all(word[0].isupper() for word in words):
        return True
    return all(word.islower() for word in words) and not _SENTENCE_WORDS & {word.lower() for word in words}


def _spells_another_alert(index, runbook, name, spelling, query):
    if spelling.display:
        return True
    words = spelling.words
    return (_says_more(index, name, words) or _says_the_other_side(name, words)
            or _names_another_condition(runbook, query))


def _says_more(index, name, words):
    """The words are the name's and one more of substance: among them ("core dns forward errors high"; not
    "… errors too high"), or before or after them a word alert names are made of, other than the object
    they are about ("ceph node down" is not NodeDown; "checkout-pod-cpu-throttling-high" and
    "prod-monitoring-config-reloader-sidecar-errors" put a service or team before the name's words)."""
    if not name or not set(name) <= set(words):
        return False
    inside = [position for position, word in enumerate(words) if word in name]
    between = set(words[min(inside):max(inside) + 1]) - set(name)
    around = {word for word in set(words) - set(name) - between
              if word in index.name_vocabulary and word not in OBJECT_WORDS}
    return bool((between | around) - STOP_WORDS - _DEGREE_ADVERBS)


def _says_the_other_side(name, words):
    """The words say another word of a contrast the name's word belongs to, and not the name's own."""
    mine, said = _contrasts_in(name), _contrasts_in(words)
    return any(group in said.values() and term not in said for term, group in mine.items()) and \
        any(group in mine.values() and term not in mine for term, group in said.items())


def _contrasts_in(words):
    """{term: contrast group} of the words and of each two run together ("daemon set": daemonset)."""
    words = list(words)
    found = {}
    for candidate in [*words, *("".join(pair) for pair in zip(words, words[1:]))]:
        for term in described_terms(candidate):
            if term in CONTRAST_OF:
                found[term] = CONTRAST_OF[term]
    return found


def _names_another_condition(runbook, query):
    """A name in words (all an alarm's title says) says what is wrong, and the runbook's name another thing:
    "core dns down" and "prod-core-dns-latencies-too-high" are not CoreDNSErrorsHigh."""
    said, named = (conditions_in(terms, degrees=False) for terms in (query, runbook.name_terms))
    return bool(said) and bool(named) and not said & named


def _mostly_unknown(index, words):
    """More than half the words of a team's alarm name are words no runbook uses: the alarm watches
    something the runbooks do not cover ("lambda-invoice-pdf-throttles" is no pod's CPU throttling).
    Glue words ("and", "per") count for neither side."""
    words = [word for word in words if word.isalpha() and described_terms(word)]
    unknown = [word for word in words
               if not any(index.document_frequency(term) for term in index.as_written(described_terms(word)))]
    return 2 * len(unknown) > len(words)


def _lacks(name, query):
    """The alert says the thing a name's absence is of, with "-less" ("leaderless" for etcdNoLeader)."""
    lacked = {stem(word) for word in name} | set(name)
    return any(term.endswith("less") and term[:-4] in lacked for term in query)


def _tokens_and_clauses(text):
    """The message's tokens (a dotted environment split off), and where each one's clause starts: after
    the last "Label:" or separator before it."""
    tokens, starts, start = [], [], 0
    for raw in text.split():
        for part in raw.split("."):
            tokens.append(part.strip(TOKEN_EDGES))
            starts.append(start)
        if raw.endswith(":") or raw in _CLAUSE_ENDS:
            start = len(tokens)
    return tokens, starts


def _in_a_predicate(tokens, position, clause_start):
    """The token comes after its clause's subject and verb ("Prometheus … has dropped targets because
    samples exceeded the configured label_name_length_limit"): a description quoting a setting or a
    metric it is about, not the name of an alert.  A name leads its clause ("go_goroutine_count_high
    api-gateway", "Monitor is alerting: kafka_consumer_lag_too_high", "rabbitmq_too_many_messages_in_queue
    is firing again") or follows a question's opening verb."""
    return any(token.lower() in _AUXILIARIES for token in tokens[clause_start + 1:position])
