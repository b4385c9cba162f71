"""Guards for a local app that writes files: Host and Origin checks, and a CSRF token on every write.

- A request whose Host header is not this machine's name (localhost, 127.0.0.1, [::1], or the
  address given with --host) is refused with 400: a web page on another site cannot reach the app
  through DNS rebinding, because its requests carry that site's host name.
- A POST (or any request that is not GET/HEAD/OPTIONS) whose Origin header names another site is
  refused with 403.
- Every write carries a `csrf_token` form field that must match the `csrftoken` cookie the app set
  (the double-submit cookie pattern, as simonw/asgi-csrf does it; the cookie is SameSite=Strict and
  its form value is an HMAC of it with a secret made when the app starts). Missing or wrong: 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse

COOKIE = "csrftoken"
FIELD = "csrf_token"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def host_name(value: str) -> str:
    """'127.0.0.1:8001' -> '127.0.0.1'; '[::1]:8001' -> '[::1]'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware: Host and Origin checks before anything else runs."""

    def __init__(self, app, extra_host: str = ""):
        self.app = app
        self.hosts = set(LOCAL_HOSTS) | ({host_name(extra_host)} if extra_host else set())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if host_name(headers.get("host", "")) not in self.hosts:
            response = PlainTextResponse(
                "Refused: this review app answers only to localhost or 127.0.0.1 (the Host header names another site).",
                status_code=400,
            )
            return await response(scope, receive, send)
        origin = headers.get("origin")
        if scope["method"] not in SAFE_METHODS and origin is not None and not self.same_site(origin):
            response = PlainTextResponse(
                "Refused: a change must come from the review app's own pages (the request came from another site).",
                status_code=403,
            )
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)

    def same_site(self, origin: str) -> bool:
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and host_name(parts.netloc) in self.hosts


class Csrf:
    """Tokens for the double-submit cookie: the cookie holds a random value, forms an HMAC of it."""

    def __init__(self, secret: bytes | None = None):
        self.secret = secret or secrets.token_bytes(32)

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(32)

    def token(self, cookie: str) -> str:
        return hmac.new(self.secret, cookie.encode(), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, token: str | None) -> bool:
        return bool(cookie and token) and hmac.compare_digest(self.token(cookie), str(token))
