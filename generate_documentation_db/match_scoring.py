"""How sure we are that a runbook is the one for an alert (pure functions).

Recall is easy; knowing that there is *no* runbook is the hard half.  An alert from the
same domain shares words with runbooks that are not its own, so the confidence weighs:

* how much of the runbook's name the alert says (a runbook named "kube pod crash looping"
  explains "Pod is crash looping" well), and how much of the alert its name explains;
* what the alert says that the runbook never mentions at all: a specific term (a product,
  a component) missing from the runbook is strong evidence of a different alert;
* fuzzy similarity of the words, for spellings the stemmer does not join;
* the margin over the best candidate for a *different* alert.

The score ranks; a small fitted logistic model turns score, margin and name recall into the
confidence (see CONFIDENCE_WEIGHTS).

Term weights are inverse document frequencies, so "kube", "high" and "alert" count for
little and "kafka" or "etcd" for a lot.
"""
import math
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

# One unknown word is strong evidence, but must not outweigh everything else on its own.
MAX_TERM_WEIGHT = 6.0
# Confidence is a logistic model over three pieces of evidence about the best candidate:
#   z = SCORE * score + MARGIN * (score - best different alert's score) + NAME_RECALL * name_recall + BIAS
# where name_recall is the (idf-weighted) share of the runbook NAME's words the alert says.  The three
# weights were fitted by L2-regularised (lambda 0.001) logistic regression on the top-1 candidates of the
# TUNING half of benchmarks/bench_matching.py (label: top-1 is the expected runbook; exact-name matches
# excluded; 293 rows, 185 right), fitted bias -3.66.  The bias was then lowered by logit(0.7) - logit(0.6)
# so that the shipped threshold 0.6 sits where the fit reached 0.7: a wrong runbook is worse than none.
# Refitted the same way when body-only words began to count BODY_WORD_SHARE (was 4.29 / 4.45 / 3.05, -5.07).
CONFIDENCE_WEIGHTS = {"score": 3.41, "margin": 3.74, "name_recall": 3.05}
CONFIDENCE_BIAS = -4.10
# Words PostgreSQL's English stop list drops that tell alerts apart (KubeletDown, KubePodNotReady,
# NodeFilesystemAlmostOutOfSpace, KubeletTooManyPods): kept beside the lexemes, with a modest weight.
# A title of this many lexemes is a sentence (a summary annotation, a human title), not a name.
SENTENCE_LEXEMES = 4
# How much a title word that only the runbook's body (not its name or Meaning) mentions explains.
BODY_WORD_SHARE = 0.5
STOP_WORD_WEIGHTS = {"down": 2.0, "up": 1.0, "no": 1.5, "not": 1.5, "out": 1.0, "too": 1.0, "off": 1.0}
# A runbook named for an absence ("etcdNoLeader", "KubeNodeNotReady") answers only an alert that says
# one: "etcd cluster has frequent leader elections" shares its words and means the opposite.
NAME_NEGATIONS = frozenset(("no", "not"))
ALERT_NEGATIONS = frozenset("no not none without cannot unable lost never zero down".split())
NEGATION_MISMATCH = 0.3


@dataclass(frozen=True)
class CandidateTerms:
    """What scoring needs to know about one search hit."""

    runbook_id: int
    name: str  # the alert name (or title) the runbook is for
    alert_keys: tuple  # canonical keys: two hits sharing one are the same alert
    name_lexemes: frozenset  # stemmed words of the runbook's title and alert name
    matched_lexemes: frozenset  # the alert's lexemes found anywhere in the runbook
    name_words: str  # the runbook's name as spaced words, for fuzzy comparison
    meaning_lexemes: frozenset = frozenset()  # stemmed words of what the runbook says its alert means


@dataclass(frozen=True)
class ScoredCandidate:
    runbook_id: int
    name: str
    confidence: float
    score: float


def term_weight(document_frequency, total_documents):
    """Inverse document frequency, capped: rare terms are specific, common ones generic."""
    idf = math.log(1 + (total_documents + 1) / (document_frequency + 0.5))
    return min(idf, MAX_TERM_WEIGHT)


def kept_stop_words(words):
    """The telling stop words among lower-case spaced `words` ("kubelet down" -> {"down"})."""
    return frozenset(words.lower().split()) & STOP_WORD_WEIGHTS.keys()


def weighted_share(part, whole, weights):
    total = sum(weights.get(term, MAX_TERM_WEIGHT) for term in whole)
    if total == 0:
        return 0.0
    return sum(weights.get(term, MAX_TERM_WEIGHT) for term in part & whole) / total


def candidate_score(alert_lexemes, alert_words, candidate, weights, names_an_alert=False, subject=frozenset()):
    """The evidence that `candidate` is the alert's runbook, in [0, 1], before the margin.

    `names_an_alert`: the title is one identifier (``VirtLauncherDown``) that no runbook answers
    to by name, so each of its words must be in the candidate's name.  `subject`: the words of an
    identifier a sentence names ("KubeProxy has disappeared…"): the runbook's name should say them.
    """
    if not alert_lexemes:
        return 0.0
    candidate = _with_joined_words(alert_lexemes, candidate)
    name_recall = weighted_share(alert_lexemes, candidate.name_lexemes, weights)
    name_precision = weighted_share(candidate.name_lexemes, alert_lexemes, weights)
    # A summary annotation describes the alert in the words of the runbook's Meaning, not its name,
    # and a sentence is never spelled like a name.
    described = weighted_share(candidate.name_lexemes | candidate.meaning_lexemes, alert_lexemes, weights)
    # A word only the runbook's body mentions explains less: a long runbook mentions everything.
    explained = described + BODY_WORD_SHARE * weighted_share(
        candidate.matched_lexemes - candidate.name_lexemes - candidate.meaning_lexemes, alert_lexemes, weights)
    # token_sort, not token_set: a subset of the words must not count as a full match.
    similarity = fuzz.token_sort_ratio(alert_words, candidate.name_words) / 100
    if len(alert_lexemes) >= SENTENCE_LEXEMES:
        similarity = max(similarity, described)
    evidence = 0.35 * name_recall + 0.25 * max(name_precision, described) + 0.2 * explained + 0.2 * similarity
    # What the alert says that the runbook never mentions, and what the runbook's name says that the
    # alert does not ("OSD CPU load high" for "node load high"): a different alert, most likely.
    score = evidence * explained ** 1.5 * (0.5 + 0.5 * name_recall)
    if NAME_NEGATIONS & set(candidate.name_words.split()) and not ALERT_NEGATIONS & set(alert_words.split()):
        return score * NEGATION_MISMATCH
    if names_an_alert:
        # A name no runbook answers to exactly: a word differing either way ("kube deployment rollout
        # stuck" / "kube daemon set rollout stuck") makes it another alert's name.
        return score * name_precision ** 6 * name_recall ** 2
    if len(alert_lexemes) >= SENTENCE_LEXEMES - 1:
        # A sentence every word of which the runbook's name and Meaning explain is its summary.
        score = max(score, described ** 3 * (0.6 + 0.4 * name_recall))
    if subject:
        score *= weighted_share(candidate.name_lexemes, subject, weights) ** 2
    return score


def _with_joined_words(alert_lexemes, candidate):
    """"crashloop" is "crash loop(ing)" written as one word, and "failed" / "failures" stem apart
    ("fail", "failur"): count such words as part of the name."""
    compact = candidate.name_words.replace(" ", "")
    joined = {lexeme for lexeme in alert_lexemes - candidate.name_lexemes
              if (len(lexeme) >= 5 and lexeme in compact) or _shares_stem(lexeme, candidate.name_lexemes)}
    if not joined:
        return candidate
    return replace(candidate, name_lexemes=candidate.name_lexemes | joined,
                   matched_lexemes=candidate.matched_lexemes | joined)


def _shares_stem(lexeme, name_lexemes):
    """"fail" / "failur", and a name's abbreviation of the word ("errs" is "err", said "errors")."""
    return len(lexeme) >= 4 and any(
        (len(name) >= 4 and name.startswith(lexeme)) or (len(name) >= 3 and lexeme.startswith(name))
        for name in name_lexemes)


def name_recall(alert_lexemes, candidate, weights):
    """The weighted share of the runbook's name that the alert says ("crash looping" says most of
    "kube pod crash looping"; "pending" says little of "kube pod not ready")."""
    joined = _with_joined_words(alert_lexemes, candidate)
    return weighted_share(alert_lexemes, joined.name_lexemes, weights)


def confidence(score, margin, recall):
    """P(this candidate is the alert's runbook) from its score, its lead over the best different
    alert and how much of its name the alert says (see CONFIDENCE_WEIGHTS for how it was fitted)."""
    if score <= 0:
        return 0.0
    z = (CONFIDENCE_WEIGHTS["score"] * score + CONFIDENCE_WEIGHTS["margin"] * max(0.0, margin)
         + CONFIDENCE_WEIGHTS["name_recall"] * recall + CONFIDENCE_BIAS)
    return 1 / (1 + math.exp(-z))


def rank_candidates(alert_lexemes, alert_words, candidates, weights, names_an_alert=False, subject=frozenset()):
    """[ScoredCandidate], best score first, each with its calibrated confidence.

    Ranked by score, not confidence: the score picks the runbook, the confidence says whether to trust it.
    """
    scored = sorted(((candidate_score(alert_lexemes, alert_words, c, weights, names_an_alert, subject), c)
                     for c in candidates),
                    key=lambda pair: pair[0], reverse=True)
    ranked = []
    for score, candidate in scored:
        rival = next((s for s, other in scored if not set(other.alert_keys) & set(candidate.alert_keys)
                      and other.runbook_id != candidate.runbook_id), 0.0)
        sure = confidence(score, score - rival, name_recall(alert_lexemes, candidate, weights))
        ranked.append(ScoredCandidate(candidate.runbook_id, candidate.name, round(sure, 4), score))
    return ranked
