"""Alert title -> runbook: an exact name first, else ranked text search scored into a confidence.

The knowledge base is read through `runbook_store` (issue 3).  An exact key match (any
spelling of the alert's name, or a name the runbook states as an alias) wins outright.
Otherwise the full-text hits are scored by `match_scoring`, the alert's words and each
candidate's name and Meaning first read through `alert_vocabulary`'s on-call synonyms; only
a confidence at or above the threshold names a runbook, and a few below it are offered as
"possibly related".
"""
import re
import threading
import time
from dataclasses import dataclass, field

from generate_documentation_db import runbook_store
from generate_documentation_db.alert_keys import canonical_key, looks_like_alert_name
from matching.vocabulary import plain_words
from generate_documentation_db.match_scoring import (STOP_WORD_WEIGHTS, CandidateTerms, kept_stop_words,
                                                     rank_candidates, term_weight)
from matching.titles import ENVIRONMENT_WORDS, alert_key, name_words, normalise_alert_title

# Calibrated on the tuning half of benchmarks/bench_matching.py's set (the held-out half judges it):
# a wrong runbook is worse than none.
DEFAULT_THRESHOLD = 0.6
RELATED_FLOOR = 0.2
RELATED_LIMIT = 3
SEARCH_LIMIT = 20
_QUOTES = "\"'`“”‘’()[]{}<>,;:"
# The alert's rarest title words, each fetching the few runbooks whose title has it (see runbook_store.search).
NAME_TERMS = 3
# A CloudWatch alarm or a hand-made monitor's name: "kube-deployment-rollout-stuck" (an identifier too).
_HYPHENATED = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z][A-Za-z0-9]*)+$")
# What makes words a sentence rather than a spelled-out name, and what Grafana appends to a rule's name.
_SENTENCE_WORDS = frozenset("is are was were has have had been be being the a an of for to in on at by with from "
                            "than this that it its their will may can cannot should".split())
_NAME_SUFFIXES = frozenset(("alert", "alarm"))
MAX_NAME_WORDS = 7
# Tuned on the tuning half: how much a word no runbook title uses counts (see TermFrequencies.weights).
GENERIC_WORD_SHARE = 0.5


@dataclass(frozen=True)
class Match:
    """What the bot knows about an alert's runbook; `runbook_id` is None when there is no match."""

    title: str
    normalised: str
    alert_key: str
    runbook_id: int | None = None
    matched: str | None = None
    runbook_title: str | None = None
    url: str | None = None
    confidence: float = 0.0
    reason: str = "none"  # 'exact name', 'text match' or 'none'
    alternatives: tuple = field(default=())  # names of other runbooks worth a look, best first
    alternative_urls: tuple = field(default=())  # their links, in the same order

    @property
    def found(self):
        return self.runbook_id is not None


def exact_key_names(normalised):
    """Spellings worth an exact lookup: the whole title, and each identifier-like token in it."""
    names = [normalised]
    for token in normalised.split():
        parts = [part for part in token.split(".") if part and part.lower() not in ENVIRONMENT_WORDS]
        names += [part for part in parts if looks_like_alert_name(part) or len(normalised.split()) == 1]
    return [name for name in dict.fromkeys(names) if canonical_key(name)]


class TermFrequencies:
    """Document frequency of lexemes across the runbooks, cached for a while (the KB changes slowly)."""

    def __init__(self, ttl_seconds=600):
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._frequencies = {}  # lexeme -> (runbooks with it anywhere, runbooks with it in the title)
        self._total = (0, 0.0)

    def weights(self, conn, lexemes, in_a_name=False):
        """{lexeme: idf weight} for `lexemes`, querying only the ones not cached.

        A word some runbook uses but none has in its title ("soon", "predicted", "required") is how
        summaries talk, not what tells alerts apart: it weighs GENERIC_WORD_SHARE of its idf.  A word
        no runbook uses at all (a product: "kafka") keeps its full weight.  `in_a_name`: the words
        are an alert's name, where each was chosen to tell it apart ("CoreDNSForwardErrorsHigh").
        """
        counts, total = self.counts(conn, lexemes), self._total[0]
        share = 1 if in_a_name else GENERIC_WORD_SHARE
        return {lexeme: term_weight(anywhere, total) * (share if anywhere and not in_titles else 1)
                for lexeme, (anywhere, in_titles) in counts.items()}

    def name_terms(self, conn, lexemes, limit=NAME_TERMS):
        """The alert's rarest words that some runbook's title has: worth fetching those runbooks by name."""
        counts = self.counts(conn, lexemes)
        in_titles = [lexeme for lexeme in lexemes if counts[lexeme][1]]
        return sorted(in_titles, key=lambda lexeme: (counts[lexeme][1], lexeme))[:limit]

    def counts(self, conn, lexemes):
        """{lexeme: (document frequency, title frequency)}, querying only the ones not cached."""
        now = time.monotonic()
        with self._lock:
            if now - self._total[1] > self.ttl_seconds:
                self._frequencies, self._total = {}, (_count_runbooks(conn), now)
            missing = [lexeme for lexeme in lexemes if lexeme not in self._frequencies]
        if missing:
            found = _document_frequencies(conn, missing)
            with self._lock:
                self._frequencies.update(found)
        with self._lock:
            return {lexeme: self._frequencies.get(lexeme, (0, 0)) for lexeme in lexemes}


def match_alert(conn, title, threshold=DEFAULT_THRESHOLD, frequencies=None):
    """The runbook for an alert title (a Match; `.found` is False when none is sure enough)."""
    normalised = normalise_alert_title(title)
    base = Match(title=title, normalised=normalised, alert_key=alert_key(title))
    if not normalised:
        return base
    exact = _exact_match(conn, base)
    if exact:
        return exact
    # "Kubelet has disappeared from Prometheus target discovery" says "kubelet down": a name too.
    plain = plain_words(" ".join(name_words(normalised)))
    if plain != " ".join(name_words(normalised)):
        exact = _exact_match(conn, base, names=[plain])
        if exact:
            return exact
    frequencies = frequencies or TermFrequencies()
    # The cleaner drops the word after "namespace" / "container" as a label value; when runbook names
    # use that word ("Namespace quota is…", "Pod container waiting…"), it is part of what the alert says.
    reading = normalise_alert_title(title, is_word=lambda token: _is_runbook_name_word(conn, token, frequencies))
    return _ranked_match(conn, base, threshold, frequencies, reading)


def _is_runbook_name_word(conn, token, frequencies):
    """A plain word some runbook's title uses, not a label value (a namespace, a container's name)."""
    if not token.isalpha():
        return False
    lexemes = _lexemes_of(conn, [token])[0]
    return bool(lexemes) and all(in_titles for _, in_titles in frequencies.counts(conn, sorted(lexemes)).values())


def numbered_names(title, normalised):
    """A name the cleaner shortened by its trailing number ("prod-…-capacity-warning-85" is not "…-warning"):
    the title's token with environment words dropped, when it is a normalised name plus digits."""
    stems = {canonical_key(token) for token in normalised.split() if len(canonical_key(token)) >= 6}
    names = []
    for raw in str(title or "").split():
        parts = [part for part in re.split(r"[-_.]", raw.strip(_QUOTES)) if part.lower() not in ENVIRONMENT_WORDS]
        key = canonical_key("".join(parts))
        if any(key != stem and key.startswith(stem) and key[len(stem):].isdigit() for stem in stems):
            names.append("-".join(parts))
    return names


def _exact_match(conn, base, names=None):
    names = names or numbered_names(base.title, base.normalised) + exact_key_names(base.normalised)
    found = runbook_store.find_by_alert_keys(conn, names)
    for name in names:
        refs = found.get(canonical_key(name))
        if refs:
            best = refs[0]
            others = {}
            for ref in refs[1:]:
                if ref.url != best.url:
                    others.setdefault(_ref_name(ref), ref.url)  # one link per name: the best-ranked page
            others = tuple(others.items())
            return _with_runbook(base, best.runbook_id, _ref_name(best), best.title, best.url,
                                 1.0, "exact name", others)
    return None


def _ranked_match(conn, base, threshold, frequencies, reading):
    # Lexemes of the words only: the index also keeps "KubePodCrashLooping" whole, which would count
    # as a missing specific term against every near spelling of it.  Both sides are read in one
    # wording (alert_vocabulary), so "unready" meets "NotReady" and "inodes" meets "Files".
    spoken = " ".join(name_words(reading))
    alert_words = plain_words(spoken)
    name_terms = frequencies.name_terms(conn, sorted(_lexemes_of(conn, [alert_words])[0]))
    said = set(spoken.split())
    search_text = " ".join([reading, *(word for word in alert_words.split() if word not in said)])
    hits = runbook_store.search(conn, search_text, limit=SEARCH_LIMIT, name_terms=name_terms)
    if not hits:
        return base
    names = [plain_words(" ".join(name_words(f"{hit.title} {hit.alert_name or ''}"))) for hit in hits]
    meanings = runbook_store.runbook_meanings(conn, [hit.runbook_id for hit in hits])
    meaning_texts = [plain_words(" ".join(name_words(meanings.get(hit.runbook_id, "")))) for hit in hits]
    lexeme_sets = _lexemes_of(conn, [alert_words, *names, *meaning_texts])
    alert_lexemes = lexeme_sets[0] | kept_stop_words(alert_words)
    name_lexemes = [lexemes | kept_stop_words(name) for lexemes, name in zip(lexeme_sets[1:len(hits) + 1], names)]
    meaning_lexemes = [lexemes | kept_stop_words(text)
                       for lexemes, text in zip(lexeme_sets[len(hits) + 1:], meaning_texts)]
    names_an_alert = is_alert_name(reading)
    weights = {**STOP_WORD_WEIGHTS, **frequencies.weights(conn, sorted(
        (alert_lexemes.union(*name_lexemes)) - STOP_WORD_WEIGHTS.keys()), in_a_name=names_an_alert)}
    candidates = [
        CandidateTerms(hit.runbook_id, hit.alert_name or hit.title, tuple(hit.alert_keys) or (hit.runbook_id,),
                       lexemes, (frozenset(hit.matched_lexemes) | meaning) & alert_lexemes, name, meaning)
        for hit, lexemes, name, meaning in zip(hits, name_lexemes, names, meaning_lexemes)
    ]
    ranked = rank_candidates(alert_lexemes, alert_words, candidates, weights, names_an_alert,
                             _subject_lexemes(conn, reading))
    by_id = {hit.runbook_id: hit for hit in hits}
    best = ranked[0]
    if best.confidence >= threshold:
        hit = by_id[best.runbook_id]
        others = _related(ranked[1:], RELATED_FLOOR, by_id, exclude=best.name)
        return _with_runbook(base, hit.runbook_id, best.name, hit.title, hit.url, best.confidence,
                             "text match", others)
    related = _related(ranked, RELATED_FLOOR, by_id)
    return Match(**{**base.__dict__, "confidence": best.confidence, "alternatives": tuple(n for n, _ in related),
                    "alternative_urls": tuple(url for _, url in related)})


def is_alert_name(reading):
    """True when the cleaned title is an alert's *name* rather than words about it: one identifier
    ("CoreDNSForwardErrorsHigh", "kube_pod_crash_looping", "kube-deployment-rollout-stuck"), or a
    name spelled out as words the way monitors title them, all lower case or all capitalised and
    without a sentence's glue ("core dns forward errors high", "Thanos Compact Halted")."""
    words = [word for word in reading.split() if word.lower() not in _NAME_SUFFIXES]
    if len(words) == 1:
        return bool(looks_like_alert_name(words[0]) or _HYPHENATED.match(words[0]))
    return (2 <= len(words) <= MAX_NAME_WORDS and all(word.isalpha() for word in words)
            and (all(word.islower() for word in words) or all(word[0].isupper() for word in words))
            and not _SENTENCE_WORDS & {word.lower() for word in words})


def _subject_lexemes(conn, reading):
    """The lexemes of the identifiers a sentence names ("KubeProxy has disappeared…"): its subject."""
    tokens = reading.split()
    identifiers = [token for token in tokens if looks_like_alert_name(token)] if len(tokens) > 1 else []
    return _lexemes_of(conn, [" ".join(name_words(" ".join(identifiers)))])[0] if identifiers else frozenset()


def _related(ranked, floor, hits_by_id, exclude=None, limit=RELATED_LIMIT):
    """((name, url), …) of the candidates sure enough to mention, one per alert name."""
    related = {}
    for candidate in ranked:
        if candidate.confidence >= floor and candidate.name != exclude and candidate.name not in related:
            related[candidate.name] = hits_by_id[candidate.runbook_id].url
    return tuple(related.items())[:limit]


def _with_runbook(base, runbook_id, matched, title, url, confidence, reason, related):
    return Match(title=base.title, normalised=base.normalised, alert_key=base.alert_key, runbook_id=runbook_id,
                 matched=matched, runbook_title=title, url=url, confidence=round(confidence, 4), reason=reason,
                 alternatives=tuple(name for name, _ in related), alternative_urls=tuple(url for _, url in related))


def _ref_name(ref):
    return ref.alert_name or ref.matched_name or ref.title


def _lexemes_of(conn, texts):
    """The stemmed lexemes of each text, as the search index sees them (one round trip)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT tsvector_to_array(docs_tsvector(t)) FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n) "
                    "ORDER BY n", (list(texts),))
        return [frozenset(row[0]) for row in cur.fetchall()]


def _count_runbooks(conn):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM runbooks")
        return cur.fetchone()[0]


def _document_frequencies(conn, lexemes):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT l, (SELECT count(*) FROM runbooks WHERE search_vector @@ quote_literal(l)::tsquery), "
                    " (SELECT count(*) FROM runbooks WHERE search_vector @@ (quote_literal(l) || ':A')::tsquery) "
                    "FROM unnest(%s::text[]) AS l", (list(lexemes),))
        return {row[0]: (row[1], row[2]) for row in cur.fetchall()}
