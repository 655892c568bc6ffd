"""Alert message -> runbook: a name found anywhere wins; otherwise the fielded ranking, and a
fitted confidence decides whether to trust its best runbook (pure functions over a RunbookIndex).
"""
import functools
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from matching.confidence import Evidence, confidence
from matching.details import message_key, names_said
from matching.index import RunbookIndex
from matching.lessons import NOTHING_TAUGHT, Lessons
from matching.names import AnyOf, is_alert_like, name_mentions
from matching.rule_book import link_key, link_name
from matching.text import STOP_WORDS, described_terms, phrase_pairs, plain_key, rewritten_terms, words_of
from matching.titles import (
    alert_key,
    name_key,
    name_words,
    names_a_node,
    names_label_values,
    normalise_alert_title,
    without_decorations,
)
from matching.vetoes import (
    CONTRAST_OF,
    NEGATION_TERMS,
    OBJECT_WORDS,
    TOKEN_EDGES,
    conditions_in,
    message_flags,
    vetoed_share,
)
from matching.vocabulary import quota_condition, ready_condition, without_advice, without_circumstances

# Chosen on the out-of-fold curve benchmarks/fit_confidence.py prints, with the limits issue 11 sets for
# replies: the lowest threshold at which at most 1 % of the alerts with a runbook get a wrong one and at most
# 2 % of those without one are answered, each with a tenth of a point and at least one alert to spare (the
# labelled sets are a sample: 551 alerts without a runbook make one answer 0.18 points), and at which the
# development set's own limits hold.  With the model fitted on 1,816 alerts with a runbook and 551 without:
# 14 wrong (0.8 %) and 10 answered (1.8 %) at 0.72, none to spare under 1.9 %; 13 and 9 (1.6 %) at 0.74,
# where the shipped model answers 1 of the development set's 78 alerts without a runbook (1.3 %) and gives
# 3 of its 521 with one a wrong runbook (0.6 %; 2 through the console, which reads the attachments too);
# 10 and 8 at 0.76.  The words-only model (no word-meaning
# package installed) has 17 wrong (0.94 %) at 0.76, and 15 (0.83 %) and 7 answered (1.3 %) at 0.78, where it
# answers 1 of the development set's 78 and gives 2 a wrong runbook.
DEFAULT_THRESHOLD = 0.74
WORDS_ONLY_THRESHOLD = 0.78
# How a runbook was found: taught by the team's feedback, by the message's own link, by a rule's runbook_url,
# by name, by a rule's template, by words, by a name the rest of the message gives; or that the alert has no runbook, as the team said or as its rule
# shows (the bot stays quiet).
REASONS = ("taught", "runbook link", "rule runbook_url", "exact name", "rule template", "text match",
           "name in the message", "taught no runbook", "rule without runbook")
RELATED_FLOOR = 0.2
RELATED_LIMIT = 3
SEARCH_LIMIT = 30
# How many of the best-scored runbooks the confidence model weighs and orders.
RERANKED = 6
# A quotation of the alert (`_quoted_first`): how many words, how many more than another alert's runbook
# says, and how sure it makes the match.  Chosen like the threshold: `benchmarks/fit_confidence.py
# --quotations` prints how often a quoting runbook is right on the labelled sets for each length and lead:
# on the sets the confidence is fitted on, six words decide 135 messages, all right (seven decided 110), and so
# does every longer run or lead; five words let generic phrases through ("has failed to reload its
# configuration": 5 wrong of 162).  The held-out sets agree: 4 decided at six words, all right.  Descriptions are quoted where a runbook starts.
QUOTE_WORDS = 6
QUOTE_LEAD = 1
QUOTED_CONFIDENCE = 0.95
MAX_QUOTED_CHARS = 2_000
# The words by which alert names tell an alert's severities apart (`_variant_said_first`); numbers too.
_VARIANT_WORDS = frozenset(("critical", "warning", "info"))
# The words of a title that name its subject (see _unknown_subject).
SUBJECT_WORDS = 2
# How many runbooks may name a subject in their text, and in none of their names or Meanings, for it to be a
# product no runbook is about (`_unknown_subject`).
PASSING_MENTIONS = 1
_VERBATIM_WORD = re.compile(r"[a-z0-9]+")
# What counts firings and incidents ("[FIRING:2]", "#4821", "Triggered 95357:") says no variant's number.
_COUNTS = re.compile(r"\[(?:firing|resolved):\s*\d+\]|#\d+|^\W*(?:(?:re-?)?triggered|acknowledged|resolved)\W+\d+(?!\d|\.\d|\s?%)",
                     re.IGNORECASE)
# A share as written in prose ("90%", "12.5 %") and in alarm names ("quota-90pct", "85percent").
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:%|pct\b|percent\b)", re.IGNORECASE)
# Whole messages that, in the vocabulary's wording, say a condition of no one component.
_GENERIC_PLAIN_KEYS = frozenset(("targetdown", "targetsdown"))


@dataclass(frozen=True)
class Match:
    """What the bot knows about an alert's runbook; `runbook_id` is None when there is no match.

    `alert_key` names the alert on the dashboard and in the mail: the matched runbook's alert name
    as words when there is a match, else the message's own key (`details.message_key`: the cleaned title's
    words, or the alert a field names under a title every alert shares)."""

    title: str
    normalised: str
    alert_key: str
    runbook_id: int | None = None
    matched: str | None = None
    runbook_title: str | None = None
    url: str | None = None
    confidence: float = 0.0
    reason: str = "none"  # one of REASONS, or 'none'
    alternatives: tuple[str, ...] = field(default=())  # names of other runbooks worth a look, best first
    alternative_urls: tuple[str, ...] = field(default=())  # their links, in the same order
    evidence: Evidence | None = None  # what the confidence of a text match was computed from
    taught_by: str | None = None  # reason 'taught' / 'taught no runbook': who said so, and when
    taught_at: datetime | None = None

    @property
    def found(self) -> bool:
        """A runbook to give: a stored one, or the link the message itself carries (`on_docs_site` says which)."""
        return self.runbook_id is not None or (self.reason == "runbook link" and bool(self.url))

    @property
    def on_docs_site(self) -> bool:
        return self.runbook_id is not None


def model_threshold(index: RunbookIndex) -> float:
    """The threshold chosen for the confidence model the index ranks with (see DEFAULT_THRESHOLD)."""
    return threshold_for(has_meanings=index.vectors is not None)


def threshold_for(has_meanings: bool) -> float:
    """DEFAULT_THRESHOLD with the word-meaning model, WORDS_ONLY_THRESHOLD without it."""
    return DEFAULT_THRESHOLD if has_meanings else WORDS_ONLY_THRESHOLD


def alert_key_reader(index: RunbookIndex, threshold: float | None = None,
                     taught: Mapping[str, Lessons] | None = None) -> Callable[[str], str]:
    """title -> the key the dashboard and the mail count the alert by: its runbook's name when the
    matcher finds one ("Pod is crash looping" and "KubePodCrashLooping" are one alert), as the team
    taught it (`taught`: {title key: lessons}), else the cleaned title's words.  Cached per title and
    version of the runbooks and rules: incident titles repeat; a new `taught` needs a new reader."""
    taught = taught or {}

    @functools.lru_cache(maxsize=65536)
    def key_at(version, title):
        return match_alert(index, title, threshold, lessons=taught.get(alert_key(title), NOTHING_TAUGHT)).alert_key

    return lambda title: key_at((index.version, index.rules.version), title)


def match_alert(index: RunbookIndex, title: str, threshold: float | None = None,
                links: tuple[str, ...] = (), lessons: Lessons = NOTHING_TAUGHT, details: str = "") -> Match:
    """The runbook for an alert title (a Match; `.found` is False when none is sure enough).

    In order, the first that answers: what the team taught about this alert (`lessons`); a runbook
    link the message carries (`links`); a runbook's name, or an alert rule's whose `runbook_url`
    names the page; a rule's summary or description template the title was rendered from; the
    fielded ranking and its confidence, answering from `threshold` on (None: the model's own,
    `model_threshold`); else the one runbook the rest of the message names (`details`: all its text,
    attachments and other lines included; see `matching.details`).  A runbook the team called wrong
    for it is never the answer."""
    if threshold is None:
        threshold = model_threshold(index)
    normalised = normalise_alert_title(title)
    base = Match(title=title, normalised=normalised, alert_key=message_key(title, details))
    if not str(title or "").strip():
        return base
    with index.locked_for_match():  # the docs monitor's next patch waits for this match (about a millisecond)
        return _match(index, base, threshold, links, lessons, details)


def _match(index, base, threshold, links, lessons, details=""):
    taught = _taught_match(index, base, lessons)
    if taught:
        return taught
    match = _untaught_match(index, base, threshold, links, details)
    if not lessons.rejects(match.matched):
        return match
    return _ranked_match(index, base, threshold, lessons)


def _untaught_match(index, base, threshold, links, details=""):
    linked = _linked_match(index, base, links, "runbook link")
    if linked:
        return linked
    rules = index.rules  # read once: the docs monitor's next change replaces it whole meanwhile
    if not len(index) and not rules.rule_count:
        return base
    found = _named_match(index, base, rules) or _rule_template_match(index, base, rules)
    if found:
        return found
    ranked = _ranked_match(index, base, threshold)
    # The title's own words first: the rest of the message answers only what they leave unanswered.
    return ranked if ranked.found else (_named_in_details(index, base, details) or ranked)


def _named_in_details(index, base, details):
    """The one runbook the rest of the message names (`matching.details`), when the title's words found
    none: an attachment's "*Alert:* KubeNodeUnreachable" under "Incident triggered by Alertmanager".
    None when it names none, several (a grouped notification: they are listed as possibly related),
    or an alert no runbook documents; or when the title holds an identifier no runbook answers to."""
    if not details or message_flags(index, base.title, base.normalised).unknown_identifier:
        return None
    keys = names_said(details, index)
    if not keys:
        return None
    docs = [index.runbooks_named(key)[0] for key in keys]
    if len(docs) > 1:
        named = [(index.runbook(doc).record.display_name, index.runbook(doc).record.url) for doc in docs]
        return replace(base, alternatives=tuple(name for name, _ in named[:RELATED_LIMIT]),
                       alternative_urls=tuple(url for _, url in named[:RELATED_LIMIT]))
    return _with_runbook(base, index.runbook(docs[0]), 1.0, "name in the message", (), matched=own_name(index, docs[0]))


def _taught_match(index, base, lessons):
    """The runbook the team chose for this alert (still on the docs site), or quiet when they said
    there is none; None when they taught nothing that decides it."""
    taught = {"taught_by": lessons.taught_by, "taught_at": lessons.taught_at}
    if lessons.no_runbook:
        return replace(base, reason="taught no runbook", confidence=1.0, **taught)
    if lessons.answer is None:
        return None
    docs = index.runbooks_named(name_key(lessons.answer))
    if lessons.answer_url:
        docs = index.runbooks_at(lessons.answer_url) or docs
    if not docs:
        return None  # the runbook is gone from the docs site: the alert is matched afresh
    return replace(_with_runbook(base, index.runbook(docs[0]), 1.0, "taught", (), matched=own_name(index, docs[0])),
                   **taught)


def _linked_match(index, base, links, reason):
    """The runbook a link the message carries names: the page stored from that URL, else the runbook
    named as the link's last path segment is (a mirror of the upstream runbooks), else the link itself,
    not on the docs site.  (A rule's runbook_url is not given that way: `rule_runbooks`.)"""
    for url in links:
        docs = index.runbooks_at(url) or index.runbooks_named(name_key(link_name(url)))
        if docs:
            return _with_runbook(base, index.runbook(docs[0]), 1.0, reason, (), matched=own_name(index, docs[0]))
    if not links:
        return None
    # The page's name is the alert's only when it reads as one ("…/KafkaConsumerLagHigh"), not
    # "viewpage.action" or "README": the alert keeps its own key then.
    name = link_name(links[0])
    alert_like = is_alert_like(name)
    return replace(base, url=links[0], matched=name if alert_like else None, confidence=1.0, reason=reason,
                   alert_key=" ".join(name_words(name)) if alert_like else base.alert_key)


def rule_runbooks(index: RunbookIndex, alert_name: str, runbook_urls: tuple[str, ...] | list[str]) -> list[int]:
    """The stored runbooks of an alert rule: those named for its alert, else the page its runbook_url
    points at, else the runbook named as that link's last path segment is (a mirror of upstream's)."""
    docs = index.runbooks_named(name_key(alert_name))
    for url in runbook_urls:
        docs = docs or index.runbooks_at(url) or index.runbooks_named(name_key(link_name(url)))
    return docs


def _rule_template_match(index, base, rules):
    alert = rules.alert_for(base.title)
    if alert is None:
        return None
    docs = rule_runbooks(index, alert, rules.runbook_urls(name_key(alert)))
    if not docs:
        return _rule_without_runbook(base, alert, rules)
    reason = "rule template" if index.runbooks_named(name_key(alert)) else "rule runbook_url"
    return _with_runbook(base, index.runbook(docs[0]), 1.0, reason, (), matched=alert)


def _rule_without_runbook(base, alert, rules):
    """The alert is known by its rule and the docs site has no runbook for it: quiet, rather than a
    guess; the rule's own runbook_url, when it has one, is listed as possibly related."""
    urls = tuple(url for url in rules.runbook_urls(name_key(alert)) if link_key(url)[0])[:1]  # readable ones
    name = (link_name(urls[0]) or link_key(urls[0])[0]) if urls else ""  # ".../" names no page: its host then
    return replace(base, alert_key=" ".join(name_words(alert)) or base.alert_key, reason="rule without runbook",
                   alternatives=(name,) if urls else (), alternative_urls=urls)


def _named_match(index, base, rules):
    # Rule names with a runbook_url count as names too: their link says where the runbook is.
    linked = rules.linked_keys
    # A ChainMap's lookup costs ten times a dict's, and name_mentions makes hundreds a message.
    known = ChainMap(index.known_keys, linked) if linked else index.known_keys
    starts = AnyOf(index.key_starts, rules.linked_key_starts) if linked else index.key_starts
    mentions = name_mentions(without_decorations(base.title), known, index.name_vocabulary, index.prose_words, starts)
    keys = [mention.key for mention in mentions]
    # "Kubelet has disappeared from Prometheus target discovery" says "kubelet down": a name too.
    # So does "Ceph Manager has disappeared from Prometheus target discovery": CephMgrIsAbsent in the same
    # wording (the vocabulary applies to both sides, the message's words and the runbooks' names).
    # Not "Target disappeared from Prometheus target discovery": the summary every component's up-metric alert
    # shares (KubeProxyDown, KubeSchedulerDown, …) names no component, so it is no name, TargetDown's included.
    plain = plain_key(without_circumstances(base.normalised))
    if plain not in _GENERIC_PLAIN_KEYS:
        keys.extend([plain] if plain in index.known_keys else index.keys_plainly_said(plain))
    for key in keys:
        docs = index.runbooks_named(key)
        if docs:
            best = index.runbook(docs[0]).record
            others = {}
            for doc in docs[1:]:
                other = index.runbook(doc).record
                if other.url != best.url:
                    others.setdefault(other.display_name, other.url)  # one link per name: the best-ranked page
            # A page found by its file name while its heading names another alert (a copy-paste slip)
            # documents the alert its file is named for, as the message names it.
            spelled = next((name for name_of, name, source in best.names if name_of == key and source == "slug"), None)
            return _with_runbook(base, index.runbook(docs[0]), 1.0, "exact name", tuple(others.items()),
                                 matched=spelled)
    # Only the name of a rule, after every runbook's name was tried: that alert, by its rule's runbook_url.
    for key in keys:
        if rules.runbook_urls(key):
            docs = rule_runbooks(index, rules.alert_name(key), rules.runbook_urls(key))
            if not docs:
                return _rule_without_runbook(base, rules.alert_name(key), rules)
            return _with_runbook(base, index.runbook(docs[0]), 1.0, "rule runbook_url", (), matched=own_name(index, docs[0]))
    return None


def own_name(index: RunbookIndex, doc: int) -> str:
    """The alert a runbook documents.  Its heading's name, unless another page's file is named for
    that alert while this page's file is named for another: a page copied from a sibling whose
    heading was never changed (PrometheusRemoteWriteBehind.md headed "PrometheusRemoteStorageFailures").
    Worked out once per runbook until the index is patched: every candidate of every message asks."""
    memo = index.memo
    found = memo.get(("own name", doc))
    if found is None:
        found = memo[("own name", doc)] = _own_name(index, doc)
    return found


def _own_name(index, doc):
    record = index.runbook(doc).record
    heading = name_key(record.display_name)
    file_name = _file_name(record)
    if file_name is None:
        return record.display_name
    claimed = any(other != doc and index.runbook(other) is not None
                  and (_file_name(index.runbook(other).record) or (heading, ""))[0] == heading
                  for other in index.runbooks_named(heading))
    return file_name[1] if claimed else record.display_name


def _file_name(record):
    """(key, spelling) of the alert a runbook's file is named for, when that differs from its heading."""
    heading = name_key(record.display_name)
    return next(((key, name) for key, name, source in record.names if source == "slug" and key != heading), None)


def _ranked_match(index, base, threshold, lessons=NOTHING_TAUGHT):
    scored = ranked_candidates(index, base.title)
    if lessons.rejected:
        scored = [entry for entry in scored if not (lessons.rejects(index.runbook(entry[0]).record.display_name)
                                                    or lessons.rejects(own_name(index, entry[0])))]
    if not scored:
        return base
    best_doc, best_confidence, best_evidence = scored[0]
    if best_confidence >= threshold:
        best = index.runbook(best_doc)
        related = _related(index, scored[1:], exclude=best.record.display_name)
        return _with_runbook(base, best, best_confidence, "text match", related, best_evidence,
                             matched=own_name(index, best_doc))
    related = _related(index, scored)
    return replace(base, confidence=round(best_confidence, 4), evidence=best_evidence,
                   alternatives=tuple(name for name, _ in related), alternative_urls=tuple(url for _, url in related))


def ranked_candidates(index: RunbookIndex, title: str) -> list[tuple[int, float, Evidence]]:
    """[(doc, confidence, Evidence)] of the runbooks the fielded search finds for the title's words,
    most probable first.  The BM25F score finds the candidates; the fitted model orders them, so
    evidence beyond the score (how much of a runbook's own name the alert says) can reorder them."""
    return _ranked_candidates(index, title)[0]


def _ranked_candidates(index, title):
    """(candidates, whether the first is the runbook that quotes the alert)."""
    # The cleaner drops the word after "namespace" / "container" as a label value; when alert names
    # use that word ("Namespace quota is…", "Pod container waiting…"), it is part of what the alert says.
    # A description's advice to the reader ("Investigate network health.") says nothing of the condition.
    spoken = without_advice(title)
    reading = normalise_alert_title(spoken)
    if names_label_values(spoken):
        reading = normalise_alert_title(spoken, is_word=lambda token: token.isalpha()
                                        and token.lower() in index.name_vocabulary)
    reading = without_circumstances(reading) or reading
    # The cleaner has dropped the figures; the share of a quota a description says is its condition, in words.
    reading = f"{reading} {quota_condition(title)} {ready_condition(title)}".strip()
    # The cleaner drops a node's host name as a label value; it was the description's subject.
    if names_a_node(spoken) and not OBJECT_WORDS & set(words_of(spoken)):
        reading = f"{reading} node"
    # A component spelled out that runbooks name by its acronym ("MachineConfigController": MCCDrainError).
    reading = " ".join([reading, *index.acronyms_said(words_of(reading))])
    # A word the vocabulary rewrote is said by the canonical wording; its own term, when no runbook uses it
    # ("rx") or it is a fragment of a split word ("k8s": k, 8s), would only count as a word left unexplained.
    rewritten = rewritten_terms(reading)
    query = [term for term in dict.fromkeys(index.as_written(described_terms(reading)))
             if term not in rewritten or (index.document_frequency(term) and not _is_split_fragment(term))]
    hits = index.search(query, SEARCH_LIMIT)
    if not hits:
        return [], False
    said = _Said(index, title, query, reading, hits)
    flags = message_flags(index, title, reading)
    scored, vetoed = [], set()
    for doc, score in hits[:RERANKED]:
        if index.runbook(doc) is None:
            continue  # removed by a patch since the search found it
        evidence = _evidence(index, doc, score, said)
        share = vetoed_share(index, doc, flags, query)
        if share < 1.0:
            vetoed.add(doc)
        scored.append((doc, confidence(evidence) * share, evidence))
    scored.sort(key=lambda entry: -entry[1])
    family = _most_specific_first(index, scored, set(query))
    quoted = _quoted_first(index, scored, family, said, vetoed)
    return (quoted, True) if quoted else (_threshold_said_first(index, _variant_said_first(index, family, title), said),
                                          False)


def _is_split_fragment(term):
    """A letter or a figure left of a word split between letters and digits ("k8s": k, 8s)."""
    return len(term) == 1 or term[0].isdigit()


def _variant_said_first(index, scored, title):
    """The candidates with the variant of the best's alert that the message says first: alerts that differ
    only by a severity or a threshold in their names (GuestVCPUQueueHighWarning / …Critical,
    NooBaaSystemCapacityWarning85 / …95 / …100) share their words but for that one, which the route's
    severity mark ("[CRITICAL]", "(warning)") or the summary's number ("usage is more than 95%") says.
    It takes the best's place and confidence, as a sibling does in `_most_specific_first`."""
    if len(scored) < 2:
        return scored
    said = set(_verbatim_words(_COUNTS.sub(" ", str(title or ""))))
    best = set(name_words(own_name(index, scored[0][0])))
    if best & said & _VARIANT_WORDS or any(word.isdigit() and word in said for word in best):
        return scored  # the best is the variant the message says
    for position, (doc, _, evidence) in enumerate(scored[1:], start=1):
        name = set(name_words(own_name(index, doc)))
        theirs, own = name - best, best - name
        if theirs and own and all(_is_variant_word(word) for word in theirs | own) and theirs <= said:
            return [(doc, scored[0][1], evidence), *scored[1:position], scored[0], *scored[position + 1:]]
    return scored


def _threshold_said_first(index, scored, said):
    """The candidates with the sibling whose Meaning states the threshold the message says first, when the
    best's Meaning states only others: alerts of one family that differ by threshold often share a name
    but for one word and a Meaning but for the figure (CephPoolQuotaBytesNearExhaustion "has crossed 70%",
    …CriticallyExhausted "has crossed 90%"); when none states the figure, the sibling whose threshold the share
    used has reached, the highest such ("at 92% of its quota": …CriticallyExhausted; `_Said.other_band`).  It
    takes the best's place and confidence."""
    if len(scored) < 2 or not said.percents:
        return scored
    best = index.runbook(scored[0][0]).record
    stated = _meaning_percents(best)
    if not stated or stated & said.percents:
        return scored
    for position, (doc, _, evidence) in enumerate(scored[1:], start=1):
        if _meaning_percents(index.runbook(doc).record) & said.percents and said.other_threshold(doc, scored[0][0]):
            return [(doc, scored[0][1], evidence), *scored[1:position], scored[0], *scored[position + 1:]]
    # No sibling states the figure: the one whose threshold the share said has reached, the highest such.
    for position, (doc, _, evidence) in enumerate(scored[1:], start=1):
        if said.other_band(doc, scored[0][0]) and not any(said.other_band(other, doc) for other, _, _ in scored
                                                           if other != scored[0][0]):
            return [(doc, scored[0][1], evidence), *scored[1:position], scored[0], *scored[position + 1:]]
    return scored


def _is_variant_word(word):
    return word in _VARIANT_WORDS or word.isdigit()


def _quoted_first(index, scored, family, said, vetoed):
    """The candidates with the runbook that quotes the alert first, or None when none does.  Upstream
    runbooks often repeat their alert's description word for word ("Storage cluster utilization has
    crossed 75% and will become read-only at 85%"): a run of QUOTE_WORDS of the alert's words in the
    same order, QUOTE_LEAD more than any other alert's runbook says, tells the alert better than
    the words' weights, which sibling alerts share.  Better than a sibling the alert names too, when
    the words that name it are in the quotation ("read-only" is CephClusterReadOnly's name and part
    of CephClusterNearFull's description), not when they are outside it.  Never when a number next to
    the quotation is another in the runbook (severities of one alert share a sentence and differ by
    threshold), nor for a runbook the message says is another alert's (`vetoes.vetoed_share`)."""
    if not said.could_quote:
        return None
    position = next((position for position, (doc, _, _) in enumerate(scored) if doc not in vetoed
                     and said.quoted.get(doc, 0) >= QUOTE_WORDS
                     and said.quoted[doc] - said.best_rival(doc, said.by_quoted) >= QUOTE_LEAD), None)
    if position is None:
        return None
    doc, sure, evidence = scored[position]
    if said.quotation[doc].other_number:
        return None  # a warning's runbook quoting the critical alert's sentence but for its threshold
    if any(doc in said.told_apart(other) for other in said.name_recall if other != doc):
        return None  # the message says the word, severity or threshold of a sibling, and not the quoting one's
    if _subject_unquoted(index, doc, said):
        return None  # "PVC … utilization has crossed 85%. Free up some space…" quoted by a storage cluster's runbook
    sibling = family[0][0]
    if sibling not in (scored[0][0], doc):
        naming = set(described_terms(own_name(index, sibling))) - set(described_terms(own_name(index, doc)))
        if not naming <= set(described_terms(" ".join(said.quotation[doc].words))):
            return None
    return [(doc, max(sure, QUOTED_CONFIDENCE), evidence), *scored[:position], *scored[position + 1:]]


# Words a title template may open with before its subject ("Critical: Storage cluster utilization …").
_MARK_WORDS = frozenset("critical warning warn info error alert alarm firing resolved triggered".split())


def _subject_unquoted(index, doc, said):
    """The message's subject (its first word, glue left out) is outside the quoted run, and the quoting
    runbook never uses it in any of its forms while another candidate does: the same sentence about
    another thing."""
    quoted = set(described_terms(" ".join(said.quotation[doc].words)))
    words = [word for word in said.reading.split() if word.lower() not in STOP_WORDS | _MARK_WORDS]
    for word in words[:1]:  # the next is as often a label value ("ObjectBucketClaim artifacts …")
        # A word in any of its forms ("ObjectBucketClaim": object, bucket, claim, or obc) is said if one is.
        forms = index.as_written(described_terms(word))
        if forms and all(term not in quoted and not index.has_term(doc, term) and any(
                index.has_term(other, term) for other in said.name_recall if other != doc) for term in forms):
            return True
    return False


def _most_specific_first(index, scored, query):
    """The best candidate, or the sibling of its family the alert's words name:
    * a more specific alert: a runbook whose name is the best's name and more words, all of which the
      alert says ("gRPC read requests are slow" is etcdGRPCReadRequestsSlow, not etcdGRPCRequestsSlow);
    * else a sibling: a name sharing two words or more with the best's, whose own words the alert all
      says (not only a negation) while it says none of the best's own, not even in another form of the
      word ("Filesystem is predicted to run out of space" is NodeFilesystemSpaceFillingUp, not
      …FilesFillingUp, whose runbook merely says more of its words; "none holds the leader lease" keeps
      NoLeadingVirtOperator).
    It takes the best's place and confidence: the evidence that the alert is of that family holds for
    it as well."""
    if len(scored) < 2:
        return scored
    best_doc, best_confidence, _ = scored[0]
    family = set(described_terms(own_name(index, best_doc)))
    names = [set(described_terms(own_name(index, doc))) for doc, _, _ in scored[1:]]  # each looked up once
    for position, ((doc, _, evidence), name) in enumerate(zip(scored[1:], names), start=1):
        if family < name and name - family <= query:
            return [(doc, best_confidence, evidence), *scored[1:position], scored[0], *scored[position + 1:]]
    for position, ((doc, _, evidence), name) in enumerate(zip(scored[1:], names), start=1):
        own, theirs = family - name, name - family
        # A few words apart, not two alerts that merely share a component's name.
        siblings = len(family & name) >= 2 and 1 <= len(own) <= 2 and 1 <= len(theirs) <= 3
        if siblings and not _says_any(own, query) and theirs <= query and theirs - NEGATION_TERMS:
            return [(doc, best_confidence, evidence), *scored[1:position], scored[0], *scored[position + 1:]]
    return scored


def _says_any(terms, query, shortest=4, ending=3):
    """Some of `terms` is among the alert's, or an alert's term is one of them and a short ending ("lead"
    and "leader", which the stemmer keeps apart; not "file" and "filesystem")."""
    return any(said == term or (len(term) >= shortest and said.startswith(term) and len(said) - len(term) <= ending)
               for term in terms for said in query)


class _Said:
    """What the alert's words weigh, worked out once for all its candidates."""

    def __init__(self, index, title, query, reading, hits):
        self.query = query
        self.reading = reading
        alert_vector = index.embed_alert(reading)
        self.similarity = (None if alert_vector is None else
                           dict(zip((doc for doc, _ in hits), index.similarities([doc for doc, _ in hits], alert_vector))))
        self.weights = {term: index.idf(term) for term in query}
        self.total = sum(self.weights.values()) or 1.0
        self.highest = max(self.weights.values(), default=0.0) or 1.0
        self.known = {term for term in query if index.document_frequency(term)}
        self.unknown_subject = _unknown_subject(index, reading)
        self.conditions = conditions_in(query)  # what the alert says is wrong
        self.pairs = {pair: index.idf(pair[0]) + index.idf(pair[1]) for pair in phrase_pairs(reading)}
        self.pairs_total = sum(self.pairs.values()) or 1.0
        self.name_recall = {doc: _name_recall(index, doc, self.weights) for doc, _ in hits[:RERANKED]
                            if index.runbook(doc) is not None}
        # Each hit's alert keys, looked up once: every candidate weighs every other hit as a rival.
        self.alert_keys_of = {doc: runbook.alert_keys for doc, runbook in ((doc, index.runbook(doc)) for doc, _ in hits)
                              if runbook is not None}
        # Each hit's name as words and as terms, for telling variants apart (`told_apart`).
        self.name_sets = {doc: (_name_word_set(name), _name_term_set(name)) for doc, name in
                          ((doc, index.runbook(doc).record.display_name) for doc in self.alert_keys_of)}
        # Best first, so a candidate's strongest rival is the first hit of another alert in each order.
        self.by_score = hits
        self.by_similarity = (None if self.similarity is None else
                              sorted(self.similarity.items(), key=lambda entry: -entry[1]))
        self.by_name_recall = sorted(self.name_recall.items(), key=lambda entry: -entry[1])
        self.said_words = _verbatim_words(without_decorations(title))
        self.index = index
        self.title_words = set(_verbatim_words(_COUNTS.sub(" ", str(title or ""))))
        self.percents = _percents(without_decorations(title))
        self.share_used = _share_used(without_decorations(title))
        self.query_terms = frozenset(query)
        self._told_apart = {}

    @functools.cached_property
    def could_quote(self) -> bool:
        """Some candidate's runbook says QUOTE_WORDS of the alert's words in a row, each somewhere: only then
        can one quote the alert, and the quotations are worth working out (most messages are too short)."""
        for doc in self.name_recall:
            _, places = _quotable(self.index.runbook(doc).record)
            run = 0
            for word in self.said_words:
                run = run + 1 if word in places else 0
                if run >= QUOTE_WORDS:
                    return True
        return False

    @functools.cached_property
    def quotation(self) -> dict:
        """Per candidate: the alert's words its runbook says in one run, word for word."""
        return {doc: _quotation(self.said_words, _quotable(self.index.runbook(doc).record)) for doc in self.name_recall}

    @functools.cached_property
    def quoted(self) -> dict:
        """Per candidate: how many words its quotation has."""
        return {doc: len(quotation.words) for doc, quotation in self.quotation.items()}

    @functools.cached_property
    def by_quoted(self) -> list:
        return sorted(self.quoted.items(), key=lambda entry: -entry[1])

    def best_rival(self, doc: int, ordered) -> float:
        """The value of the first of `ordered` [(hit, value)] that documents another alert than `doc`
        (and is still in the index), leaving out the variants the message tells it apart from; 0 when
        none does."""
        keys, keys_of = self.alert_keys_of[doc], self.alert_keys_of
        told_apart = self.told_apart(doc)
        for other, value in ordered:
            if other != doc and other in keys_of and keys_of[other].isdisjoint(keys) and other not in told_apart:
                return value
        return 0.0

    def told_apart(self, doc: int) -> set[int]:
        """The hits the message tells apart from `doc` by saying `doc`'s own severity, threshold or contrast:
        a variant named for another (NooBaaSystemCapacityWarning95 for …Warning85 when the message says "usage
        is more than 85%", …Warning for …Critical when it says "(critical)"); a sibling whose runbook states
        only other thresholds than the one the message says and `doc`'s states; a sibling whose threshold the
        share used the message says has not reached, or is below `doc`'s (`other_band`); a sibling named but for one
        word of a contrast the message says `doc`'s side of (…FilesFillingUp for …SpaceFillingUp when it
        says "space").  No rivals then, as the message has chosen between them (see `_variant_said_first`
        and `_threshold_said_first`); nor may they quote the message (`_quoted_first`)."""
        found = self._told_apart.get(doc)
        if found is None:
            mine, mine_terms = self.name_sets[doc]
            found = set()
            if {word for word in mine if _is_variant_word(word)} & self.title_words:
                for other, (theirs, _) in self.name_sets.items():
                    own, their = mine - theirs, theirs - mine
                    if own and their and all(map(_is_variant_word, own | their)) and own <= self.title_words:
                        found.add(other)
            if any(term in CONTRAST_OF and term in self.query_terms for term in mine_terms):
                found |= {other for other, (_, theirs) in self.name_sets.items()
                          if self._other_contrast(mine_terms, theirs)}
            if self.percents and _meaning_percents(self.index.runbook(doc).record) & self.percents:
                found |= {other for other in self.alert_keys_of if self.other_threshold(doc, other)}
            if self.share_used is not None:
                found |= {other for other in self.alert_keys_of if self.other_band(doc, other)}
            self._told_apart[doc] = found
        return found

    def _other_contrast(self, mine_terms, theirs):
        """The name `theirs` is `mine_terms` but for one word of the same contrast (Space / Files, Receive /
        Transmit, Deployment / StatefulSet), and the message says the word of mine, not the other's."""
        if len(theirs) != len(mine_terms):
            return False
        own, their = mine_terms - theirs, theirs - mine_terms
        if len(own) != 1 or len(their) != 1 or len(mine_terms & theirs) < 2:
            return False
        (word,), (other_word,) = own, their
        return (word in self.query_terms and other_word not in self.query_terms
                and CONTRAST_OF.get(word) == CONTRAST_OF.get(other_word, -1))

    def other_threshold(self, doc: int, other: int) -> bool:
        """`other` is a sibling of `doc` (one product's names, a word or two apart) whose Meaning states thresholds, none of
        them one the message says ("Storage pool quota usage has crossed 70%" / "… 90%")."""
        stated = _meaning_percents(self.index.runbook(other).record)
        return other != doc and self.alike(doc, other) and bool(stated) and not stated & self.percents

    def alike(self, doc: int, other: int) -> bool:
        """Siblings: one product's names, more alike than apart (not CoreDNSErrorsHigh / VirtHandlerRESTErrorsHigh)."""
        # Each name's words are worked out once (cached by name), not again for every pair of candidates.
        names = [self.index.runbook(d).record.display_name for d in (doc, other)]
        (mine_name, their_name), (mine, theirs) = map(_name_word_list, names), map(_name_word_set, names)
        return (mine_name[:1] == their_name[:1] and len(mine - theirs) <= 2 and len(theirs - mine) <= 2
                and len(mine & theirs) > max(len(mine - theirs), len(theirs - mine)))

    def other_band(self, doc: int, other: int) -> bool:
        """The share the message says (of a quota, a disk, requests failing) has reached `doc`'s threshold, and
        `other` is a sibling whose threshold it has not reached, or a lower one: of CephPoolQuotaBytesNearExhaustion
        (crossed 70%) and …CriticallyExhausted (crossed 90%), "has used 74% of its byte quota" is the first,
        "92%" the second."""
        if self.share_used is None or other == doc:
            return False
        mine, theirs = (_firing_share(self.index.runbook(d).record) for d in (doc, other))
        return (mine is not None and theirs is not None and mine <= self.share_used
                and (theirs > self.share_used or theirs < mine) and self.alike(doc, other))


def _thresholds_text(record):
    # The Meaning as stored may be cut short; its runbook's first words say the thresholds in full.
    return " ".join((record.meaning or "", record.body[:MAX_QUOTED_CHARS]))


@functools.lru_cache(maxsize=4096)
def _meaning_percents(record):
    return _percents(_thresholds_text(record))


@functools.lru_cache(maxsize=4096)
def _firing_share(record):
    """The share of use a runbook says its alert fires at: the lowest its Meaning (or its first words) states
    ("has crossed 75% and will become read-only at 85%": 75); None when it states none, or states what is
    left ("headroom < 5%"): such an alert fires as the share falls, which a share used does not compare with."""
    text = _thresholds_text(record)
    stated = list(_PERCENT.finditer(text))
    if not stated or any(_says_what_is_left(text, found) for found in stated):
        return None
    return min(float(found.group(1)) for found in stated)


# What is left, said as a share ("only 8% available", "less than 3% free", "3.8% of inodes left", "<3% headroom"),
# counts down to a threshold, not up: the words just before or after the figure say so.
_LEFT_BEFORE = re.compile(r"(?:\b(?:less|fewer) than|\bbelow|\bunder|\bonly|<)\s*(?:about\s+)?$", re.IGNORECASE)
_LEFT_AFTER = re.compile(r"^\s*(?:of\s+(?:its\s+|the\s+)?(?:\w+\s+){0,2}?)?(?:free|left|remaining|available|headroom)\b",
                         re.IGNORECASE)


def _says_what_is_left(text, found):
    return bool(_LEFT_BEFORE.search(text[max(0, found.start() - 30):found.start()])
                or _LEFT_AFTER.match(text[found.end():found.end() + 40]))


def _share_used(text):
    """The first share the message says, when it says how much is used (not what is left); else None."""
    found = _PERCENT.search(text)
    if not found or _says_what_is_left(text, found):
        return None
    return float(found.group(1))


def _percents(text):
    """The percentages a text states, as written without a trailing .0 ("90%", "12.5 %" -> {"90", "12.5"})."""
    return frozenset(figure[:-2] if figure.endswith(".0") else figure for figure in _PERCENT.findall(text))


@functools.lru_cache(maxsize=16384)
def _name_word_set(name):
    return frozenset(_name_word_list(name))


@functools.lru_cache(maxsize=16384)
def _name_word_list(name):
    return tuple(name_words(name))


@functools.lru_cache(maxsize=16384)
def _name_term_set(name):
    return frozenset(described_terms(name))


def _condition_conflict(conditions, runbook):
    """1.0 when the runbook's name says what is wrong (Down, LatencyHigh, Full) and the alert says something
    else wrong that neither its name nor its Meaning mentions ("Thanos Rule is failing to evaluate rules" is
    not ThanosRuleRuleEvaluationLatencyHigh); 0.0 when either says no condition or they share one."""
    named = conditions_in(runbook.name_terms)
    return float(bool(conditions) and bool(named) and not conditions & (runbook.name_terms | runbook.meaning_terms))


def _unknown_subject(index, reading):
    """1.0 when one of the alert's first two words is a word no runbook is about, else 0.0: in no runbook's
    names or Meaning, and in the text of one runbook at most.  A summary or a monitor's title names its
    subject first ("Redis memory usage above 90%", "Nginx is returning 5xx"): a subject the knowledge base
    never mentions, or names once in passing ("restart the Nginx ingress pods"), is another product's alert,
    while an unknown word further on is as often a label value (a namespace, a service) as a product."""
    words = (re.sub(r"['’]s$", "", word.strip(TOKEN_EDGES)) for word in reading.split())  # "Airflow's"
    subject = [word for word in words if word.isalpha()][:SUBJECT_WORDS]
    # A word the vocabulary words otherwise ("zero": no) is known by that wording.
    return float(any(all(not index.about_frequency(term) and index.document_frequency(term) <= PASSING_MENTIONS
                         for term in index.as_written(described_terms(word)))
                     for word in subject if described_terms(word)))


def _name_recall(index, doc, weights):
    """Share (idf-weighted) of the runbook's own name's terms the alert says."""
    own_name = set(described_terms(index.runbook(doc).record.display_name))
    name_total = sum(index.idf(term) for term in own_name) or 1.0
    return sum(index.idf(term) for term in own_name if term in weights) / name_total


def _evidence(index, doc, score, said):
    runbook = index.runbook(doc)
    weights, total = said.weights, said.total
    in_fields = runbook.name_terms | runbook.meaning_terms
    rival = said.best_rival(doc, said.by_score)
    margin = (score - rival) / max(score, rival) if max(score, rival) > 0 else 0.0
    mentioned = [term for term in said.query if index.has_term(doc, term)]
    missing = [term for term in said.query if term not in mentioned]
    explained = sum(weights[term] for term in said.query if term in in_fields) / total
    similarity = similarity_lead = None
    if said.similarity is not None:
        similarity = float(said.similarity[doc])
        similarity_lead = similarity - said.best_rival(doc, said.by_similarity)
    return Evidence(
        score_share=min(1.0, score / total),
        explained=explained,
        mentioned=sum(weights[term] for term in mentioned) / total,
        name_recall=said.name_recall[doc],
        name_lead=said.name_recall[doc] - said.best_rival(doc, said.by_name_recall),
        margin=margin,
        missing_rare=max(weights[term] for term in missing) / said.highest if missing else 0.0,
        # A word other runbooks use and this one never does names another component; a word no
        # runbook uses is as often a label value (a namespace, a service) as a product.
        missing_known=sum(weights[term] for term in missing if term in said.known) / total,
        few_terms=1.0 / max(1, len(said.query)),
        explained_lead=margin * explained,
        unknown_words=min(2, len(said.query) - len(said.known)) / 2,
        unknown_subject=said.unknown_subject,
        condition_conflict=_condition_conflict(said.conditions, runbook),
        phrases=sum(weight for pair, weight in said.pairs.items() if pair in runbook.phrases) / said.pairs_total,
        similarity=similarity,
        similarity_lead=similarity_lead,
    )


def _verbatim_words(text):
    return _VERBATIM_WORD.findall(text.lower())


@functools.lru_cache(maxsize=4096)
def _quotable(record):
    """The runbook's words as written (glue words and numbers too), and where each word stands."""
    words = tuple(_verbatim_words(" ".join((record.title, record.meaning, record.body[:MAX_QUOTED_CHARS]))))
    places = {}
    for place, word in enumerate(words):
        places.setdefault(word, []).append(place)
    return words, places


@dataclass(frozen=True)
class _Quotation:
    words: tuple[str, ...]  # the longest run of the alert's words the runbook says word for word, in one place
    other_number: bool  # a number next to the run is another in the runbook: the same sentence, another threshold


def _quotation(words, quotable):
    text, places = quotable
    longest, end, text_end, ends = 0, 0, 0, {}  # ends: where a run that ends at the previous word stands -> its length
    for position, word in enumerate(words):
        ends = {place: ends.get(place - 1, 0) + 1 for place in places.get(word, ())}
        for place, run in ends.items():
            if run > longest:
                longest, end, text_end = run, position + 1, place + 1
    start, text_start = end - longest, text_end - longest

    def other_number(said, written):  # "crossed 80% and will become…" against "crossed 75% and will become…"
        return (0 <= said < len(words) and 0 <= written < len(text) and words[said].isdigit()
                and text[written].isdigit() and words[said] != text[written])

    return _Quotation(tuple(words[start:end]),
                      longest > 0 and (other_number(start - 1, text_start - 1) or other_number(end, text_end)))


def _related(index, scored, exclude=None, limit=RELATED_LIMIT):
    """((name, url), …) of the candidates sure enough to mention, one per alert name."""
    related = {}
    for doc, sure, _ in scored:
        record = index.runbook(doc).record
        if sure >= RELATED_FLOOR and record.display_name != exclude and record.display_name not in related:
            related[record.display_name] = record.url
    return tuple(related.items())[:limit]


def _with_runbook(base, runbook, sure, reason, related, evidence=None, matched=None):
    record = runbook.record
    matched = matched or record.display_name
    return replace(base, alert_key=" ".join(name_words(matched)) or base.alert_key,
                   runbook_id=record.runbook_id, matched=matched, runbook_title=record.title,
                   url=record.url, confidence=round(sure, 4), reason=reason,
                   alternatives=tuple(name for name, _ in related), alternative_urls=tuple(url for _, url in related),
                   evidence=evidence)
