"""Delivering FHIR output to a FHIR server: `crfmap push OUT --server URL`.

Needs the `push` extra (httpx, tenacity, PyJWT with cryptography): `pip install 'crfmap[push]'`. Modules:
units (what is sent, in which order), client (one POST with retries), auth (bearer, basic, SMART Backend
Services), log (the resumable push log), outcomes (answers → per-entry results and issues), run (the whole).
"""

from __future__ import annotations

from crfmap.push.auth import AuthFailed, CredentialsError, SmartClient, read_secret
from crfmap.push.client import RetryPolicy
from crfmap.push.log import LOG_NAME
from crfmap.push.run import Credentials, PushOptions, PushResult, push_output
from crfmap.push.units import PlanError

__all__ = ["LOG_NAME", "AuthFailed", "Credentials", "CredentialsError", "PlanError", "PushOptions", "PushResult",
           "RetryPolicy", "SmartClient", "push_output", "read_secret"]
