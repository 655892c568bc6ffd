"""The runbooks as the matcher reads them: names to look up, and a fielded text index (in memory).

Built from `RunbookRecord`s (see `matching.knowledge_base` for where they come from) and patched a
page at a time when the docs monitor records a change, so a match never touches the database.

Ranking is BM25F (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond"):
each runbook has three fields, its names (alert name, title, aliases), its Meaning (what the
runbook says the alert means) and its body; a term's frequency is weighed per field and
normalised by the field's length before BM25's saturation.  The contribution of every
(term, runbook) pair is computed when the runbook is added, so a query only adds numbers up.
With a word-meaning model installed (`matching.semantics`) each runbook also gets a vector of its
name, title and Meaning when it is added; the matcher compares it with the alert's.
"""
import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from matching.acronyms import acronyms_said, defined_acronyms
from matching.names import is_affix, key_starts_of
from matching.rule_book import RuleBook, link_key
from matching.semantics import SentenceVectors, installed_vectors
from matching.text import STOP_WORDS, described_terms, phrase_pairs, plain_key, stem, terms, words_of
from matching.titles import name_key

# BM25F parameters: field weight and length normalisation (b) per field, and the saturation k1.
FIELD_WEIGHTS = {"names": 3.0, "meaning": 1.5, "body": 0.5}
FIELD_B = {"names": 0.3, "meaning": 0.6, "body": 0.75}
K1 = 1.2
# A long runbook's tail is reference material, not what its alert is about.
MAX_BODY_CHARS = 20_000
# A runbook defines an acronym where it first uses it, near its start ("Machine Config Controller (MCC)").
ACRONYM_CHARS = 5_000
_TOKEN_EDGES = "\"'`“”‘’()[]{}<>,;:!?*.~"
_KIND_ORDER = {"runbook": 0, "stub": 1, "pointer": 2, "deprecated": 3}
_SOURCE_ORDER = {"title": 0, "slug": 1, "alias": 2}
# What a runbook's vector is made of: its name, its title and the start of its Meaning.
VECTOR_TEXT_CHARS = 600
_INSTALLED = object()


@dataclass(frozen=True)
class RunbookRecord:
    """One stored runbook, as the index needs it.  `names`: (canonical key, spelling, source) triples
    with source 'title', 'slug' (the page's file name) or 'alias' (a name the runbook states)."""

    runbook_id: int
    page_url: str
    title: str
    alert_name: str | None
    url: str
    kind: str
    meaning: str
    body: str
    names: tuple[tuple[str, str, str], ...] = ()

    @property
    def display_name(self) -> str:
        return self.alert_name or self.title


@dataclass(frozen=True)
class IndexedRunbook:
    record: RunbookRecord
    alert_keys: frozenset[str]
    name_terms: frozenset[str]
    meaning_terms: frozenset[str]
    terms: tuple[str, ...]  # every term it uses, in any field
    phrases: frozenset[tuple[str, str]]  # adjacent term pairs of its names and Meaning


class RunbookIndex:
    """Names and BM25F postings of the stored runbooks; safe to read from several threads while
    one thread patches it (a lock guards the few mutable structures)."""

    def __init__(self, records: Iterable[RunbookRecord] = (), version: int = 0,
                 vectors: SentenceVectors | None = _INSTALLED) -> None:  # type: ignore[assignment]
        """`vectors`: the word-meaning model (default: the installed one; None ranks on words alone)."""
        self.version = version
        # What the matcher works out from the runbooks as they are now (a runbook's own name among the pages
        # naming the same alert); a patch starts a new one, so nothing stale is read after it.
        self.memo: dict = {}
        self.vectors = installed_vectors() if vectors is _INSTALLED else vectors
        # Row `doc` is the runbook's unit vector (zeros once removed); grown by doubling, so a similarity
        # is one indexed product rather than a stack of rows.
        self._doc_vectors = np.zeros((0, self.vectors.dimensions if self.vectors else 0), dtype=np.float32)
        self.rules = RuleBook()  # the team's alerting rules, replaced whole when they change
        self._by_link: dict[str, list[int]] = {}  # link_key page -> docs
        self._lock = threading.RLock()
        self._docs: list[IndexedRunbook | None] = []
        self._by_page: dict[str, list[int]] = {}
        self._idf: dict[str, float] = {}  # emptied by every patch
        self._by_key: dict[str, list[tuple[int, str]]] = {}  # key -> [(doc, source)]
        self._by_plain_key: dict[str, dict[int, str]] = {}  # plain_key of a name -> {doc: the name's key}
        self._key_starts: set[str] = set()  # never pruned: a removed key's starts only cost a lookup
        self._postings: dict[str, dict[int, float]] = {}
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._name_words: Counter = Counter()
        self._prose_words: Counter = Counter()
        self._prose_tokens: Counter = Counter()
        self._about_terms: Counter = Counter()  # terms of the runbooks' names and Meanings: what they are about
        self._acronyms: Counter = Counter()  # (long form's words, acronym) -> runbooks defining it
        self._acronyms_by_word: dict | None = None  # long form's first word -> entries; remade after a patch
        self._alive = 0
        analysed = [(record, _analyse(record)) for record in records]
        self._average_lengths = _average_lengths([fields for _, fields in analysed])
        meanings = self._embed([record for record, _ in analysed])
        for (record, fields), meaning in zip(analysed, meanings):
            self._add(record, fields, meaning)
        for term in list(self._postings):  # now, not on a first query: an alert's latency stays even
            self._term_arrays(term)

    # -- reading ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._alive

    @property
    def known_keys(self) -> dict[str, list[tuple[int, str]]]:
        return self._by_key

    @property
    def key_starts(self) -> set[str]:
        """The known keys' starts, for names.name_mentions."""
        return self._key_starts

    @property
    def name_vocabulary(self) -> Counter[str]:
        """Words alert names are made of (glue words and affixes left out)."""
        return self._name_words

    @property
    def prose_words(self) -> Counter[str]:
        """Words the runbooks use as ordinary words in their text."""
        return self._prose_words

    def acronyms_said(self, words: Iterable[str]) -> list[str]:
        """The acronyms the runbooks define whose long form `words` say ("machine config controller": mcc)."""
        by_word = self._acronyms_by_word
        if by_word is None:
            with self._lock:  # a patch meanwhile would have its reset overwritten by the table it outdates
                by_word = {}
                for long_form, acronym in self._acronyms:
                    by_word.setdefault(long_form[0], set()).add((long_form, acronym))
                self._acronyms_by_word = by_word
        return acronyms_said(words, by_word)

    @property
    def prose_tokens(self) -> Counter[str]:
        """Whole tokens of the runbooks' text, lower-cased: "kubevirt", "cephfs" are products they name."""
        return self._prose_tokens

    def about_frequency(self, term: str) -> int:
        """How many runbooks use the term in their names or Meaning: what a runbook is about, where a
        product one of them names in its steps ("restart the Istio sidecar") is not."""
        return self._about_terms[term]

    def runbook(self, doc: int) -> IndexedRunbook:
        return self._docs[doc]

    def runbooks_named(self, key: str) -> list[int]:
        """Documents answering to a canonical name key, real runbooks first, title names before slugs
        and aliases."""
        # One look at each document: a patch on another thread may remove one meanwhile.
        found = [(doc, source, self._docs[doc]) for doc, source in list(self._by_key.get(key, []))]
        return [doc for doc, _, _ in sorted((entry for entry in found if entry[2] is not None), key=lambda entry: (
            _KIND_ORDER.get(entry[2].record.kind, 4), _SOURCE_ORDER.get(entry[1], 3), entry[2].record.title))]

    def keys_plainly_said(self, plain: str) -> list[str]:
        """The one runbook name key whose vocabulary wording is `plain` (CephMgrIsAbsent for "cephmgrdown"),
        as a list; [] when none is, or when names of several alerts are."""
        keys = set(list(self._by_plain_key.get(plain, {}).values()))
        return list(keys) if len(keys) == 1 else []

    def runbooks_at(self, url: str) -> list[int]:
        """Documents stored from the page a link points at, the one its #fragment names first."""
        page, fragment = link_key(url)
        if not page:
            return []
        found = [(doc, self._docs[doc]) for doc in list(self._by_link.get(page, []))]  # one look at each
        found = [(doc, indexed) for doc, indexed in found if indexed is not None]
        return [doc for doc, indexed in sorted(found, key=lambda entry: link_key(entry[1].record.url)[1] != fragment)]

    def split_compound(self, term: str) -> list[str]:
        """A term no runbook uses that is two terms they do, written as one word ("crashloop" is
        crash + loop, "healthcheck" health + check): those two; else []."""
        if term in self._postings or len(term) < 7:
            return []
        for cut in range(3, len(term) - 2):
            head, tail = term[:cut], stem(term[cut:])
            if head in self._postings and tail in self._postings:
                return [head, tail]
        return []

    def as_written(self, terms: Iterable[str]) -> list[str]:
        """The terms as the runbooks write them: a term no runbook uses joined to the one before when
        they write the two as one word ("KubeMacpool" is kube + macpool; the runbooks say Kubemacpool),
        else split in two they use (`split_compound`)."""
        written = []
        for term in terms:
            if written and term not in self._postings:
                joined = written[-1] + term
                joined = joined if joined in self._postings else stem(joined)
                if joined in self._postings:
                    written[-1] = joined
                    continue
            written.extend(self.split_compound(term) or [term])
        return written

    def document_frequency(self, term: str) -> int:
        return len(self._postings.get(term, ()))

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency; a term no runbook has gets the highest."""
        weight = self._idf.get(term)
        if weight is None:
            frequency = len(self._postings.get(term, ()))
            weight = self._idf[term] = math.log(1 + (self._alive - frequency + 0.5) / (frequency + 0.5))
        return weight

    def embed_alert(self, text: str) -> np.ndarray | None:
        """The unit vector of an alert's words, or None without a word-meaning model."""
        return None if self.vectors is None else self.vectors.embed_one(_content_words(text))

    def similarities(self, docs: list[int], alert_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of each runbook's vector to the alert's."""
        if not docs:
            return np.zeros(0)
        # Read once: a patch on another thread may grow the matrix meanwhile (a new array, the rows copied).
        return self._doc_vectors[docs] @ alert_vector

    def has_term(self, doc: int, term: str) -> bool:
        """The runbook uses `term` somewhere (names, Meaning or body)."""
        return doc in self._postings.get(term, ())

    def search(self, query_terms: list[str], limit: int = 20) -> list[tuple[int, float]]:
        """[(doc, BM25F score)] of the best `limit` runbooks for the terms, best first."""
        with self._lock:  # a page patched meanwhile would add documents past the scores' end
            return self._search(query_terms, limit)

    def _search(self, query_terms, limit):
        scores = None
        for term in dict.fromkeys(query_terms):
            arrays = self._term_arrays(term)
            if arrays is None:
                continue
            if scores is None:
                scores = np.zeros(len(self._docs))
            docs, contributions = arrays
            scores[docs] += self.idf(term) * contributions
        if scores is None:
            return []
        count = min(limit, int(np.count_nonzero(scores)))
        if count == 0:
            return []
        best = np.argpartition(-scores, count - 1)[:count] if count < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")][:count]
        return [(int(doc), float(scores[doc])) for doc in best]

    # -- patching --------------------------------------------------------------------------------

    def locked_for_match(self) -> threading.RLock:
        """The index's one lock, held for a whole match: a patch waits, so the runbooks a match found are
        still there when it reads them (a patch holds it only to change the index, not to read and embed the
        pages).  Matches take it in turn too; they are a fraction of a millisecond of Python each."""
        return self._lock

    @property
    def page_count(self) -> int:
        """Pages with runbooks in the index."""
        return len(self._by_page)

    @property
    def removed_slots(self) -> int:
        """Documents removed by patches (their slots are not reused; a rebuild drops them)."""
        return len(self._docs) - self._alive

    def replace_pages(self, page_urls: list[str], records: list[RunbookRecord], version: int) -> None:
        """Drop every runbook of `page_urls` and add `records` (the pages' runbooks as stored now).
        The new runbooks are added before the old are removed: a name looked up meanwhile (without the
        lock) finds the old page or the new one, never none."""
        analysed = [(record, _analyse(record), meaning) for record, meaning in zip(records, self._embed(records))]
        with self._lock:
            old = [doc for page_url in page_urls for doc in self._by_page.pop(page_url, [])]
            for record, fields, meaning in analysed:
                self._add(record, fields, meaning)
            for doc in old:
                self._remove(doc)
            self._idf = {}
            self.memo = {}
            self.version = version

    def _embed(self, records):
        if self.vectors is None:
            return [None] * len(records)
        return list(self.vectors.embed([_vector_text(record) for record in records]))

    def _add(self, record: RunbookRecord, fields: dict[str, Counter], meaning: np.ndarray | None = None) -> None:
        doc = len(self._docs)
        lengths = {name: sum(counts.values()) for name, counts in fields.items()}
        keys = frozenset(key for key, _, _ in record.names) | {name_key(record.display_name)} - {""}
        all_terms = tuple(set(fields["names"]) | set(fields["meaning"]) | set(fields["body"]))
        phrases = frozenset().union(*(phrase_pairs(text) for text in [*_name_texts(record), record.meaning] if text))
        self._docs.append(IndexedRunbook(record, keys, frozenset(fields["names"]), frozenset(fields["meaning"]),
                                         all_terms, phrases))
        if self.vectors is not None:
            if doc >= len(self._doc_vectors):
                grown = np.zeros((max(64, 2 * len(self._doc_vectors)), self.vectors.dimensions), dtype=np.float32)
                grown[:len(self._doc_vectors)] = self._doc_vectors
                self._doc_vectors = grown
            if meaning is not None:
                self._doc_vectors[doc] = meaning
        self._by_page.setdefault(record.page_url, []).append(doc)
        for page in {link_key(record.url)[0], link_key(record.page_url)[0]}:
            self._by_link.setdefault(page, []).append(doc)
        sources = {key: source for key, _, source in record.names}
        for key in keys:
            self._by_key.setdefault(key, []).append((doc, sources.get(key, "title")))
            self._key_starts.update(key_starts_of(key))
        for key, plain in _plain_keys(record):
            self._by_plain_key.setdefault(plain, {})[doc] = key
        for term in all_terms:
            weighted = sum(FIELD_WEIGHTS[name] * counts[term] / self._length_norm(name, lengths[name])
                           for name, counts in fields.items() if counts[term])
            self._postings.setdefault(term, {})[doc] = weighted / (K1 + weighted)
            self._arrays.pop(term, None)
        self._name_words.update(_name_words_of(record))
        self._about_terms.update(self._docs[doc].name_terms | self._docs[doc].meaning_terms)
        self._prose_words.update(set(words_of(record.body[:MAX_BODY_CHARS])))
        self._prose_tokens.update(_tokens_of(record.body[:MAX_BODY_CHARS]))
        self._acronyms.update(_acronyms_of(record))
        self._acronyms_by_word = None
        self._alive += 1

    def _remove(self, doc: int) -> None:
        indexed = self._docs[doc]
        if indexed is None:
            return
        for key in indexed.alert_keys:
            entries = [entry for entry in self._by_key.get(key, []) if entry[0] != doc]
            if entries:
                self._by_key[key] = entries
            else:
                self._by_key.pop(key, None)
        for _, plain in _plain_keys(indexed.record):
            said = self._by_plain_key.get(plain, {})
            said.pop(doc, None)
            if not said:
                self._by_plain_key.pop(plain, None)
        for term in indexed.terms:
            del self._postings[term][doc]
            if not self._postings[term]:
                del self._postings[term]
            self._arrays.pop(term, None)
        # Each counter forgets what only this runbook said (a pass over a whole counter costs milliseconds
        # at 100,000 sections).
        _forget(self._name_words, _name_words_of(indexed.record))
        _forget(self._about_terms, indexed.name_terms | indexed.meaning_terms)
        _forget(self._prose_words, set(words_of(indexed.record.body[:MAX_BODY_CHARS])))
        _forget(self._prose_tokens, _tokens_of(indexed.record.body[:MAX_BODY_CHARS]))
        _forget(self._acronyms, _acronyms_of(indexed.record))
        self._acronyms_by_word = None
        for page in {link_key(indexed.record.url)[0], link_key(indexed.record.page_url)[0]}:
            remaining = [other for other in self._by_link.get(page, []) if other != doc]
            if remaining:
                self._by_link[page] = remaining
            else:
                self._by_link.pop(page, None)
        self._docs[doc] = None
        if self.vectors is not None:
            self._doc_vectors[doc] = 0.0
        self._alive -= 1

    def _length_norm(self, field_name, length):
        average = self._average_lengths.get(field_name) or 1.0
        b = FIELD_B[field_name]
        return 1 - b + b * length / average

    def _term_arrays(self, term):
        arrays = self._arrays.get(term)
        if arrays is None:
            with self._lock:
                postings = self._postings.get(term)
                if not postings:
                    return None
                arrays = (np.fromiter(postings.keys(), dtype=np.int64, count=len(postings)),
                          np.fromiter(postings.values(), dtype=np.float64, count=len(postings)))
                self._arrays[term] = arrays
        return arrays


def _name_texts(record):
    return list(dict.fromkeys([record.alert_name or "", record.title] + [name for _, name, _ in record.names]))


def _plain_keys(record):
    """(key, plain key) of each of its names the vocabulary words otherwise (CephMgrIsAbsent: "cephmgrdown")."""
    pairs = {(name_key(name), plain_key(name)) for name in _name_texts(record) if name}
    return sorted((key, plain) for key, plain in pairs if key and plain and plain != key)


def _vector_text(record):
    return _content_words(f"{record.display_name} {record.title} {(record.meaning or '')[:VECTOR_TEXT_CHARS]}")


def _content_words(text):
    # Names split into words and the glue of sentences left out on both sides: measured, it ranks the
    # right runbook first more often than the raw text (benchmarks/fit_confidence.py).
    return " ".join(word for word in words_of(text) if word not in STOP_WORDS)


def _name_words_of(record):
    return {word for text in _name_texts(record) for word in words_of(text)
            if word not in STOP_WORDS and not is_affix(word)}


def _tokens_of(text):
    return {token.strip(_TOKEN_EDGES).lower() for token in text.split()} - {""}


def _analyse(record):
    """{field: Counter of terms} of one runbook."""
    return {
        "names": Counter(term for text in _name_texts(record) for term in described_terms(text)),
        "meaning": Counter(described_terms(record.meaning) if record.meaning else ()),
        "body": Counter(terms(record.body[:MAX_BODY_CHARS])),
    }


def _forget(counter, items):
    """Subtract `items` from `counter` and drop the entries that reached zero (only theirs can have)."""
    counter.subtract(items)
    for item in set(items):
        if counter[item] <= 0:
            del counter[item]


def _average_lengths(analysed):
    """Average length in terms of each field over the runbooks (BM25's length normalisation)."""
    count = max(1, len(analysed))
    return {name: max(1.0, sum(sum(fields[name].values()) for fields in analysed) / count)
            for name in FIELD_WEIGHTS}


def _acronyms_of(record):
    return defined_acronyms(" ".join((record.meaning or "", record.body[:ACRONYM_CHARS])))
