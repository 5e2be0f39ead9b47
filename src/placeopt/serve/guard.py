"""Who may use the page, and what no other web page can make a browser do to it.

- With a token (any `--host` but loopback, or `--token`), every request shows it: the
  header `Authorization: Bearer TOKEN`, or the cookie the page's link sets (`/?token=...`
  once; HttpOnly, SameSite=Strict).
- Without one (loopback only), the Host header must name this machine, so a web page
  whose name is made to point at 127.0.0.1 (DNS rebinding) is refused.
- Requests that change something (POST, DELETE) are refused when the browser says they
  come from another site (Sec-Fetch-Site, Origin): no other page can start or cancel runs.
- Every answer says not to sniff types, not to send referrers and not to be framed
  elsewhere; the page's own answers carry a strict Content-Security-Policy.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .uploads import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "placeopt_token"
LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; frame-src 'self'; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-opener-policy", b"same-origin")]


class Guard:
    """ASGI middleware: the token, the Host check, the cross-site check, the headers."""

    def __init__(self, app: ASGIApp, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            await _plain(send, *refusal, as_json=scope["path"].startswith("/api/"))
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if self.token and scope["path"] == "/" and "token" in query:
            await self.welcome(send, headers)
            return
        await self.app(scope, receive, _with_headers(send))

    def refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        if self.token is None:
            if _host_name(headers.get("host", "").lower()) not in LOCAL_NAMES:
                return 403, ("this placeopt page answers only as 127.0.0.1 or localhost; "
                             "to serve it to others, start it with --host and a token")
        elif not self.allowed(scope, headers):
            return 401, ("this placeopt page needs its token: open the link the server "
                         "printed when it started (…/?token=…), or send the header "
                         "'Authorization: Bearer TOKEN'")
        if scope["method"] not in SAFE_METHODS and _cross_site(headers):
            return 403, ("refused: the request came from another web site (placeopt's page "
                         "changes runs only from its own page)")
        return None

    def allowed(self, scope: Scope, headers: dict[str, str]) -> bool:
        offered = []
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            offered.append(bearer[7:].strip())
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            cookie = SimpleCookie()
        if COOKIE in cookie:
            offered.append(cookie[COOKIE].value)
        if scope["path"] == "/":  # the printed link; the page then keeps it in a cookie
            offered += parse_qs(scope.get("query_string", b"").decode("latin-1")).get(
                "token", [])
        return any(hmac.compare_digest(t.encode(), self.token.encode()) for t in offered)

    async def welcome(self, send: Send, headers: dict[str, str]) -> None:
        """The printed link: keep the token in a cookie, and drop it from the address bar
        (so it is not bookmarked, shared or logged)."""
        secure = "; Secure" if headers.get("x-forwarded-proto", "") == "https" else ""
        await send({"type": "http.response.start", "status": 303, "headers": [
            (b"location", b"./"), (b"cache-control", b"no-store"),
            (b"set-cookie", f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict{secure}".encode()),
            *HEADERS]})
        await send({"type": "http.response.body", "body": b""})


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(headers: dict[str, str]) -> bool:
    """Does the browser say the request comes from a page of another site?"""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser's cross-site request (curl, scripts)
    return origin == "null" or urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            extra = [h for h in HEADERS if h[0] not in present]
            if b"content-security-policy" not in present:
                extra.append((b"content-security-policy", PAGE_POLICY.encode()))
            if b"cache-control" not in present:
                extra.append((b"cache-control", b"no-store"))
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending


async def _plain(send: Send, status: int, message: str, as_json: bool) -> None:
    """A refusal: the API's error shape for scripts and the page, words for a browser."""
    if as_json:
        body, kind = json.dumps(error_body(message)).encode(), b"application/json"
    else:
        body, kind = f"placeopt: {message}\n".encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", kind), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})
