"""Words as the matcher compares them (matching.text, pure functions)."""
from matching.text import described_terms, rewritten_terms


def test_the_words_the_vocabulary_rewrote_are_known_by_their_terms():
    assert rewritten_terms("worker eth0 rx errors") >= {"rx"}
    assert rewritten_terms("k8s node NotReady") >= {"k", "8s"}
    assert rewritten_terms("Kubelet is down") == frozenset()


def test_a_contraction_says_not():
    assert "not" in described_terms("prometheus-operator pod isn't becoming ready")
    assert "not" in described_terms("the kubelet can't reach the API")
    assert "not" not in described_terms("the leader won the election")
