"""Alert title -> runbook on a real knowledge base in PostgreSQL."""
import pytest

from generate_documentation_db.matcher import exact_key_names, match_alert
from tests.corpus_runbooks import corpus_rows, load_corpus, load_samples


@pytest.fixture
def kb(db):
    load_samples(db)
    return db


@pytest.mark.parametrize("title", [
    "KubePodCrashLooping", "kube_pod_crash_looping", "kube-pod-crash-looping", "Kube Pod Crash Looping",
    "prod.KubePodCrashLooping", "Triggered #4821: [FIRING:2] KubePodCrashLooping (api-7f9 default critical)",
    "[P1] KubePodCrashLooping-staging",
])
def test_an_exact_name_in_any_spelling_wins(kb, title):
    match = match_alert(kb, title)
    assert (match.matched, match.reason, match.confidence) == ("KubePodCrashLooping", "exact name", 1.0)


@pytest.mark.parametrize("title, expected", [
    ("Pod default/api-7f9c4 is crash looping.", "KubePodCrashLooping"),
    ("[P2] etcd has no leader on prod-east", "etcdNoLeader"),
    ("etcd cluster has no leader", "etcdNoLeader"),
    ("Filesystem on node is filling up", "NodeFilesystemSpaceFillingUp"),
])
def test_a_described_alert_is_found_by_text(kb, title, expected):
    match = match_alert(kb, title)
    assert match.matched == expected and match.reason == "text match"
    assert 0.5 <= match.confidence <= 1.0


@pytest.mark.parametrize("title", [
    "RedisDown", "Kafka consumer lag high on orders", "MySQL replication is broken on db-3",
    "KubePodCrashLoopingCanary", "Payments checkout job failed to reconcile invoices",
    "High number of failed gRPC requests in checkout service",
])
def test_an_alert_without_a_runbook_gets_none(kb, title):
    match = match_alert(kb, title)
    assert not match.found and match.matched is None
    assert match.confidence < 0.55


def test_below_the_threshold_the_best_candidates_are_only_possibly_related(kb):
    match = match_alert(kb, "kube pod crashloop", threshold=0.99)
    assert not match.found
    assert "KubePodCrashLooping" in match.alternatives


def test_an_empty_or_noise_title_matches_nothing(kb):
    assert not match_alert(kb, "").found
    assert not match_alert(kb, "#4821: 10.0.0.1 3f9a2c1d7e").found


def test_exact_lookups_try_the_whole_title_and_each_identifier():
    assert exact_key_names("KubePodCrashLooping on api") == ["KubePodCrashLooping on api", "KubePodCrashLooping"]
    assert exact_key_names("prod.etcdNoLeader") == ["prod.etcdNoLeader", "etcdNoLeader"]


corpus = corpus_rows()


@pytest.mark.skipif(not corpus, reason="the shared corpus (../shared/corpus) is absent")
def test_every_corpus_alert_is_found_by_its_own_name_and_in_alertmanager_shape(db):
    load_corpus(db)
    misses = [row["alert_name"] for row in corpus
              if match_alert(db, f"[FIRING:1] {row['alert_name']} (pod-7f9 ns critical)").matched is None]
    assert misses == []
