"""One unit, one POST to the FHIR base, retried the way a busy server asks to be retried.

Retried: connection failures, resets and timeouts; 5xx; 429 and 408. 429 and 503 honour Retry-After (seconds
or an HTTP date, up to RETRY_AFTER_CAP); otherwise the wait grows exponentially with full jitter (tenacity's
wait_random_exponential) up to `max_wait`. Never retried: other 4xx (the request itself is wrong; sending it
again changes nothing) and TLS verification failures. Sending a transaction again after a timeout is safe
because every request crfmap writes is idempotent.
"""

from __future__ import annotations

import email.utils
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
RETRY_AFTER_CAP = 300.0  # seconds: a longer Retry-After is waited this long, then retried
FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_wait: float = 30.0  # ceiling of one exponential wait, seconds
    base_wait: float = 0.5  # first exponential wait's ceiling, seconds


@dataclass
class Answer:
    """What became of one unit's POST after retries."""

    status: int | None  # the last HTTP status; None when no answer came at all
    body: Any  # the last response as JSON, if it was JSON
    text: str
    attempts: int
    error: str | None = None  # the last transport failure (when status is None)
    tls: bool = False  # the failure was TLS verification: retrying cannot help


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(moment.timestamp() - time.time(), 0.0), RETRY_AFTER_CAP)


def is_tls_failure(problem: BaseException) -> bool:
    cause: BaseException | None = problem
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _retryable_exception(problem: BaseException) -> bool:
    return isinstance(problem, httpx.TransportError) and not is_tls_failure(problem)


def _retryable_response(response: httpx.Response | None) -> bool:
    return response is not None and response.status_code in RETRY_STATUSES


class _Wait:
    """Retry-After when the server gave one, else exponential back-off with full jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.exponential = wait_random_exponential(multiplier=policy.base_wait, max=policy.max_wait)

    def __call__(self, state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            response = outcome.result()
            if response is not None and response.status_code in (429, 503):
                delay = retry_after(response)
                if delay is not None:
                    return delay
        return float(self.exponential(state))


def post_unit(client: httpx.Client, url: str, body: bytes, policy: RetryPolicy) -> Answer:
    """POST `body` to `url` with the retry policy; never raises for HTTP or network trouble."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=_Wait(policy),
        retry=retry_if_exception(_retryable_exception) | retry_if_result(_retryable_response),
        reraise=False,
        retry_error_callback=lambda state: state,
    )
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    attempts = 0

    def send() -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return client.post(url, content=body, headers=headers)

    try:
        result = retrying(send)
    except httpx.TransportError as refused:  # not retryable (TLS) and raised on the first attempt
        return Answer(None, None, "", attempts, error=_describe(refused), tls=is_tls_failure(refused))
    response: httpx.Response | None = None
    if isinstance(result, RetryCallState):  # attempts exhausted
        outcome = result.outcome
        if outcome is not None and outcome.failed:
            failure = outcome.exception()
            return Answer(None, None, "", attempts, error=_describe(failure),
                          tls=failure is not None and is_tls_failure(failure))
        response = outcome.result() if outcome is not None else None
    else:
        response = result
    if response is None:
        return Answer(None, None, "", attempts, error="no answer")
    return Answer(response.status_code, _json(response), response.text[:2000], attempts)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _describe(problem: BaseException | None) -> str:
    if problem is None:
        return "no answer"
    text = str(problem) or type(problem).__name__
    if is_tls_failure(problem):
        return f"TLS certificate verification failed ({text})"
    names = {httpx.ConnectError: "connection failed", httpx.TimeoutException: "timed out",
             httpx.RemoteProtocolError: "the server closed the connection", httpx.ReadError: "connection reset"}
    for kind, label in names.items():
        if isinstance(problem, kind):
            return f"{label} ({text})"
    return text
