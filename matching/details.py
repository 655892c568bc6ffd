"""The alert names the rest of a message gives, beyond its title (pure functions).

An Alertmanager template may post under a title that names nothing ("Incident triggered by
Alertmanager", "New alert") and put the alert in its attachment: "*Alert:* KubeNodeUnreachable",
"alertname: etcdBackendQuotaLowSpace", labels, a code block with `NodeFilesystemAlmostOutOfSpace{…}`
below a person's line.  `names_said(text, index)` finds the runbook names said there, for
`matcher.match_alert` to answer with when the title's own words do not:

* a line that gives the name as a field (`Alert:`, `alertname:`, Datadog's `Monitor:`), in any spelling;
* every other token spelled as an identifier (CamelCase, snake_case, kebab-case of three words or more).

The message's prose is words, not names; PagerDuty's own fields (Service, Assigned, Urgency, the
escalation policy) name the team's services, never an alert, and are left out, as are URLs.  A name
field that gives an identifier no runbook answers to says the alert is another one (`UNKNOWN`).

`message_key(title, details)` is the alert a message is about, for the team's lessons and the alert's
history: the name its field gives ("*Alert:* KubeNodeUnreachable" under "Incident triggered by
Alertmanager"), else its title's.  Keyed by the title alone, every alert of a generic title would be one
alert, and a correction taught on one would answer them all.
"""
import functools
import re

from matching.index import RunbookIndex
from matching.names import is_alert_like, name_mentions
from matching.titles import UNKNOWN_KEY, alert_key

# Where a message gives its alert's name: at a line's start ("*Alert:* X", "alertname: X", "Monitor: X"),
# or as a label anywhere ("alertname=X", `{alertname="X"}`).
# A field's value is on its own line: an empty "*Alert:*" gives nothing, not the next field.
_NAME_FIELD_LINE = re.compile(r"^[^\w\n]*(?:alert ?name|alert(?: rule)?|monitor(?: name)?|rule)[*_]*[ \t]*[=:][*_]*[ \t]*(.+)$",
                              re.IGNORECASE | re.MULTILINE)
_NAME_LABEL = re.compile(r"\balertname\s*[=:]\s*[\"'`]?([A-Za-z][\w.:-]*)", re.IGNORECASE)
# The fields the PagerDuty app adds of its own: the team's words, not the alert's.
_OWN_FIELDS = re.compile(r"^[^\w\n]*(?:service|assigned(?: to)?|acknowledged by|urgency|escalation policy|priority)"
                         r"[*_]*\s*:.*$", re.IGNORECASE | re.MULTILINE)
_URL = re.compile(r"\b(?:https?|ftp)://\S+")
# The severity a template appends to a field's value ("*Alert:* Pod … is crash looping - `critical`").
_TRAILING_SEVERITY = re.compile(r"\s+[-–|]\s*[`*_]*(?:critical|warning|warn|info|error|high|medium|low|p[1-5])[`*_]*\s*$",
                                re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s{}()\[\]<>|,;=\"`*]+")
_EDGES = ".:!?…'’"
# A token longer than any alert's name is a hash or a payload.
MAX_TOKEN_CHARS = 100
# `names_said` when a name field gives an identifier no runbook answers to.
UNKNOWN = None


def looks_like_a_name(token: str) -> bool:
    return len(token) <= MAX_TOKEN_CHARS and is_alert_like(token)


def names_said(text: str, index: RunbookIndex) -> list[str] | None:
    """The runbook name keys the message's text says (in the order said, each once); None (UNKNOWN)
    when a name field gives an alert-like identifier that no runbook answers to."""
    text = _alerts_words(text)
    found = []
    for line in _NAME_FIELD_LINE.findall(text):
        keys = _keys_in(line.strip(), index)
        first = _first_token(line)
        if not keys and looks_like_a_name(first):
            return UNKNOWN  # "*Alert:* PaymentsApiLatencyHigh": another alert, whatever the rest mentions
        found += keys
    for label in _NAME_LABEL.findall(text):
        keys = _keys_in(label, index)
        if not keys and looks_like_a_name(label):
            return UNKNOWN
        found += keys
    for token in _SEPARATORS.split(text):
        token = token.strip(_EDGES)
        if looks_like_a_name(token):
            found += _keys_in(token, index)
    return [key for key in dict.fromkeys(found) if index.runbooks_named(key)]


# The handler asks for a message's key four times (to record it, for its lessons, its match and its history).
@functools.lru_cache(maxsize=256)
def named_alert(text: str | None) -> str | None:
    """The alert the message's `alertname` label or name field gives (as written), read without the
    index: an identifier if it gives one, else a field's words; None when it gives none, or several
    alerts (a grouped notification is no one alert)."""
    text = _alerts_words(text)
    identifiers, words = list(_NAME_LABEL.findall(text)), []
    for line in _NAME_FIELD_LINE.findall(text):
        first = _first_token(line)
        if looks_like_a_name(first):
            identifiers.append(first)
        else:
            words.append(_TRAILING_SEVERITY.sub("", line).strip().strip("*_`").strip())
    for said in (identifiers, words):
        alerts = {}
        for value in said:
            key = alert_key(value)
            if key != UNKNOWN_KEY:
                alerts.setdefault(key, value)
        if alerts:
            return next(iter(alerts.values())) if len(alerts) == 1 else None
    return None


def key_of(named: str | None, title: str | None) -> str:
    """The key of an alert titled `title` whose message names `named`: the named alert's, unless the
    title says it already ("[FIRING:1] KubePodCrashLooping" with alertname=KubePodCrashLooping, "Alert:
    Pod is crash looping"), when it is the title's as it always was.  What the bot records and looks
    lessons up by, and what stored feedback is keyed again by (`matching.stored_keys`)."""
    title_key = alert_key(title)
    key = alert_key(named) if named else UNKNOWN_KEY
    return title_key if key == UNKNOWN_KEY or f" {key} " in f" {title_key} " else key


def message_key(title: str | None, details: str = "") -> str:
    """The key of the alert a message is about (`key_of` its `named_alert` and title)."""
    return key_of(named_alert(details), title)


def _alerts_words(text):
    """The message without PagerDuty's own fields and without URLs: what may name its alert."""
    return _OWN_FIELDS.sub(" ", _URL.sub(" ", text or ""))


def _first_token(line):
    return next((token.strip(_EDGES) for token in _SEPARATORS.split(line) if token.strip(_EDGES)), "")


def _keys_in(text, index):
    """The runbook names `text` mentions, read as a whole title of its own."""
    return [mention.key for mention in name_mentions(text, index.known_keys, index.name_vocabulary,
                                                     index.prose_words, index.key_starts)
            if index.runbooks_named(mention.key)]
