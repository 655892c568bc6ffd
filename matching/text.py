"""Words as the matcher compares them: split like alert names, lower-cased, stemmed (pure, cached).

Both sides go through the same functions: an alert's title and each runbook's names,
Meaning and body.  `terms` splits CamelCase and snake_case the way alert names are
written (``KubePodCrashLooping`` -> kube, pod, crash, loop), drops the glue of
sentences and stems with Snowball's English stemmer, so "looping" meets "loops".
`described_terms` adds the on-call vocabulary's wording of the same words
(`matching.vocabulary`): "unready" also counts as "not ready", "inodes" as "files".
"""
import functools
import threading

import snowballstemmer

from matching.titles import name_key, name_words
from matching.vocabulary import plain_words

# The glue of sentences.  Words that tell alerts apart stay terms although other stop lists drop
# them: down, up, no, not, out, off, over, under, too, all, any, some, none (KubeletDown,
# etcdNoLeader, NodeFilesystemAlmostOutOfSpace, …ToSomeAlertmanagers / …ToAnyAlertmanager).
STOP_WORDS = frozenset("""
a an the is are was were be been being has have had do does did doing of for to in on at by with from as
and or but if then than that this these those it its itself their them they there here which who whom what
when where why how will would can could may might should must shall also into onto about via per each
such only very just so we our you your i my me he she his her please s t
""".split())

_local = threading.local()


def _stemmer():
    # Snowball stemmer objects keep state between calls: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


# Stems Snowball keeps apart from their verb's although alert names and summaries use both for one thing:
# "CompactionsFailing" and "37 compaction failures", "KubeVirtCRModified" and "CR modifications",
# "VMNonRecoverableOSPanic" and "recovery".
_SAME_STEM = {"failur": "fail", "modifi": "modif", "recoveri": "recover"}


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word ("looping" -> "loop"), with a noun's joined to its verb's
    where Snowball keeps them apart ("failures" -> "fail", as "failing")."""
    stemmed = _stemmer().stemWord(word)
    return _SAME_STEM.get(stemmed, stemmed)


def words_of(text: str) -> list[str]:
    """The lower-case words of `text`, alert-name spellings split ("etcdNoLeader" -> etcd, no, leader)."""
    return name_words(text)


def terms(text: str) -> list[str]:
    """The stemmed terms of `text` in order, glue words dropped (repeats kept: term frequency counts)."""
    return [stem(word) for word in words_of(text) if word not in STOP_WORDS]


@functools.lru_cache(maxsize=16384)  # a runbook's names and Meaning are read once per index build
def described_terms(text: str) -> tuple[str, ...]:
    """`terms` of the text and of its on-call vocabulary wording, without repeats of one word.

    "Kubelet has disappeared from Prometheus target discovery" gives kubelet, disappear, prometheus,
    target, discoveri *and* down: a rule only adds the canonical wording, so a runbook that uses
    either wording is found.
    """
    spoken, plain = _wordings(text)
    found = terms(spoken)
    if plain != spoken:
        said = set(found)
        found += [term for term in terms(plain) if term not in said]
    return tuple(found)


@functools.lru_cache(maxsize=4096)
def _wordings(text):
    """The text's words as spoken and in the vocabulary's wording."""
    spoken = " ".join(words_of(text))
    return spoken, plain_words(spoken)


@functools.lru_cache(maxsize=4096)
def rewritten_terms(text: str) -> frozenset[str]:
    """The terms of the words the on-call vocabulary rewrote in `text` ("rx" of "eth0 rx errors", the
    "k" and "8s" of "k8s"): `described_terms` keeps them beside the canonical wording that says them."""
    spoken, plain = _wordings(text)
    return frozenset(terms(spoken)) - frozenset(terms(plain))


@functools.lru_cache(maxsize=16384)
def phrase_pairs(text: str) -> frozenset[tuple[str, str]]:
    """Adjacent term pairs of the text, in its own wording and in the vocabulary's: a summary that
    repeats a runbook's Meaning says its phrases ("write requests", not only "write" and "requests")."""
    spoken = " ".join(words_of(text))
    pairs = set()
    for wording in {spoken, plain_words(spoken)}:
        sequence = terms(wording)
        pairs.update(zip(sequence, sequence[1:]))
    return frozenset(pairs)


@functools.lru_cache(maxsize=16384)
def plain_key(text: str) -> str:
    """The name key of `text` in the on-call vocabulary's wording: "Ceph Manager has disappeared from
    Prometheus target discovery" and CephMgrIsAbsent are both "cephmgrdown"."""
    return name_key(plain_words(" ".join(words_of(text))))
