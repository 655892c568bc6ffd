"""What text a regular expression cannot match without (a pure function of the pattern).

The on-call vocabulary is some sixty rewriting rules, and a title's first match ran every one of them
over its words although most titles give two or three of them anything to rewrite.  A rule whose
pattern needs one of a few strings ("offline", "went down", "gone down") cannot match a text holding
none of them, so `matching.vocabulary` tries those strings first, a substring test each.

The strings are read from the pattern's parse tree (`re._parser`, the standard library's own parser
of the pattern language); any construct it does not know gives no strings, and the rule then always
runs: a wrong answer here could only cost time, never a rewrite.
"""
import re

try:  # the standard library's parser of patterns, private and so allowed to change
    from re import _constants as _ops
    from re import _parser as _parse
except ImportError:  # pragma: no cover - another Python: every rule always runs
    _parse = _ops = None


def required_strings(pattern: re.Pattern) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains; None when it cannot tell (a pattern
    matching case-insensitively, or one that can match without any fixed text)."""
    if _parse is None or pattern.flags & re.IGNORECASE or not isinstance(pattern.pattern, str):
        return None
    try:
        return _required(_parse.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an unknown construct of another Python's parser: no filter
        return None


def _required(sequence):
    """The best of the string sets the items of a sequence each require (the longest shortest string,
    then the fewest strings), or None when none does."""
    found, run = [], ""
    for op, argument in sequence:
        if op is _ops.LITERAL:
            run += chr(argument)
            continue
        if run:
            found.append(frozenset((run,)))
            run = ""
        required = None
        if op is _ops.SUBPATTERN and not argument[1] & re.IGNORECASE:  # the (?i:…) of a case-sensitive pattern
            required = _required(argument[-1])
        elif op is _ops.BRANCH:
            alternatives = [_required(branch) for branch in argument[1]]
            if all(alternatives):
                required = frozenset().union(*alternatives)
        elif op in (_ops.MAX_REPEAT, _ops.MIN_REPEAT) and argument[0] >= 1:
            required = _required(argument[2])
        if required:
            found.append(required)
    if run:
        found.append(frozenset((run,)))
    return max(found, key=lambda strings: (min(map(len, strings)), -len(strings)), default=None)
