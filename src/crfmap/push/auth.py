"""How `crfmap push` authenticates: a bearer token, HTTP basic, or SMART Backend Services.

Secrets come from an environment variable or a file, never from the command line (where they would stay in
shell history and in the process list). SMART Backend Services (https://hl7.org/fhir/smart-app-launch/
backend-services.html): the client signs a short-lived JWT (RS384 or ES384) with its private key, trades it at
the token endpoint for an access token (client-credentials grant), and uses that until it expires; a 401 from
the FHIR server fetches a new one once.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import httpx

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds; SMART asks for no more than five minutes
EXPIRY_MARGIN = 30  # renew the access token this long before the server says it expires


class CredentialsError(ValueError):
    """A secret that was asked for is not there (W109)."""


class AuthFailed(RuntimeError):
    """The authorization server refused, or answered nonsense (W104)."""


def read_secret(env: str | None = None, file: Path | None = None, what: str = "token") -> str:
    """A secret from the environment variable `env` or the file `file` (first line, stripped)."""
    if env:
        value = os.environ.get(env, "").strip()
        if not value:
            raise CredentialsError(f"the environment variable {env} (the {what}) is not set or empty")
        return value
    if file is not None:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except OSError as problem:
            raise CredentialsError(f"the {what} file {Path(file).name} cannot be read: "
                                   f"{problem.strerror or problem}") from problem
        if not value:
            raise CredentialsError(f"the {what} file {Path(file).name} is empty")
        return value.splitlines()[0].strip()
    raise CredentialsError(f"no {what} given")


class BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


@dataclass(frozen=True)
class SmartClient:
    """A registered SMART backend client: its id, private key (PEM), and what it asks for."""

    client_id: str
    private_key_pem: bytes
    scope: str = "system/*.write"
    token_url: str | None = None  # else discovered at <server>/.well-known/smart-configuration
    key_id: str | None = None
    algorithm: str | None = None  # RS384 or ES384; else chosen by the key's kind


def choose_algorithm(private_key_pem: bytes, wanted: str | None) -> str:
    """RS384 for an RSA key, ES384 for an EC P-384 key (the two SMART requires servers to support)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as problem:
        raise CredentialsError(f"the SMART private key is not an unencrypted PEM private key ({problem})") from problem
    if isinstance(key, rsa.RSAPrivateKey):
        natural = "RS384"
    elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1":
        natural = "ES384"
    else:
        raise CredentialsError("the SMART private key must be RSA (RS384) or EC P-384 (ES384)")
    if wanted and wanted != natural:
        raise CredentialsError(f"--smart-alg {wanted} does not fit the key, which signs {natural}")
    return natural


class SmartBackendAuth(httpx.Auth):
    """Client-credentials grant with a signed JWT assertion; thread-safe, one token shared by all requests."""

    def __init__(self, client: SmartClient, server: str, http: httpx.Client) -> None:
        self.client = client
        self.server = server.rstrip("/")
        self.http = http  # for the token endpoint (same TLS settings as the FHIR requests)
        self.algorithm = choose_algorithm(client.private_key_pem, client.algorithm)
        self.lock = threading.Lock()
        self.token: str | None = None
        self.expires = 0.0
        self.token_url = client.token_url

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.access_token(stale=token)}"
            yield request

    def access_token(self, stale: str | None = None) -> str:
        with self.lock:
            if self.token and self.token != stale and time.monotonic() < self.expires:
                return self.token
            self.token, lifetime = self._fetch()
            self.expires = time.monotonic() + max(lifetime - EXPIRY_MARGIN, 1)
            return self.token

    def _fetch(self) -> tuple[str, float]:
        import jwt

        token_url = self.token_url or self._discover()
        self.token_url = token_url
        now = int(time.time())
        claims = {"iss": self.client.client_id, "sub": self.client.client_id, "aud": token_url,
                  "exp": now + ASSERTION_LIFETIME, "iat": now, "jti": uuid.uuid4().hex}
        headers = {"typ": "JWT", **({"kid": self.client.key_id} if self.client.key_id else {})}
        assertion = jwt.encode(claims, self.client.private_key_pem, algorithm=self.algorithm, headers=headers)
        form = {"grant_type": "client_credentials", "scope": self.client.scope,
                "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
        try:
            response = self.http.post(token_url, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as problem:
            raise AuthFailed(f"the token endpoint {token_url} could not be reached: {problem}") from problem
        if response.status_code != 200:
            raise AuthFailed(f"the token endpoint answered {response.status_code}: {response.text[:300]}")
        try:
            data = response.json()
            return str(data["access_token"]), float(data.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as problem:
            raise AuthFailed(f"the token endpoint's answer has no access_token ({problem})") from problem

    def _discover(self) -> str:
        url = f"{self.server}/.well-known/smart-configuration"
        try:
            response = self.http.get(url, headers={"Accept": "application/json"})
            endpoint = response.json().get("token_endpoint") if response.status_code == 200 else None
        except (httpx.TransportError, ValueError) as problem:
            raise AuthFailed(f"{url} could not be read ({problem}); pass --smart-token-url") from problem
        if not isinstance(endpoint, str) or not endpoint:
            raise AuthFailed(f"{url} names no token_endpoint; pass --smart-token-url")
        return endpoint
