"""The strings a rewriting rule cannot match without, and the vocabulary that skips rules by them."""
import json
import re

import pytest

from matching import vocabulary
from matching.required_text import required_strings
from matching.titles import name_words
from tests.corpus_runbooks import CORPUS_DIR

DEV_SET = CORPUS_DIR.parent / "matching-dev" / "alerts.jsonl"


@pytest.mark.parametrize("pattern, strings", [
    (r"\berrs\b", {"errs"}),
    (r"\b(?:offline|went down|gone down)\b", {"offline", "went down", "gone down"}),
    (r"\b(?:kube )?api ?server\b", {"server"}),  # the optional words are not needed
    (r"\bno running (.+?) detected\b", {"no running "}),  # the longest needed run of the sequence
    (r"\b(?:is|are|has) t\b", {" t"}),  # one short string over many
    (r"\brestart(?:ed|ing)+\b", {"restart"}),
    (r"\bnot up\b(?! to\b)", {"not up"}),  # what a look-ahead forbids is needed by no match
    (r"foo(?i:bar)", {"foo"}),  # nor the letters of a part that matches any case
])
def test_the_strings_every_match_needs(pattern, strings):
    assert required_strings(re.compile(pattern)) == strings


@pytest.mark.parametrize("pattern", [
    r"\b\w+\b",  # no fixed text
    r"(?:down|)\b",  # an alternative needs nothing
    r"(?i)offline",  # other cases match too
    r"(?i:offline)",
    r"x?y*",
])
def test_no_strings_when_a_match_may_do_without(pattern):
    assert not required_strings(re.compile(pattern))


def test_skipping_rules_rewrites_as_running_every_rule_on_made_up_words():
    # Words of the rules' strings, shuffled into short texts: every rule gets something to try.
    import random

    words = sorted({word for _, _, required in vocabulary._TRIED for string in required or () for word in string.split()})
    generator = random.Random(7)
    for _ in range(2000):
        text = " ".join(generator.choice(words) for _ in range(generator.randint(1, 8)))
        assert vocabulary.plain_words.__wrapped__(text) == _every_rule(text), text


def _every_rule(words):
    text = " ".join(words.split())
    for pattern, replacement in vocabulary._RULES:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def _texts():
    """Lower-case spaced words as plain_words reads them: the corpus' runbooks and the dev set's titles."""
    texts = [" ".join(name_words(path.read_text(encoding="utf-8")[:3000])) for path in sorted(CORPUS_DIR.rglob("*.md"))]
    if DEV_SET.exists():
        texts += [" ".join(name_words(json.loads(line)["channel_text"]))
                  for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


@pytest.fixture(scope="module")
def texts():
    found = _texts()
    if not found:
        pytest.skip("the shared corpus is absent")
    return found


def test_no_rule_matches_a_text_without_its_strings(texts):
    for pattern, _, required in vocabulary._TRIED:
        for text in texts:
            if required is not None and pattern.search(text):
                assert any(string in text for string in required), (pattern.pattern, text[:200])


def test_skipping_rules_rewrites_as_running_every_rule(texts):
    rewritten = 0
    for text in texts:
        expected = _every_rule(text)
        assert vocabulary.plain_words.__wrapped__(text) == expected, text[:200]
        rewritten += expected != text
    assert rewritten > len(texts) // 4  # the texts give the rules something to rewrite
