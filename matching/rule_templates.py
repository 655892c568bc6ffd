"""Alert titles rendered from an alert rule's `summary` or `description` template (pure functions).

Alertmanager fills a rule's annotations, Go templates, with the alert's labels and value, and the
title the bot reads is that text: with the route's decorations around it, escaped by Slack, often
cut by PagerDuty.  A template compiles to its literal words and *slots*; a title fits it when the
literal words come in order and each slot takes the words of one value in between.  Any action
stands for a value (`{{ $labels.namespace }}`, `{{ $value | humanizePercentage }}`,
`{{ printf "%.2f" $value }}`), and a whole `{{ if }}` / `{{ with }}` / `{{ range }}` … `{{ end }}`
block for whatever it renders, nothing included.

A title fits *fully* when every literal word is there, with at most a few words after the last (a
severity in brackets); it fits *cut* when it ends inside the template after most of its words.
`TemplateIndex.alert_for` names an alert only when the best-fitting templates agree on it: when
two rules' templates fit as well as each other, this step names neither.
"""
import html
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from matching.titles import without_decorations

_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_WORD = re.compile(r"[a-z0-9]+")
_OPENS = ("if", "with", "range", "block", "define")
_KEYWORD = re.compile(r"[\s(.]")
# How many title words one value may take ("openshift-monitoring/prometheus-k8s-0" is five), and
# how many a conditional block's rendering may.
SLOT_WORDS = 16
BLOCK_WORDS = 24
# Words a route (or a newer version of the rule) may add after the rendered text: "(critical)",
# "on cluster prod-eu-west-1" (five words as titles are compared).
TRAILING_WORDS = 8
# A template must say this much of its own to be told apart: "{{ $labels.job }} is down" says too little.
MIN_LITERAL_WORDS = 3
# A cut title must hold this share of the template's literal words (and at least MIN_LITERAL_WORDS), or
# CUT_WORDS_ENOUGH of them: PagerDuty cuts a long description after a hundred characters or so.
CUT_SHARE = 0.6
CUT_WORDS_ENOUGH = 8


@dataclass(frozen=True)
class RuleTemplate:
    """One annotation of one rule, compiled: `elements` are literal words (str) and slots (int: the
    most title words the slot may take), in order."""

    alert_name: str
    text: str
    elements: tuple[str | int, ...]

    @property
    def literal_words(self) -> tuple[str, ...]:
        return tuple(element for element in self.elements if isinstance(element, str))


def title_words(text: str) -> list[str]:
    """The lower-case words of a title as templates are compared with it (Slack's escaping undone)."""
    return _WORD.findall(html.unescape(text or "").lower())


def compile_template(alert_name: str, template: str) -> RuleTemplate | None:
    """The template's literal words and slots; None when it says too little of its own to tell an
    alert by, or does not parse (an action or a block left open)."""
    elements = _elements(template or "")
    if elements is None:
        return None
    compiled = RuleTemplate(alert_name, template, tuple(elements))
    return compiled if len(compiled.literal_words) >= MIN_LITERAL_WORDS else None


def template_problem(template: str) -> str | None:
    """What keeps Go from parsing a template ("leaves an action open"), or None when it parses."""
    if template and _elements(template) is None:
        return "does not parse as a template (an action or a block is left open)"
    return None


def _elements(template):
    elements, depth, position = [], 0, 0
    for action in _ACTION.finditer(template):
        if depth == 0:
            _add_literal(elements, template[position:action.start()])
        position = action.end()
        keyword = _KEYWORD.split(action.group(1).strip(), maxsplit=1)[0]
        if keyword.startswith("/*"):
            continue  # a comment renders nothing
        if keyword in _OPENS:
            if depth == 0:
                _add_slot(elements, BLOCK_WORDS)
            depth += 1
        elif keyword == "end":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and keyword != "else":
            _add_slot(elements, SLOT_WORDS)
    if depth != 0 or "{{" in template[position:]:
        return None
    _add_literal(elements, template[position:])
    return elements


def _add_slot(elements, width):
    if elements and isinstance(elements[-1], int):  # two values side by side are one wider slot
        elements[-1] += width
    else:
        elements.append(width)


def _add_literal(elements, text):
    elements.extend(_WORD.findall(html.unescape(text).lower()))


def fits(template: RuleTemplate, words: list[str]) -> str | None:
    """'full' or 'cut' when the title's words fit the template (see the module), else None.  Words
    before and after the rendered text are allowed, a few (`free_words`): a route's prefix, a
    severity; a short template inside a longer title about something else is no fit."""
    elements = template.elements
    # A word next to a value may be glued to it as rendered: "{{ $value }}s" is "3.5s", "v{{ $v }}" "v1".
    glued_after = [position > 0 and isinstance(elements[position - 1], int) for position in range(len(elements))]
    glued_before = [position + 1 < len(elements) and isinstance(elements[position + 1], int)
                    for position in range(len(elements))]
    leading_allowed, trailing_allowed = free_words(template)
    # reach[i] = {title position at which the first i elements can end: fewest free words before}.
    reach = [{position: position for position in range(min(len(words), leading_allowed) + 1)}]
    for number, element in enumerate(elements):
        ends = {}
        for position, leading in reach[-1].items():
            if isinstance(element, int):
                for end in range(position, min(len(words), position + element) + 1):
                    ends[end] = min(leading, ends.get(end, leading))
            elif position < len(words) and (words[position] == element
                                             or glued_after[number] and words[position].endswith(element)
                                             or glued_before[number] and words[position].startswith(element)):
                ends[position + 1] = min(leading, ends.get(position + 1, leading))
        if not ends:
            return "cut" if _cut_here(template, len(reach) - 1, reach[-1], words) else None
        reach.append(ends)
    if any(len(words) - end <= trailing_allowed for end in reach[-1]):
        return "full"
    return None


def free_words(template: RuleTemplate) -> tuple[int, int]:
    """(before, after): how many title words the template may leave unexplained.  The more a template
    says, the surer its fit: three words ("Instance … is down") allow none before, and three after
    (a severity, "on cluster prod"); a long description a few before and up to TRAILING_WORDS after."""
    said = len(template.literal_words)
    return said // 3 if said >= 6 else 0, min(TRAILING_WORDS, max(3, said))


def _cut_here(template, count, positions, words):
    """The title ended (or ends in a word cut short) after `count` elements fitted."""
    literal = sum(1 for element in template.elements[:count] if isinstance(element, str))
    if literal < cut_needs(template):
        return False
    following = template.elements[count]
    return len(words) in positions or (
        isinstance(following, str) and len(words) - 1 in positions and following.startswith(words[-1]))


def cut_needs(template: RuleTemplate) -> int:
    """How many of its literal words, from the start, a cut title must hold to fit the template."""
    share = math.ceil(CUT_SHARE * len(template.literal_words))
    return max(MIN_LITERAL_WORDS, min(share, CUT_WORDS_ENOUGH))


def required_words(template: RuleTemplate) -> frozenset[str]:
    """Words every title that fits the template holds whole: the literal words a cut title must still
    have, less those next to a value (a word glued to it, "{{ $value }}s", is not a word of its own)."""
    needed, seen = cut_needs(template), 0
    elements, required = template.elements, set()
    for position, element in enumerate(elements):
        if not isinstance(element, str):
            continue
        seen += 1
        if seen > needed:
            break
        beside_value = any(isinstance(elements[other], int) for other in (position - 1, position + 1)
                           if 0 <= other < len(elements))
        if not beside_value:
            required.add(element)
    return frozenset(required)


class TemplateIndex:
    """The compiled templates of every known rule, each filed under its rarest required word: a title
    is compared only with the templates whose rarest word it holds (and then all of whose required
    words it holds), so a thousand rules cost a handful of comparisons."""

    def __init__(self, templates: Iterable[RuleTemplate] = ()) -> None:
        self.templates = [template for template in templates if template is not None]
        self._required = [required_words(template) for template in self.templates]
        frequency = Counter(word for words in self._required for word in words)
        self._by_anchor: dict[str, list[int]] = defaultdict(list)
        self._unanchored: list[int] = []  # a template of values and glued words only: compared with every title
        for number, words in enumerate(self._required):
            if words:
                self._by_anchor[min(words, key=lambda word: (frequency[word], word))].append(number)
            else:
                self._unanchored.append(number)

    def __len__(self) -> int:
        return len(self.templates)

    def fitting(self, title: str) -> list[tuple[RuleTemplate, str]]:
        """[(template, 'full' | 'cut')] of the templates the title fits, full fits first."""
        words = title_words(without_decorations(title))
        present = set(words)
        found = []
        candidates = [number for word in present for number in self._by_anchor.get(word, ())] + self._unanchored
        for number in candidates:
            if not self._required[number] <= present:
                continue
            how = fits(self.templates[number], words)
            if how:
                found.append((self.templates[number], how))
        return sorted(found, key=lambda entry: entry[1] != "full")

    def alert_for(self, title: str) -> str | None:
        """The alert whose rule's template the title was rendered from, when that is unambiguous.

        Of the templates a whole title fits, the one that says most of it: "Kubelet client certificate
        is about to expire." fits "Client certificate is about to expire." too (leading words are free),
        and "… requests for Namespaces." fits "… requests." (a few trailing words are too).  Templates
        that say as much, or titles cut short that fit several alerts, name none."""
        found = self.fitting(title)
        full = [template for template, how in found if how == "full"]
        if full:
            most = max(len(template.literal_words) for template in full)
            found = [(template, "full") for template in full if len(template.literal_words) == most]
        names = {template.alert_name for template, _ in found}
        return next(iter(names)) if len(names) == 1 else None
