"""Which URLs belong to the docs site, and the links and sitemap entries that lead to them. Pure.

Scope is the same scheme, host (and port) and path prefix as one of the start URLs.
Links are normalised (fragment dropped, dot segments resolved) so one page is one URL;
template shortcodes left in links by a site generator (``{{< ref "./Disk.md" >}}``) are
resolved to the path they name, and links to images, archives and the like are skipped.
"""
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from posixpath import normpath
from urllib.parse import urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree

_SHORTCODE_REF = re.compile(r"""\{\{[<%]\s*(?:rel)?ref\s+["']?([^"'\s>%]+)["']?\s*[>%]\}\}""")
_NON_PAGE = re.compile(r"\.(png|jpe?g|gif|svg|ico|webp|css|js|mjs|map|json|xml|txt|pdf|zip|gz|tgz|tar|woff2?|ttf|"
                       r"eot|mp4|webm|mp3|csv|yaml|yml)$", re.IGNORECASE)
_INDEX_PAGE = re.compile(r"/index\.html?$", re.IGNORECASE)
_SKIPPED_SCHEMES = ("mailto:", "javascript:", "tel:", "data:", "ftp:")
_DEFAULT_PORTS = {"http": 80, "https": 443}
SITEMAP_MAX_BYTES = 50_000_000


def normalise_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, no fragment,
    dot segments resolved, an empty path as '/', and '…/index.html' as '…/' (static sites
    serve a directory's index.html for it, and link to both spellings)."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    netloc = host if parts.port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
    path = parts.path or "/"
    if "." in path:
        trailing = path.endswith("/")
        path = normpath(path)
        path = path + "/" if trailing and not path.endswith("/") else path
        path = "/" + path.lstrip("/")
    path = _INDEX_PAGE.sub("/", path)
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def resolve_href(base_url: str, href: str | None) -> str | None:
    """The absolute, normalised URL a link points to, or None for a link that leads nowhere
    crawlable (mailto:, javascript:, a bare #fragment, an unresolvable template)."""
    href = (href or "").strip()
    shortcode = _SHORTCODE_REF.search(href)
    if shortcode:
        href = shortcode.group(1)
    if not href or href.startswith("#") or href.lower().startswith(_SKIPPED_SCHEMES) or "{{" in href:
        return None
    try:
        url = urljoin(base_url, href)
        return normalise_url(url) if urlsplit(url).scheme in ("http", "https") else None
    except ValueError:  # a malformed link (bad port, stray bracket) is a dead link, not a crash
        return None


def page_links(hrefs: Iterable[str], page_url: str, base_href: str | None = None) -> list[str]:
    """Every distinct page URL among a document's link targets, in document order (any host);
    `base_href` is its ``<base href>``, if any."""
    base_url = urljoin(page_url, base_href) if base_href else page_url
    # A link resolves the same from every page of a folder, and a docs theme repeats its whole
    # navigation on each page, so resolutions are remembered per folder (a query-only link is not).
    folder = base_url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[0] + "/"
    links = []
    for href in hrefs:
        url = resolve_href(base_url, href) if href.lstrip().startswith("?") else _page_link_in(folder, href)
        if url:
            links.append(url)
    return list(dict.fromkeys(links))


@lru_cache(maxsize=65_536)
def _page_link_in(folder, href):
    url = resolve_href(folder, href)
    return url if url and not _NON_PAGE.search(urlsplit(url).path) else None


@dataclass(frozen=True)
class Scope:
    """The docs site: URLs under one of the start URLs' scheme, host and path prefix."""

    prefixes: tuple[tuple[str, str, str], ...]  # (scheme, netloc, path prefix)

    @classmethod
    def from_start_urls(cls, urls: Iterable[str]) -> "Scope":
        prefixes = []
        for url in urls:
            parts = urlsplit(normalise_url(url))
            directory = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
            prefixes.append((parts.scheme, parts.netloc, directory))
        return cls(tuple(prefixes))

    def contains(self, url: str) -> bool:
        parts = urlsplit(url)
        return any(parts.scheme == scheme and parts.netloc == netloc and parts.path.startswith(prefix)
                   for scheme, netloc, prefix in self.prefixes)

    def same_host(self, url: str) -> bool:
        parts = urlsplit(url)
        return any(parts.scheme == scheme and parts.netloc == netloc for scheme, netloc, _ in self.prefixes)

    def sitemap_urls(self) -> list[str]:
        """Where each site's sitemap would be: under its prefix, and at the host's root."""
        urls = []
        for scheme, netloc, prefix in self.prefixes:
            urls.append(urlunsplit((scheme, netloc, prefix + "sitemap.xml", "", "")))
            urls.append(urlunsplit((scheme, netloc, "/sitemap.xml", "", "")))
        return list(dict.fromkeys(urls))


def parse_sitemap(xml_bytes: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) from a sitemap or sitemap index, plain or gzipped
    (``sitemap.xml.gz``, as MkDocs and many generators write it); ([], []) if unreadable."""
    if xml_bytes[:2] == b"\x1f\x8b":
        xml_bytes = _gunzip(xml_bytes)
    try:
        root = ElementTree.fromstring(xml_bytes)
    except ElementTree.ParseError:
        return [], []
    pages, sitemaps = [], []
    for element in root.iter():
        if element.tag.endswith("}loc") or element.tag == "loc":
            parent_is_index = root.tag.endswith("sitemapindex")
            (sitemaps if parent_is_index else pages).append((element.text or "").strip())
    return [url for url in pages if url], [url for url in sitemaps if url]


def _gunzip(data):
    """The gzip file's content, at most SITEMAP_MAX_BYTES of it (a sitemap's own limit is 50 MB)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        return inflater.decompress(data, SITEMAP_MAX_BYTES)
    except zlib.error:
        return b""
