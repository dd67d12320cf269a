"""What stands between the network and crfmap: a cap on request bodies, the access token, the Host and Origin
checks that keep other web pages (DNS rebinding, cross-site forms) away from a loopback server, and headers
that keep every response out of caches and frames. Pure ASGI middleware, so it wraps any route."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_COOKIE = "crfmap_token"
SAFE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class BodyTooLarge(Exception):
    pass


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *SAFE_HEADERS]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class Guard:
    """All the checks, in order: Host, token, Origin of writes, body size; then the safe headers."""

    def __init__(self, app: App, *, max_body: int, hosts: set[str] | None, token: str | None) -> None:
        """`hosts`: the names a loopback server answers to (against DNS rebinding); None beyond loopback, where
        clients use whatever name reaches the machine and the token is what keeps others out."""
        self.app, self.max_body, self.hosts, self.token = app, max_body, hosts, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = (_header(scope, b"host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if self.hosts is not None and host not in self.hosts:
            await _refuse(send, 421, "this server answers only to the host it was started on")
            return
        if self.token is not None and not self._authorised(scope):
            await _refuse(send, 401, "an access token is required: open the address crfmap serve printed, or "
                                     "send 'Authorization: Bearer <token>'")
            return
        origin = _header(scope, b"origin")
        if scope["method"] not in ("GET", "HEAD") and origin not in (None, "null") \
                and urlsplit(origin).hostname != host:
            await _refuse(send, 403, "requests from other web sites are refused")
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _refuse(send, 413, f"the upload is larger than {self.max_body // (1024 * 1024)} MiB")
            return
        started, received = False, 0

        async def counted_receive() -> Message:  # a body sent without a length is counted as it arrives
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SAFE_HEADERS]
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, 413, f"the upload is larger than {self.max_body // (1024 * 1024)} MiB")

    def _authorised(self, scope: Scope) -> bool:
        assert self.token is not None
        offered: list[str] = []
        authorization = _header(scope, b"authorization") or ""
        if authorization.lower().startswith("bearer "):
            offered.append(authorization[7:].strip())
        cookie = SimpleCookie(_header(scope, b"cookie") or "")
        if TOKEN_COOKIE in cookie:
            offered.append(cookie[TOKEN_COOKIE].value)
        offered += parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1")).get("token", [])
        return any(hmac.compare_digest(candidate.encode(), self.token.encode()) for candidate in offered)
