"""Sitemaps, robots.txt and redirect files: text from lists of URLs, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from pipeline import urls

MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024 - 1024


def sitemap_files(base_url: str, entries: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Sitemap index plus numbered sitemap files of at most 50,000 URLs and 50 MB each.

    `entries` are (site-relative URL, ISO lastmod) pairs in a stable order.
    """
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    tail = "</urlset>\n"
    files: list[list[str]] = [[]]
    size = len(head) + len(tail)
    for url, lastmod in entries:
        line = f"<url><loc>{escape(urls.absolute(base_url, url))}</loc>"
        line += f"<lastmod>{lastmod}</lastmod></url>\n" if lastmod else "</url>\n"
        if len(files[-1]) >= MAX_URLS or size + len(line.encode()) > MAX_BYTES:
            files.append([])
            size = len(head) + len(tail)
        files[-1].append(line)
        size += len(line.encode())
    out = {}
    index = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    ]
    for i, lines in enumerate(files, 1):
        name = f"sitemap-{i}.xml"
        out[name] = head + "".join(lines) + tail
        dates = [ln.split("<lastmod>")[1][:10] for ln in lines if "<lastmod>" in ln]
        lastmod = f"<lastmod>{max(dates)}</lastmod>" if dates else ""
        index.append(f"<sitemap><loc>{escape(urls.absolute(base_url, name))}</loc>{lastmod}</sitemap>\n")
    index.append("</sitemapindex>\n")
    out["sitemap.xml"] = "".join(index)
    return out


def robots_txt(base_url: str) -> str:
    """Allow everything (noindex pages must be crawlable to be read) and name the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute(base_url, 'sitemap.xml')}\n"


def site_path(base_url: str) -> str:
    """The path the site lives under on its host: '/library' for https://x.org/library, '' at the root."""
    return urlsplit(base_url).path.rstrip("/")


def robots_at_root(base_url: str) -> bool:
    """Whether the site's own robots.txt is the one crawlers read (only at the host's root)."""
    return not site_path(base_url)


# Deployment files (deploy/, never in the public tree), each documented in its first lines.
NOT_FOUND_RULE = "404.txt"
NGINX_NOT_FOUND = "nginx-404.conf"
ROOT_ROBOTS = "robots-root.txt"
REDIRECTS, NGINX_REDIRECTS = "_redirects", "nginx-redirects.conf"
GONE = "gone.txt"  # pipeline.site.history.GONE_FILE: the URLs the site no longer serves, kept between builds
DEPLOY_FILES = (REDIRECTS, NGINX_REDIRECTS, NOT_FOUND_RULE, NGINX_NOT_FOUND, ROOT_ROBOTS, GONE)


def host_files(base_url: str) -> dict[str, str]:
    """The 404 rule as a plain line and for nginx; with a path prefix, the lines the host's root
    robots.txt needs (crawlers read robots.txt only at the root of a host)."""
    prefix = site_path(base_url)
    page = f"{prefix}/{urls.NOT_FOUND}"
    files = {
        NOT_FOUND_RULE: "# status path-prefix page: serve this page, with this status, for a missing URL under the prefix\n"
        f"404 {prefix}/ {page}\n",
        NGINX_NOT_FOUND: f"# include inside server {{}}: the site's own page for a missing URL\nerror_page 404 {page};\n",
    }
    if prefix:
        files[ROOT_ROBOTS] = (
            f"# Add to https://{urlsplit(base_url).netloc}/robots.txt (crawlers never read {prefix}/robots.txt):\n"
            f"Sitemap: {urls.absolute(base_url, 'sitemap.xml')}\n"
        )
    return files


def redirect_files(
    base_url: str, redirects: Iterable[tuple[str, str]], gone: dict[str, str | None] | None = None
) -> dict[str, str]:
    """A `_redirects` file (Netlify, Cloudflare Pages) and an nginx map of permanent redirects."""
    return {name: "".join(lines) for name, lines in redirect_lines(base_url, redirects, gone).items()}


def redirect_lines(
    base_url: str, redirects: Iterable[tuple[str, str]], gone: dict[str, str | None] | None = None
) -> dict[str, Iterator[str]]:
    """redirect_files() as lines, made as they are read (each file reads `redirects` once): a site of
    half a million pages has a million redirect lines, which need not all be held at once.

    `gone`: removed pages' URLs → where they now go (a URL, "" for the home page), or None for
    410 Gone (written after the permanent redirects; in nginx, a second map).
    """
    prefix = urlsplit(base_url).path.rstrip("/")
    gone = gone or {}
    moved = [(old, new) for old, new in sorted(gone.items()) if new is not None]
    dead = sorted(old for old, new in gone.items() if new is None)

    def netlify() -> Iterator[str]:
        for old, new in redirects:
            yield f"{prefix}/{old} {prefix}/{new} 301\n"
        for old, new in moved:
            yield f"{prefix}/{old} {prefix}/{new} 301\n"
        for old in dead:
            yield f"{prefix}/{old} {prefix}/{urls.NOT_FOUND} 410\n"

    def nginx() -> Iterator[str]:
        yield "# include inside http {}; then in server {}: if ($bringwise_redirect) { return 301 $bringwise_redirect; }\n"
        if dead:
            yield "# and: if ($bringwise_gone) { return 410; }\n"
        yield "map $uri $bringwise_redirect {\n"
        for old, new in chain(redirects, moved):
            yield f"    {prefix}/{old} {prefix}/{new};\n"
            if old.endswith("/"):
                yield f"    {prefix}/{old[:-1]} {prefix}/{new};\n"
        yield "}\n"
        if dead:
            yield "map $uri $bringwise_gone {\n"
            for old in dead:
                yield f"    {prefix}/{old} 1;\n"
                if old.endswith("/"):
                    yield f"    {prefix}/{old[:-1]} 1;\n"
            yield "}\n"

    return {REDIRECTS: netlify(), NGINX_REDIRECTS: nginx()}
