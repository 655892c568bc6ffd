"""Runbook links an alert message carries itself (pure functions).

Alertmanager templates often put the rule's `runbook_url` into the Slack message or the PagerDuty
details: as a link labelled "Runbook" (`<https://…|Runbook>`), after a label
("Runbook: https://…", "*runbook_url:* <https://…>"), as an attachment field titled Runbook, or
as a button.  Such a link names the alert's runbook more surely than any reading of its title.
"""
import re

from matching.rule_book import link_key

_LABELLED_LINK = re.compile(r"<(https?://[^|>\s]{1,2000})\|([^>]{0,200})>")
# A label that offers the runbook ("Runbook", ":book: Open runbook"), not one that says there is none.
_RUNBOOK_LABEL = re.compile(r"\brunbook", re.IGNORECASE)
_NOT_A_RUNBOOK = re.compile(r"\b(?:no|missing|create|write|add|new|request)\b", re.IGNORECASE)
_AFTER_LABEL = re.compile(r"\brunbook(?:[ _-]?url)?\W{0,6}?[:=]\W{0,4}<?(https?://[^\s|<>]+)", re.IGNORECASE)
_BUTTON_TYPES = (None, "button")
MAX_LINKS = 3


def runbook_links(texts: list[str], widgets: list) -> tuple[str, ...]:
    """The runbook URLs named in a message's raw texts (Slack markup kept) and by the buttons among
    its widgets (Block Kit blocks, attachment actions), in reading order, without repeats."""
    found = []
    for text in texts:
        found += [match.group(1) for match in _LABELLED_LINK.finditer(text) if _offers_runbook(match.group(2))]
        found += [match.group(1) for match in _AFTER_LABEL.finditer(text)]
    found += _buttons(widgets)
    urls = (_trimmed(url.replace("&amp;", "&")) for url in found)
    # A link that cannot be read (an unfilled template's "http://[RUNBOOK_HOST]/…") is no runbook to give.
    return tuple(dict.fromkeys(url for url in urls if link_key(url)[0]))[:MAX_LINKS]


def _trimmed(url):
    """A URL without the sentence's punctuation after it ("…/node-down." or "(see …/x)")."""
    url = url.rstrip(".,;")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;")
    return url


def _offers_runbook(label):
    return bool(_RUNBOOK_LABEL.search(label)) and not _NOT_A_RUNBOOK.search(label) and len(label.split()) <= 5


def _buttons(node):
    """URLs of buttons whose label says runbook (attachment actions, Block Kit button elements)."""
    found = []
    if isinstance(node, list):
        for item in node:
            found += _buttons(item)
    elif isinstance(node, dict):
        label = node.get("text")
        label = label.get("text") if isinstance(label, dict) else label
        if (node.get("type") in _BUTTON_TYPES and isinstance(node.get("url"), str)
                and isinstance(label, str) and _offers_runbook(label) and node["url"].startswith("http")):
            found.append(node["url"])
        for key in ("elements", "accessory", "actions"):
            if isinstance(node.get(key), (dict, list)):
                found += _buttons(node[key])
    return found
