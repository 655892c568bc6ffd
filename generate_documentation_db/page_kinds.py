"""Whether a fetched page is documentation of alerts at all, decided from its structure. Pure.

A docs site serves more than runbooks: the generator's 404 page (often with status 200 on
static hosting), the web server's directory listing for a folder without an index page,
a search page, tag and category pages and tables of contents, the generator's own
index pages, a licence or notice page.  None of them may reach the matcher or count as
coverage, so each is stored with its kind and no runbooks.  The decision reads the page,
never a list of URL paths: the generator's ``robots`` mark, the title and headings, how
much of the text is links, and whether anything on it names an alert or reads like steps.
"""
import re
from collections.abc import Iterable, Sequence

from generate_documentation_db.alert_keys import canonical_key, looks_like_alert_name
from generate_documentation_db.html_nodes import Element, descendants, first, text_of
from generate_documentation_db.runbook_model import Runbook

RUNBOOKS = "runbooks"  # a page of runbooks: each runbook then has its own kind (runbook, pointer…)
NOT_RUNBOOK_KINDS = {
    "error": "an error page served as a page",
    "listing": "a web server's directory listing",
    "navigation": "a page the generator marks as not content (search, general index)",
    "index": "a table of contents: mostly links",
    "other": "names no alert and has no steps",
}
# A page whose text is mostly link text is a table of contents, not a runbook.
INDEX_LINK_SHARE = 0.5
INDEX_MIN_LINKS = 3
# Fewer words than this, and no alert named: an empty section page, a search box, a 404.
MIN_CONTENT_WORDS = 25
# An error page says so in a few words; a runbook titled "HTTP 500 errors" has steps below.
ERROR_PAGE_MAX_WORDS = 120
_ERROR_TITLE = re.compile(r"^\W*(?:(?:error\s*)?[45]\d\d\b|page\s+not\s+found|not\s+found\b|file\s+not\s+found"
                          r"|page\s+(?:does\s+not|doesn't)\s+exist|access\s+denied|forbidden\b)", re.IGNORECASE)
_LISTING_TITLE = re.compile(r"^\s*(?:index\s+of|directory\s+listing\s+(?:for|of))\s+/", re.IGNORECASE)
# Headings a runbook is written under, in any house style.
_STEP_HEADING = re.compile(r"meaning|impact|diagnos|mitigat|resolution|resolv|remediat|steps|troubleshoot|symptom"
                           r"|cause|investigat|verif|escalat|recover|rollback|workaround|procedure|action|respon"
                           r"|check|fix|runbook|alert|how to|what to do", re.IGNORECASE)
_NO_INDEX = re.compile(r"\bnoindex\b", re.IGNORECASE)
_LEADING_WORD = re.compile(r"[^\s:(\[]*")


def generator_marks_navigation(robots_contents: Iterable[str]) -> bool:
    """The generator's own mark that a page is not content: Sphinx's and Docusaurus's search pages
    carry ``<meta name="robots" content="noindex">``; `robots_contents` are those tags' contents."""
    return any(_NO_INDEX.search(content) for content in robots_contents)


def page_kind(main: Element, title: str, marked_navigation: bool) -> str:
    """RUNBOOKS, or the key in NOT_RUNBOOK_KINDS saying what else the page is, from its shape alone.

    `main` is the page's content with its chrome removed, `title` its title,
    `marked_navigation` generator_marks_navigation() of its robots tags.  A page of runbooks still has to name an
    alert or read like steps: content_kind() decides that once its runbooks are parsed.
    """
    if marked_navigation:
        return "navigation"
    if _ERROR_TITLE.match(title) and len(text_of(main, " ").split()) <= ERROR_PAGE_MAX_WORDS \
            and not reads_like_steps(main):
        return "error"
    if _LISTING_TITLE.match(title):
        return "listing"
    if is_index_page(main):
        return "index"
    return RUNBOOKS


def content_kind(main: Element, runbooks: Sequence[Runbook]) -> str:
    """RUNBOOKS for a page that names an alert or reads like steps with enough words to be some;
    else 'other' (a notice, a licence, an about page).

    An alert is named when the page holds several alerts' runbooks, a runbook's title leads with
    an identifier (``KubePodCrashLooping``, ``HighErrorRate5xx: diagnosis``, ``disk_full``) or its
    URL names it (``Kube Pod Crash Looping`` at ``/kubepodcrashlooping/``)."""
    named = len(runbooks) > 1 or any(
        looks_like_alert_name(_LEADING_WORD.match(runbook.title).group(0)) or _named_by_page(runbook)
        for runbook in runbooks)
    if named:
        return RUNBOOKS
    if len(text_of(main, " ").split()) < MIN_CONTENT_WORDS or not reads_like_steps(main):
        return "other"
    return RUNBOOKS


def _named_by_page(runbook):
    """The runbook's alert name is an identifier its title or URL gives, not one of the aliases
    its text happens to state."""
    key = canonical_key(runbook.alert_name or "")
    return looks_like_alert_name(runbook.alert_name) and any(
        known.key == key and known.source != "alias" for known in runbook.alert_keys)


def is_index_page(main: Element) -> bool:
    """True for a table of contents: many links, and link text most of the text."""
    links = [link for link in descendants(main, "a") if link.get("href") is not None]
    if len(links) < INDEX_MIN_LINKS:
        return False
    text = len(re.sub(r"\s+", "", text_of(main)))
    linked = sum(len(re.sub(r"\s+", "", text_of(link))) for link in links)
    return text > 0 and linked / text >= INDEX_LINK_SHARE


def reads_like_steps(main: Element) -> bool:
    """Something to do: a heading a runbook is written under, a command block or numbered steps."""
    if first(main, "pre", "ol") is not None:
        return True
    return any(_STEP_HEADING.search(text_of(heading, " ")) for heading in descendants(main, "h2", "h3", "h4"))
