"""Word meanings: sentence vectors from an embedding table and a tokenizer, read from files only."""
from dataclasses import replace

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, pre_tokenizers

from matching.index import RunbookIndex, RunbookRecord
from matching.matcher import match_alert, own_name, ranked_candidates
from matching.semantics import TENSOR, installed_vectors, load_vectors, package_files
from matching.titles import name_key

WORDS = ["[UNK]", "disk", "full", "space", "node", "down", "unreachable"]


@pytest.fixture
def small_model(tmp_path):
    """A four-dimensional table where "full" and "space" mean nearly the same, and its tokenizer."""
    table = np.zeros((len(WORDS), 4), dtype=np.float16)
    table[1] = [1, 0, 0, 0]  # disk
    table[2] = [0, 1, 0, 0]  # full
    table[3] = [0, 0.9, 0.1, 0]  # space
    table[4] = [0, 0, 1, 0]  # node
    table[5] = [0, 0, 0, 1]  # down
    table[6] = [0, 0, 0.1, 0.9]  # unreachable
    save_file({TENSOR: table}, str(tmp_path / "table.safetensors"))
    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(WORDS)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    return load_vectors(tmp_path / "table.safetensors", tmp_path / "tokenizer.json")


def test_a_sentence_vector_is_the_unit_mean_of_its_tokens_and_words_of_one_meaning_come_close(small_model):
    full, space, down, nothing = small_model.embed(["disk full", "disk space", "node down", ""])
    assert np.linalg.norm(full) == pytest.approx(1.0, abs=1e-6)
    assert full @ space > 0.95
    assert full @ down == pytest.approx(0.0, abs=1e-6)
    assert not nothing.any()


def test_a_missing_model_file_is_an_error_to_fall_back_on(tmp_path):
    with pytest.raises(Exception):  # noqa: B017 - safetensors raises its own error type for a missing file
        load_vectors(tmp_path / "absent.safetensors", tmp_path / "absent.json")
    assert package_files("no_such_package_here") is None


def test_the_installed_model_joins_a_summary_to_its_runbooks_meaning_in_other_words():
    vectors = installed_vectors()
    assert vectors is not None, "wordllama is in requirements.txt"
    summary, meaning, other = vectors.embed([
        "half or more alertmanager instances same cluster down",
        "alertmanager cluster down",
        "persistent volume filling up",
    ])
    assert summary @ meaning > summary @ other + 0.2


def record(runbook_id, name, meaning):
    page = f"https://runbooks.example.test/{name}.md"
    return RunbookRecord(runbook_id=runbook_id, page_url=page, title=name, alert_name=name, url=page, kind="runbook",
                         meaning=meaning, body=meaning, names=((name_key(name), name, "title"),))


RUNBOOKS = [
    record(1, "DiskAlmostFull", "The disk of a node is nearly full."),
    record(2, "NodeDown", "A node is down: it stopped answering."),
]


def test_the_similarity_is_evidence_with_a_model_and_absent_without_one(small_model):
    with_meanings = RunbookIndex(RUNBOOKS, vectors=small_model)
    words_only = RunbookIndex(RUNBOOKS, vectors=None)
    doc, _, evidence = ranked_candidates(with_meanings, "disk space on a node")[0]
    assert with_meanings.runbook(doc).record.alert_name == "DiskAlmostFull"
    assert evidence.similarity > 0.8 and evidence.similarity_lead > 0.3
    assert ranked_candidates(words_only, "disk space on a node")[0][2].similarity is None
    # Without a model the words-only model decides, and still answers what the words say.
    assert match_alert(words_only, "NodeDown").matched == "NodeDown"


def test_a_patched_runbook_gets_its_own_vector(small_model):
    index = RunbookIndex(RUNBOOKS, vectors=small_model)
    alert = index.embed_alert("node unreachable")
    (before,) = index.similarities(index.runbooks_named(name_key("DiskAlmostFull")), alert)
    index.replace_pages([RUNBOOKS[0].page_url], [record(3, "DiskAlmostFull", "A node is unreachable.")], version=2)
    (after,) = index.similarities(index.runbooks_named(name_key("DiskAlmostFull")), alert)
    assert after > before + 0.2


def copied_page():
    """(sibling, copy, the copy's page): PrometheusRemoteWriteBehind.md upstream still carries the heading of
    the page it was copied from."""
    sibling = record(1, "PrometheusRemoteStorageFailures", "Prometheus fails to send samples to remote storage.")
    page = "https://runbooks.example.test/PrometheusRemoteWriteBehind.md"
    copied = RunbookRecord(
        runbook_id=2, page_url=page, title="Prometheus Remote Write Behind", alert_name=sibling.alert_name,
        url=page, kind="runbook", meaning="Prometheus remote write is behind.", body="Check the remote storage.",
        names=((name_key(sibling.alert_name), sibling.alert_name, "title"),
               (name_key("PrometheusRemoteWriteBehind"), "PrometheusRemoteWriteBehind", "slug")))
    return sibling, copied, page


def test_a_page_copied_from_a_sibling_is_named_for_its_file_when_the_sibling_owns_the_heading():
    sibling, copied, page = copied_page()
    match = match_alert(RunbookIndex([sibling, copied]), "Prometheus k8s-0 remote write is 32.9s behind")
    assert (match.matched, match.url) == ("PrometheusRemoteWriteBehind", page)
    # Alone, with no sibling named for the heading, the heading's name stands.
    assert match_alert(RunbookIndex([copied]), "Prometheus remote write is behind").matched in (
        None, sibling.alert_name)


def test_a_copied_pages_own_name_follows_the_sibling_page_coming_and_going():
    sibling, copied, page = copied_page()
    index = RunbookIndex([copied], vectors=None)
    (doc,) = index.runbooks_at(page)
    assert own_name(index, doc) == sibling.alert_name
    index.replace_pages([], [sibling], version=2)  # the sibling's own page is published: it owns the heading
    assert own_name(index, doc) == "PrometheusRemoteWriteBehind"
    index.replace_pages([sibling.page_url], [], version=3)
    assert own_name(index, doc) == sibling.alert_name


def test_the_more_specific_alert_of_a_family_wins_when_the_alert_says_its_extra_words():
    general = record(1, "etcdGRPCRequestsSlow", "gRPC requests to etcd are slow; the 99th percentile is high.")
    reads = record(2, "etcdGRPCReadRequestsSlow", "Read requests served by etcd take long.")
    index = RunbookIndex([general, reads, *RUNBOOKS], vectors=None)
    first = index.runbook(ranked_candidates(index, "99th percentile of etcd gRPC read requests is 3s")[0][0])
    assert first.record.alert_name == "etcdGRPCReadRequestsSlow"
    first = index.runbook(ranked_candidates(index, "99th percentile of etcd gRPC requests is 3s")[0][0])
    assert first.record.alert_name == "etcdGRPCRequestsSlow"


def test_of_two_sibling_alerts_the_one_whose_own_name_words_the_alert_says_wins():
    # The inodes runbook says more of the message's words; the message says "space", none of "files".
    files = record(1, "NodeFilesystemFilesFillingUp",
                   "The filesystem is predicted to run out of inodes soon, like space running out for files.")
    space = record(2, "NodeFilesystemSpaceFillingUp", "A filesystem is filling up.")
    index = RunbookIndex([files, space, *RUNBOOKS], vectors=None)

    def first(title):
        return index.runbook(ranked_candidates(index, title)[0][0]).record.alert_name

    assert first("Filesystem is predicted to run out of space soon") == "NodeFilesystemSpaceFillingUp"
    assert first("Filesystem files and space predicted to run out soon") == "NodeFilesystemFilesFillingUp"  # both said
    # "leader" is another form of NoLeadingVirtOperator's own word: the alert says it, the sibling stays behind.
    leading = record(3, "NoLeadingVirtOperator", "No virt-operator pod holds the leader lease; pods may be ready.")
    ready = record(4, "NoReadyVirtOperator", "No virt-operator pod is ready.")
    index = RunbookIndex([leading, ready, *RUNBOOKS], vectors=None)
    assert first("virt-operator pods ready but none holds the leader lease") == "NoLeadingVirtOperator"


def test_the_alert_alone_says_when_it_is_another_products_or_another_conditions():
    latency = record(3, "ThanosRuleRuleEvaluationLatencyHigh", "Thanos Rule evaluates its rules too slowly.")
    index = RunbookIndex([latency, *RUNBOOKS], vectors=None)

    def best_evidence(title):
        return ranked_candidates(index, title)[0][2]

    # The subject first: a word no runbook uses is another product's alert; further on, a label value.
    assert best_evidence("Redis disk of the node is nearly full").unknown_subject == 1.0
    assert best_evidence("Redis's disk of the node is nearly full").unknown_subject == 1.0  # its possessive
    assert best_evidence("The disk of node redis-7 is nearly full").unknown_subject == 0.0
    # A product one runbook names in its steps is no more what a runbook is about; named by two, it may be.
    passing = [replace(record(5, "DiskAlmostFull", "The disk of a node is nearly full."),
                       body="The disk of a node is nearly full. Stop the Nginx ingress pods to free space.")]
    assert ranked_candidates(RunbookIndex([*passing, RUNBOOKS[1]], vectors=None),
                             "Nginx disk of the node is nearly full")[0][2].unknown_subject == 1.0
    twice = [*passing, replace(passing[0], runbook_id=6, page_url="https://runbooks.example.test/other.md")]
    assert ranked_candidates(RunbookIndex([*twice, RUNBOOKS[1]], vectors=None),
                             "Nginx disk of the node is nearly full")[0][2].unknown_subject == 0.0
    # What is wrong: the runbook's name says latency, the alert says failing, and the runbook never does.
    assert best_evidence("Thanos Rule is failing to evaluate rules").condition_conflict == 1.0
    assert best_evidence("Thanos Rule rule evaluation latency is high").condition_conflict == 0.0
    assert best_evidence("Thanos Rule rule evaluation").condition_conflict == 0.0  # no condition said
