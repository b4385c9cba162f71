"""`make serve`: the built site as the deployment serves it, on this machine.

The same redirect rules (the `_redirects` file the build writes: permanent redirects for reversed
pair URLs and renamed topics, redirects and 410 Gone for removed pages) and the site's own 404
page, over the standard library's HTTP server. The rules name URLs under the base URL's path
(`/library/…`); locally the site is served at `/`, so that prefix is taken off.
"""

from __future__ import annotations

import errno
import functools
import io
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline import urls

REDIRECTS = "_redirects"


class PortInUse(Exception):
    """The port is taken by another program."""


def redirect_files(out: Path) -> list[Path]:
    """Where the deployment's rules are: in the site, or in a deploy/ folder beside it."""
    out = Path(out)
    return [p for p in (out / REDIRECTS, out.parent / "deploy" / REDIRECTS) if p.is_file()]


def read_rules(out: Path, base_path: str) -> dict[str, tuple[int, str]]:
    """Path → (status, target) from the `_redirects` files, with the base URL's path taken off."""
    rules: dict[str, tuple[int, str]] = {}
    for path in redirect_files(out):
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) < 2 or line.startswith("#"):
                continue
            status = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 301
            rules.setdefault(_local(parts[0], base_path), (status, _local(parts[1], base_path)))
    return rules


def _local(path: str, base_path: str) -> str:
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path) :] or "/"
    return path


class Handler(SimpleHTTPRequestHandler):
    """Static files, the deployment's redirect rules first, and the site's 404 page."""

    rules: dict[str, tuple[int, str]] = {}

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        rule = self.rules.get(path) or (None if path.endswith("/") else self.rules.get(path + "/"))
        if rule is not None:
            status, target = rule
            if status in (301, 302, 303, 307, 308):
                self.send_response(status)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._page(status, target)
        found = Path(self.translate_path(self.path))
        if not found.exists() or (found.is_dir() and path.endswith("/") and not (found / "index.html").exists()):
            return self._page(404, "/" + urls.NOT_FOUND)
        return super().send_head()

    def _page(self, status: int, page: str):
        """A status other than a redirect, with the body of one of the site's pages (404.html)."""
        file = Path(self.directory) / page.lstrip("/")
        body = file.read_bytes() if file.is_file() else HTTPStatus(status).phrase.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def make_server(out: Path, host: str, port: int, base_url: str) -> ThreadingHTTPServer:
    """The server, bound and ready (serve_forever() runs it); PortInUse if the port is taken."""
    rules = read_rules(out, urlsplit(base_url).path.rstrip("/"))
    handler = type("SiteHandler", (Handler,), {"rules": rules})
    try:
        return ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(Path(out).resolve())))
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(str(port)) from None
        raise
