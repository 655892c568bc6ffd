"""How sure the matcher is that a ranked runbook is the alert's (pure functions).

Recall is the easy half; knowing that there is *no* runbook is the hard one, because an alert from
the same domain shares many words with runbooks that are not its own.  The evidence about the best
ranked runbook is a handful of features, and a logistic model fitted on labelled alert messages
turns them into a probability (`benchmarks/fit_confidence.py` fits it, with cross-validation grouped
by alert name, and prints the precision/recall curve that `MATCH_THRESHOLD` is chosen from).
"""
import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Evidence:
    """What speaks for and against the best ranked runbook.  Shares are idf-weighted, in [0, 1]."""

    score_share: float  # its BM25F score over the most the alert's terms could score
    explained: float  # share of the alert's terms its names and Meaning use
    mentioned: float  # share of the alert's terms it uses anywhere, body included
    name_recall: float  # share of its own name's terms the alert says
    margin: float  # its lead over the best runbook of a different alert, relative to its score
    missing_rare: float  # the rarest alert term it never mentions (idf over the highest idf); 0 when none
    missing_known: float  # share of the alert's terms other runbooks use and this one never mentions
    few_terms: float  # 1 / number of the alert's terms: a two-word title says little
    explained_lead: float  # margin x explained: a lead earned by one rare word the runbook shares says little
    phrases: float  # share of the alert's adjacent term pairs its names and Meaning say too
    unknown_words: float  # words no runbook uses (a product: Kafka, Airflow): none 0, one 0.5, more 1
    unknown_subject: float  # 1 when the alert's first words name what no runbook is about ("Redis memory …")
    name_lead: float = 0.0  # its name_recall less the best of the other alerts' runbooks found
    condition_conflict: float = 0.0  # 1 when its name says a condition (Down, LatencyHigh) and the alert another
    # From the word-meaning model (`matching.semantics`); None without one.
    similarity: float | None = None  # cosine of the alert's and the runbook's vectors
    similarity_lead: float | None = None  # its similarity less the best of the other alerts' runbooks found

    @property
    def has_meanings(self) -> bool:
        return self.similarity is not None

    def vector(self) -> list[float]:
        return [getattr(self, name) or 0.0 for name in FEATURES]


FEATURES = tuple(item.name for item in fields(Evidence))

# Fitted by benchmarks/fit_confidence.py on the best three candidates of 2,367 labelled messages (see its
# output for the sets, the folds and the curve), at 0d76716; not refitted after the query and subject changes
# of f1a46af, since the weights refitted on those rows lose a spelled name and answer an alert without a
# runbook on the development set at MATCH_THRESHOLD, where these do neither.
WEIGHTS = {
    "score_share": 1.396, "explained": -0.624, "mentioned": 1.976, "name_recall": 0.889, "margin": 2.268,
    "missing_rare": 0.207, "missing_known": 1.066, "few_terms": -4.818, "explained_lead": 3.837, "phrases": 0.237,
    "unknown_words": 0.911, "unknown_subject": -0.877, "name_lead": 1.786, "condition_conflict": -0.313,
    "similarity": 1.865, "similarity_lead": 4.316,
}
BIAS = -3.567
# Fitted the same way with the word-meaning features left out (`--words-only`): the model when no
# word-meaning model is installed.
WORDS_ONLY_WEIGHTS = {
    "score_share": 1.935, "explained": 0.314, "mentioned": 1.665, "name_recall": 1.552, "margin": 2.718,
    "missing_rare": 0.514, "missing_known": 1.332, "few_terms": -4.944, "explained_lead": 4.681, "phrases": 0.606,
    "unknown_words": 1.040, "unknown_subject": -0.824, "name_lead": 2.295, "condition_conflict": -0.182,
}
WORDS_ONLY_BIAS = -3.955


def confidence(evidence: Evidence) -> float:
    """P(the runbook is the alert's) under the fitted logistic model for the evidence there is."""
    weights, bias = _MODELS[evidence.has_meanings]
    z = bias + sum(weight * value for weight, value in zip(weights, evidence.vector()))
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))


# The weights in FEATURES' order, with and without the word-meaning features (every candidate is scored).
_MODELS = {has_meanings: (tuple(weights.get(name, 0.0) for name in FEATURES), bias) for has_meanings, weights, bias in
           ((True, WEIGHTS, BIAS), (False, WORDS_ONLY_WEIGHTS, WORDS_ONLY_BIAS))}
