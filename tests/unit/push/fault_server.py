"""A loopback fault server for `crfmap push` tests: it sits in front of a real FHIR engine (or answers itself) and
misbehaves on a schedule, the way busy servers, proxies and networks do.

Each POST to the FHIR base takes the next action of the schedule (then `default`, `pass` unless told otherwise):
- `pass`: forward to the upstream FHIR engine and return its answer; `sleep:S`: the same, S seconds later;
- `503` / `429` / `500` / `502`: answer that status (with `Retry-After: N` when given as `429:N` / `503:N`);
- `400:entry=K` (or any 4xx): answer that status with an OperationOutcome naming Bundle.entry[K];
- `reset`: drop the connection (TCP reset) without forwarding; `reset-after`: forward (the upstream applies the
  request), then reset, so the client never learns it was applied;
- `timeout`: say nothing for `stall` seconds and close; `timeout-after`: forward, then stall and close;
- `hold`: forward, then set `holding` and wait until `release` is set before answering (for kill -9 tests);
- `expire-token`: forget every issued token (the next request gets 401), then forward.
It records every FHIR request (time, body digest, action, Authorization header) and the most requests it ever
had in flight at once. With `smart=(client_id, public_key_pem)` it is also a SMART Backend Services
authorization server (/.well-known/smart-configuration, /auth/token) that verifies the client's signed JWT
assertion (signature, iss = sub = client id, aud = the token url, exp, unique jti) and then requires the tokens
it issued; with `bearer` or `basic` it requires that credential. With `tls=(cert, key)` it serves HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt

FHIR = "/fhir"
TOKEN_PATH = "/auth/token"


@dataclass
class Seen:
    at: float
    digest: str
    action: str
    authorization: str | None
    units: int = 0  # entries in the posted bundle


@dataclass
class FaultState:
    upstream: str | None
    schedule: list[str]
    stall: float = 2.0
    bearer: str | None = None
    basic: tuple[str, str] | None = None
    smart: tuple[str, bytes] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    tokens: set[str] = field(default_factory=set)
    jtis: set[str] = field(default_factory=set)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    base: str = ""
    default: str = "pass"  # the action once the schedule is used up

    def next_action(self) -> str:
        with self.lock:
            return self.schedule.pop(0) if self.schedule else self.default


class FaultHandler(BaseHTTPRequestHandler):
    server: FaultHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    @property
    def state(self) -> FaultState:
        return self.server.state

    def do_GET(self) -> None:
        if self.path.startswith(f"{FHIR}/.well-known/smart-configuration") and self.state.smart:
            self.answer(200, {"token_endpoint": self.state.base.removesuffix(FHIR) + TOKEN_PATH,
                              "grant_types_supported": ["client_credentials"],
                              "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                              "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"]})
            return
        self.answer(404, outcome("not-found", f"no GET {self.path} here"))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == TOKEN_PATH:
            self.token(body)
            return
        if not self.authorised():
            self.answer(401, outcome("login", "not authorised"))
            return
        action = self.state.next_action()
        with self.state.lock:
            self.state.in_flight += 1
            self.state.most_in_flight = max(self.state.most_in_flight, self.state.in_flight)
            entries = len(json.loads(body).get("entry", [])) if body else 0
            self.state.seen.append(Seen(time.monotonic(), hashlib.sha256(body).hexdigest(), action,
                                        self.headers.get("Authorization"), entries))
        try:
            self.act(action, body)
        finally:
            with self.state.lock:
                self.state.in_flight -= 1

    def act(self, action: str, body: bytes) -> None:
        name, _, argument = action.partition(":")
        if name == "pass":
            self.forward(body)
        elif name == "sleep":
            time.sleep(float(argument))
            self.forward(body)
        elif name in ("503", "429", "500", "502"):
            headers = {"Retry-After": argument} if argument else {}
            self.answer(int(name), outcome("transient", f"scheduled {name}"), headers)
        elif name.isdigit():  # a 4xx that names an entry
            index = argument.removeprefix("entry=") if argument else "0"
            self.answer(int(name), outcome("invalid", f"scheduled refusal of entry {index}",
                                           expression=[f"Bundle.entry[{index}].resource"]))
        elif name == "reset":
            self.reset()
        elif name == "reset-after":
            self.upstream(body)
            self.reset()
        elif name == "timeout":
            time.sleep(self.state.stall)
            self.reset()
        elif name == "timeout-after":
            self.upstream(body)
            time.sleep(self.state.stall)
            self.reset()
        elif name == "hold":
            status, answer = self.upstream(body)
            self.state.holding.set()
            self.state.release.wait(timeout=120)
            self.answer(status, answer)
        elif name == "expire-token":
            self.state.tokens.clear()
            self.answer(401, outcome("expired", "token expired"))
        else:
            raise ValueError(f"unknown action {action}")

    def forward(self, body: bytes) -> None:
        status, answer = self.upstream(body)
        self.answer(status, answer)

    def upstream(self, body: bytes) -> tuple[int, Any]:
        if self.state.upstream is None:  # no engine behind: accept every entry as created
            entries = json.loads(body).get("entry", [])
            kind = json.loads(body).get("type", "transaction")
            return 200, {"resourceType": "Bundle", "type": f"{kind}-response",
                         "entry": [{"response": {"status": "201 Created"}} for _ in entries]}
        response = httpx.post(self.state.upstream, content=body, timeout=300,
                              headers={"Content-Type": "application/fhir+json"})
        return response.status_code, response.json()

    def answer(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client is gone (killed): nothing to answer
            pass

    def reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0), as a crashing proxy or a dropped network does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def authorised(self) -> bool:
        header = self.headers.get("Authorization") or ""
        if self.state.bearer is not None:
            return header == f"Bearer {self.state.bearer}"
        if self.state.basic is not None:
            user, password = self.state.basic
            return header == "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if self.state.smart is not None:
            return header.startswith("Bearer ") and header[7:] in self.state.tokens
        return True

    def token(self, body: bytes) -> None:
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        self.state.token_requests.append(form)
        if self.state.smart is None:
            self.answer(404, {"error": "no token endpoint"})
            return
        client_id, public_key = self.state.smart
        url = self.state.base.removesuffix(FHIR) + TOKEN_PATH
        try:
            if form.get("grant_type") != "client_credentials":
                raise ValueError("grant_type must be client_credentials")
            if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                raise ValueError("wrong client_assertion_type")
            claims = jwt.decode(form.get("client_assertion", ""), public_key, algorithms=["RS384", "ES384"],
                                audience=url, issuer=client_id, options={"require": ["exp", "jti", "sub"]})
            if claims["sub"] != client_id or claims["exp"] > time.time() + 300 + 5:
                raise ValueError("sub must be the client id and exp at most five minutes ahead")
            if claims["jti"] in self.state.jtis:
                raise ValueError("jti replayed")
            self.state.jtis.add(claims["jti"])
        except (jwt.PyJWTError, ValueError) as problem:
            self.answer(401, {"error": "invalid_client", "error_description": str(problem)})
            return
        token = secrets.token_hex(16)
        self.state.tokens.add(token)
        self.answer(200, {"access_token": token, "token_type": "bearer", "expires_in": 300,
                          "scope": form.get("scope", "")})


class FaultHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FaultState) -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.state = state


def outcome(code: str, text: str, expression: list[str] | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


class FaultServer:
    """Context manager: `with FaultServer(upstream, ["503", "pass"]) as server: server.base`."""

    def __init__(self, upstream: str | None, schedule: list[str] | None = None, *, stall: float = 2.0,
                 bearer: str | None = None, basic: tuple[str, str] | None = None,
                 smart: tuple[str, bytes] | None = None, tls: tuple[Path, Path] | None = None,
                 default: str = "pass") -> None:
        self.state = FaultState(upstream, list(schedule or []), stall, bearer, basic, smart, default=default)
        self.tls = tls
        self.httpd: FaultHTTPServer | None = None

    def __enter__(self) -> FaultState:
        self.httpd = FaultHTTPServer(self.state)
        scheme = "http"
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        host, port = self.httpd.server_address[:2]
        self.state.base = f"{scheme}://{'localhost' if self.tls else host}:{port}{FHIR}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.state.release.set()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
