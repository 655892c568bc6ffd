"""Fit the matcher's confidence model, and print the precision/recall curve MATCH_THRESHOLD is chosen on.

    .venv/bin/python -m benchmarks.fit_confidence [--folds 5] [--l2 1.0]

Crawls the shared corpus into a temporary embedded PostgreSQL, runs every labelled message of
`benchmarks.matching_sets` (except the held-out sets) through the bot's recogniser and the
matcher's ranking, and fits a logistic regression over `matching.confidence.Evidence`: one row per
ranked candidate, labelled 1 when it is an accepted runbook.  Cross-validation folds are grouped
by alert name, so no alert's messages are both fitted and judged.  Prints how many messages a
runbook quoting them decided and how many of those were right (`matching.matcher.QUOTED_CONFIDENCE`); then, out of fold:
how many messages are answered right, with a wrong runbook, and answered without a runbook at each
threshold; then the weights fitted on all the rows (`--write` puts them into `matching/confidence.py`).
`--show-errors T` lists the wrong answers at confidence T or above, `--show-unsure T` the right
first-ranked runbooks held back below T, each with the next other alert's runbook: where the
confidence loses answers, and what a new feature would have to tell apart.
"""
import argparse
import sys
import tempfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.corpus_knowledge_base import crawled_corpus
from benchmarks.matching_sets import HELD_OUT_SETS, PAGERDUTY_BOT, accepted_names, all_items, is_right
from bot.recognition import recognise_alert
from matching import matcher
from matching.confidence import BIAS, FEATURES, WEIGHTS, WORDS_ONLY_BIAS, WORDS_ONLY_WEIGHTS, confidence
from matching.knowledge_base import load_index
from matching.matcher import QUOTED_CONFIDENCE, Match, _named_in_details, _named_match, _ranked_candidates
from matching.titles import alert_key, normalise_alert_title

CONFIDENCE_MODULE = Path(__file__).resolve().parents[1] / "matching" / "confidence.py"
# The features only a word-meaning model gives (`matching.semantics`).
WORDS_ONLY_LEFT_OUT = ("similarity", "similarity_lead")
FITTED_KINDS = ("ranked", "quoted")
QUOTATION_WORDS = (5, 6, 7, 8, 9)
QUOTATION_LEADS = (1, 2, 3, 4)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.64, 0.66, 0.68, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8, 0.85, 0.9, 0.95)


def candidate_rows(index, items, names):
    """Per item: ('named', right) for a name found, else [(features, label, veto, alert name)] of its candidates."""
    rows = []
    for number, item in enumerate(items):
        event = {"channel": "CFIT", "ts": f"1700000000.{number:06d}", **item["event"]}
        alert = recognise_alert(event, pagerduty_bot_ids=(PAGERDUTY_BOT,))
        if alert is None:
            rows.append(("not recognised", None))
            continue
        base = Match(title=alert.title, normalised=normalise_alert_title(alert.title), alert_key=alert_key(alert.title))
        named = _named_match(index, base, index.rules) or _named_in_details(index, base, alert.details)
        if named:
            rows.append(("named", is_right(named.matched, named.url, item["expected"], names)))
            continue
        candidates = []
        ranked, quoted = _ranked_candidates(index, alert.title)
        for doc, sure, evidence in ranked:
            record = index.runbook(doc).record
            label = bool(item["expected"]) and is_right(record.display_name, record.url, item["expected"], names)
            # What the vetoes left of the shipped model's confidence, to apply to the fitted ones too.
            veto = sure / max(confidence(evidence), 1e-12)
            candidates.append((evidence.vector(), float(label), veto, record.display_name))
        # A quoting runbook is answered with QUOTED_CONFIDENCE whatever the model says; its candidates
        # are fitted on all the same, as what the words alone say.
        rows.append(("quoted" if quoted else "ranked", candidates))
    return rows


def quotation_counts(rows, items):
    """(messages, right, wrong runbook, without a runbook) of those a quoting runbook decided."""
    quoted = [(item, payload[0][1] == 1.0) for (kind, payload), item in zip(rows, items) if kind == "quoted"]
    return (len(quoted), sum(right for _, right in quoted), sum(bool(item["expected"]) and not right for item, right in quoted),
            sum(not item["expected"] for item, _ in quoted))


def print_quotations(index, items, names):
    """The quotation rule's precision on every labelled message for each QUOTE_WORDS and QUOTE_LEAD."""
    shipped = matcher.QUOTE_WORDS, matcher.QUOTE_LEAD
    print(f"  {'words':>5} {'lead':>4} {'decided':>8} {'right':>6} {'wrong runbook':>14} {'without a runbook':>18}")
    try:
        for words in QUOTATION_WORDS:
            for lead in QUOTATION_LEADS:
                matcher.QUOTE_WORDS, matcher.QUOTE_LEAD = words, lead
                decided, right, wrong, stray = quotation_counts(candidate_rows(index, items, names), items)
                mark = "  <- shipped" if (words, lead) == shipped else ""
                print(f"  {words:>5} {lead:>4} {decided:>8} {right:>6} {wrong:>14} {stray:>18}{mark}")
    finally:
        matcher.QUOTE_WORDS, matcher.QUOTE_LEAD = shipped


def fit_logistic(x, y, l2, iterations=50):
    """L2-regularised logistic regression by Newton's method; returns (weights, bias)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    theta = np.zeros(design.shape[1])
    penalty = l2 * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(design @ theta, -60, 60)))
        gradient = design.T @ (p - y) + penalty @ theta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], theta[-1]


def predict(x, weights, bias):
    return 1 / (1 + np.exp(-np.clip(np.asarray(x) @ weights + bias, -60, 60)))


def candidate_probabilities(candidates, weights, bias):
    """The model's probability for each of a message's candidates, with what the vetoes left of it."""
    return predict([features for features, *_ in candidates], weights, bias) * np.array([veto for _, _, veto, _ in candidates])


def answers(rows, items, model_for):
    """[(item, kind, probability, right)] for each item: what the bot would answer and how sure."""
    out = []
    for index, ((kind, payload), item) in enumerate(zip(rows, items)):
        if kind == "named":
            out.append((item, "named", 1.0, payload))
        elif kind == "quoted":
            out.append((item, "quoted", QUOTED_CONFIDENCE, payload[0][1] == 1.0))
        elif kind == "ranked" and payload:
            weights, bias = model_for(index)
            probabilities = candidate_probabilities(payload, weights, bias)
            best = int(np.argmax(probabilities))
            out.append((item, "ranked", float(probabilities[best]), payload[best][1] == 1.0))
        else:
            out.append((item, kind, 0.0, False))
    return out


def unsure_right(rows, items, model_for, threshold):
    """[(item, probability, name, runner-up's probability, its name)] of the ranked messages whose
    first-ranked runbook is right but below `threshold`: the answers the confidence holds back, with
    the other alert's runbook that made it unsure (what a new feature would have to tell apart)."""
    out = []
    for index, ((kind, payload), item) in enumerate(zip(rows, items)):
        if kind != "ranked" or not payload:
            continue
        weights, bias = model_for(index)
        probabilities = candidate_probabilities(payload, weights, bias)
        order = [int(i) for i in np.argsort(-probabilities)]
        best = order[0]
        if payload[best][1] != 1.0 or probabilities[best] >= threshold:
            continue
        rival = next((i for i in order[1:] if payload[i][3] != payload[best][3]), None)
        out.append((item, float(probabilities[best]), payload[best][3],
                    float(probabilities[rival]) if rival is not None else 0.0,
                    payload[rival][3] if rival is not None else "-"))
    return out


def curve(answered, thresholds=THRESHOLDS):
    positives = [a for a in answered if a[0]["expected"]]
    negatives = [a for a in answered if not a[0]["expected"]]
    print(f"  {'threshold':>9} {'right':>12} {'wrong runbook':>14} {'answered, none exists':>22} {'precision':>10}")
    for threshold in thresholds:
        right = sum(1 for _, _, p, ok in positives if p >= threshold and ok)
        wrong = sum(1 for _, _, p, ok in positives if p >= threshold and not ok)
        stray = sum(1 for _, _, p, _ in negatives if p >= threshold)
        replies = right + wrong + stray
        print(f"  {threshold:>9.2f} {right:>5}/{len(positives):<4} {wrong:>6} ({wrong / max(1, len(positives)):.1%})"
              f" {stray:>8}/{len(negatives):<4} ({stray / max(1, len(negatives)):.1%})"
              f" {right / max(1, replies):>9.1%}")


def fold_of(item, folds):
    return zlib.crc32(item["group"].encode()) % folds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--candidates", type=int, default=3, help="best-scored candidates per message fitted on")
    parser.add_argument("--write", action="store_true", help="write the fitted weights into matching/confidence.py")
    parser.add_argument("--sets", default="", help="fit on these sets only (comma-separated; default: all but held out)")
    parser.add_argument("--without", default="", help="features to leave out (comma-separated), to compare")
    parser.add_argument("--words-only", action="store_true",
                        help="leave out the word-meaning features: the model used when no such model is installed")
    parser.add_argument("--quotations", action="store_true",
                        help="print how often a quoting runbook is right for each length and lead of the quotation, and exit")
    parser.add_argument("--show-errors", type=float, metavar="THRESHOLD",
                        help="list the out-of-fold wrong answers at this confidence or above")
    parser.add_argument("--show-unsure", type=float, metavar="THRESHOLD",
                        help="list the out-of-fold messages whose first-ranked runbook is right but below this "
                             "confidence, with the other alert's runbook ranked next")
    args = parser.parse_args(argv)
    items = all_items()
    if not items:
        print("The shared corpus is absent; nothing to fit.")
        return 0
    names = accepted_names()
    with tempfile.TemporaryDirectory() as directory, crawled_corpus(Path(directory)) as conn:
        index = load_index(conn)
    if args.quotations:
        print_quotations(index, items, names)
        return 0
    rows = candidate_rows(index, items, names)
    decided, right, wrong, stray = quotation_counts(rows, items)
    print(f"quoted by their runbook (answered with {QUOTED_CONFIDENCE}): {decided} messages, {right} right, "
          f"{wrong} wrong runbook, {stray} without a runbook (--quotations: by length and lead)")
    fitted = [i for i, item in enumerate(items) if item["set"] not in HELD_OUT_SETS
              and (not args.sets or item["set"] in args.sets.split(","))]
    print(f"{len(items)} messages; fitting on {len(fitted)} ({', '.join(f'{k} {v}' for k, v in sorted(Counter(items[i]['set'] for i in fitted).items()))})")

    without = [name for name in args.without.split(",") if name] + (list(WORDS_ONLY_LEFT_OUT) if args.words_only else [])
    left_out = [FEATURES.index(name) for name in without]
    for _, payload in rows:
        for features, *_ in (payload if isinstance(payload, list) else []):
            for position in left_out:
                features[position] = 0.0

    def training(indices):
        x = [f for i in indices if rows[i][0] in FITTED_KINDS for f, *_ in rows[i][1][:args.candidates]]
        y = [label for i in indices if rows[i][0] in FITTED_KINDS for _, label, *_ in rows[i][1][:args.candidates]]
        return np.array(x), np.array(y)

    fold_models = {}
    for fold in range(args.folds):
        x, y = training([i for i in fitted if fold_of(items[i], args.folds) != fold])
        fold_models[fold] = fit_logistic(x, y, args.l2)
    weights, bias = fit_logistic(*training(fitted), args.l2)
    shipped_weights, shipped_bias = (WORDS_ONLY_WEIGHTS, WORDS_ONLY_BIAS) if args.words_only else (WEIGHTS, BIAS)
    shipped = (np.array([shipped_weights.get(name, 0.0) for name in FEATURES]), shipped_bias)
    fitted_set = set(fitted)
    out_of_fold = answers(rows, items, lambda i: fold_models[fold_of(items[i], args.folds)])
    print(f"\nout of fold ({args.folds} folds grouped by alert name), the sets fitted on:")
    curve([a for i, a in enumerate(out_of_fold) if i in fitted_set])
    for set_name in sorted({items[i]["set"] for i in fitted}):
        print(f"\n  of which {set_name}, out of fold:")
        curve([a for i, a in enumerate(out_of_fold) if i in fitted_set and items[i]["set"] == set_name])
    for set_name in sorted({item["set"] for item in items}):
        print(f"\nset {set_name} with the shipped model" + (" (held out: never fitted on)" if set_name in HELD_OUT_SETS else ""))
        curve([a for a in answers(rows, items, lambda i: shipped) if a[0]["set"] == set_name])
    if args.show_errors:
        for item, _kind, probability, right in out_of_fold:
            if item["set"] not in HELD_OUT_SETS and probability >= args.show_errors and not right:
                print(f"  {probability:.2f} [{item['set']} {item['style']}] {item['title'][:100]!r} want {item['expected'][:1]}")
    if args.show_unsure:
        print(f"\nright first, held back below {args.show_unsure} (out of fold): confidence, runbook, the next other alert's")
        # Out of fold means the sets fitted on: the held-out ones have no fold model to judge them.
        judged = [row if i in fitted_set else ("held out", None) for i, row in enumerate(rows)]
        unsure = unsure_right(judged, items, lambda i: fold_models[fold_of(items[i], args.folds)], args.show_unsure)
        for item, probability, name, rival_probability, rival in sorted(unsure, key=lambda entry: -entry[1]):
            print(f"  {probability:.2f} {name} | {rival_probability:.2f} {rival} | [{item['set']} {item['style']}] "
                  f"{item['title'][:90]!r}")
    prefix = "WORDS_ONLY_" if args.words_only else ""
    kept = [name for name in FEATURES if name not in without] if args.words_only else list(FEATURES)
    block = model_source({name: value for name, value in zip(FEATURES, weights) if name in kept}, bias, prefix)
    print("\nfitted on all the rows above:\n" + block)
    if args.write:
        write_model(block, prefix)
        print(f"written to {CONFIDENCE_MODULE}")
    return 0


def model_source(weights, bias, prefix=""):
    """The WEIGHTS and BIAS lines of matching/confidence.py for a fitted model ({feature: weight})."""
    items = [f'"{name}": {value:.3f}' for name, value in weights.items()]
    lines, line = [], "   "
    for item in items:
        if len(line) + len(item) + 2 > 116:
            lines.append(line)
            line = "   "
        line += f" {item},"
    lines.append(line)
    return f"{prefix}WEIGHTS = {{\n" + "\n".join(lines) + f"\n}}\n{prefix}BIAS = {bias:.3f}"


def write_model(block, prefix=""):
    text = CONFIDENCE_MODULE.read_text(encoding="utf-8")
    start = text.index(f"\n{prefix}WEIGHTS = {{") + 1
    end = text.index("\n", text.index(f"\n{prefix}BIAS = ") + 1)
    CONFIDENCE_MODULE.write_text(text[:start] + block + text[end:], encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
