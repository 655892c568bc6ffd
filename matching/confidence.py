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
    unknown_identifier: float  # 1: the message holds an alert-like identifier no runbook answers to
    spelled_name: float  # 1: the title reads as a name (no sentence glue) that no runbook answers to
    negation_mismatch: float  # 1: the runbook is named for an absence the alert does not say
    few_terms: float  # 1 / number of the alert's terms: a two-word title says little

    def vector(self) -> list[float]:
        return [getattr(self, item.name) for item in fields(self)]


FEATURES = tuple(item.name for item in fields(Evidence))

# Fitted by benchmarks/fit_confidence.py (see its output for the data, folds and curve).
WEIGHTS = {
    "score_share": 2.0, "explained": 3.0, "mentioned": 1.0, "name_recall": 2.0, "margin": 2.5,
    "missing_rare": -3.0, "unknown_identifier": -4.0, "spelled_name": -4.0, "negation_mismatch": -3.0,
    "few_terms": -1.0,
}
BIAS = -5.0


def confidence(evidence: Evidence, weights: dict = WEIGHTS, bias: float = BIAS) -> float:
    """P(the runbook is the alert's) under the fitted logistic model."""
    z = bias + sum(weights[name] * value for name, value in zip(FEATURES, evidence.vector()))
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))
