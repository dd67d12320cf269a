"""FHIR delivery: publishing crfmap's FHIR definitions (`crfmap fhir-definitions`) and pushing output to a FHIR
server (`crfmap push`). Every expected failure becomes a FatalIssue (exit status 2, one line, no traceback); the
work itself is in `crfmap.writers.fhir_r4.definitions` and `crfmap.push`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crfmap.issues import FatalIssue, make_issue

if TYPE_CHECKING:
    from crfmap.push import Credentials, PushOptions, PushResult


@dataclass(frozen=True)
class DefinitionsResult:
    folder: Path
    files: list[str]
    canonical_base: str
    package: str


def write_fhir_definitions(out: Path, study_dir: Path | None = None, canonical_base: str | None = None,
                           package_name: str | None = None) -> DefinitionsResult:
    """Write crfmap's FHIR package (package/… and a .tgz) into `out`, under the study's canonical base or the
    one given (crfmap's own by default)."""
    from crfmap.writers.fhir_r4.context import choose_canonical_base, choose_extension_base
    from crfmap.writers.fhir_r4.definitions import (
        DEFAULT_CANONICAL_BASE,
        PACKAGE_NAME,
        PACKAGE_NAME_PATTERN,
        build_package,
        package_file_name,
        write_package,
    )
    from crfmap.writers.fhir_r4.targets import StudyFhirSettings, lint_canonical

    settings = StudyFhirSettings.model_validate({})
    slug = None
    if study_dir is not None:
        from crfmap.api.mapping import load_mapping

        mapping, _ = load_mapping(study_dir)
        settings = mapping.study.target_settings("fhir", StudyFhirSettings)
        slug = mapping.study.id
    if canonical_base is not None:
        settings = StudyFhirSettings.model_validate({"canonical_base": canonical_base})
    problems = lint_canonical(settings, lambda name: {"file": "--canonical-base" if canonical_base else "study.yaml"})
    if problems:
        raise FatalIssue(*problems)
    base = choose_canonical_base(settings)
    if package_name is None:
        package_name = PACKAGE_NAME if base == DEFAULT_CANONICAL_BASE else f"{PACKAGE_NAME}.{_slug(slug or base)}"
    if not PACKAGE_NAME_PATTERN.match(package_name):
        raise FatalIssue(make_issue("W044", value=package_name, detail="lower-case letters, digits, '.' and '-' "
                                                                       "only, as FHIR package names are"))
    files = build_package(base, choose_extension_base(settings), package_name)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FatalIssue(make_issue("W001", file=out.name, detail=f"{out.name!r} is a file, not a folder"))
    try:
        written = write_package(out, files)
    except OSError as problem:
        raise FatalIssue(make_issue("W001", file=out.name, detail=f"the FHIR definitions cannot be written to "
                                                                 f"{out.name!r}: {problem.strerror or problem}"))
    return DefinitionsResult(out, written, base, package_file_name(files))


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower().split("://")[-1]).strip("-")


def push_fhir(out: Path, options: PushOptions) -> PushResult:
    """Push the FHIR output in `out`; FatalIssue when nothing can be sent or the credentials are refused."""
    from crfmap.push import AuthFailed, PlanError, push_output

    try:
        return push_output(out, options)
    except PlanError as problem:
        raise FatalIssue(make_issue("W105", detail=str(problem))) from problem
    except AuthFailed as problem:
        raise FatalIssue(make_issue("W104", value=options.server, detail=str(problem))) from problem


@dataclass(frozen=True)
class PushSettings:
    """What the command line says about a push; secrets by where to read them, never their value."""

    server: str
    ndjson: bool = False
    max_entries: int = 100
    concurrency: int = 4
    timeout: float = 120.0
    max_attempts: int = 6
    retry_max_wait: float = 30.0
    ca_bundle: Path | None = None
    dry_run: bool = False
    token_env: str | None = None
    token_file: Path | None = None
    basic_user: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    smart_client_id: str | None = None
    smart_key: Path | None = None
    smart_token_url: str | None = None
    smart_scope: str = "system/*.write"
    smart_kid: str | None = None
    smart_alg: str | None = None


def make_push_options(settings: PushSettings) -> PushOptions:
    """PushOptions from the command line's settings, with the secrets read from their variables or files.

    Raises FatalIssue W106 when the push extra is not installed, W109 when a secret is missing.
    """
    try:
        from crfmap.push import CredentialsError, PushOptions, RetryPolicy
    except ImportError as problem:
        raise FatalIssue(make_issue("W106", detail=f"crfmap push needs the Python package {problem.name or 'httpx'}, "
                                                   "which is not installed")) from problem
    try:
        credentials = _read_credentials(settings)
    except CredentialsError as problem:
        raise FatalIssue(make_issue("W109", detail=str(problem))) from problem
    return PushOptions(server=settings.server.rstrip("/"), ndjson=settings.ndjson, max_entries=settings.max_entries,
                       concurrency=settings.concurrency, timeout=settings.timeout,
                       retry=RetryPolicy(max_attempts=settings.max_attempts, max_wait=settings.retry_max_wait),
                       credentials=credentials, ca_bundle=settings.ca_bundle, dry_run=settings.dry_run)


def _read_credentials(settings: PushSettings) -> Credentials:
    from crfmap.push import Credentials, CredentialsError, SmartClient, read_secret

    ways = [name for name, given in (("--token-env/--token-file", settings.token_env or settings.token_file),
                                     ("--basic-user", settings.basic_user),
                                     ("--smart-client-id", settings.smart_client_id)) if given]
    if len(ways) > 1:
        raise CredentialsError(f"give one way to authenticate, not {' and '.join(ways)}")
    if settings.token_env or settings.token_file:
        return Credentials(bearer=read_secret(settings.token_env, settings.token_file, "token"))
    if settings.basic_user:
        password = read_secret(settings.password_env, settings.password_file, "password")
        return Credentials(basic=(settings.basic_user, password))
    if settings.smart_client_id:
        if settings.smart_key is None:
            raise CredentialsError("--smart-client-id needs --smart-key (the client's private key, PEM)")
        try:
            key = Path(settings.smart_key).read_bytes()
        except OSError as problem:
            raise CredentialsError(f"the SMART private key {Path(settings.smart_key).name} cannot be read: "
                                   f"{problem.strerror or problem}") from problem
        return Credentials(smart=SmartClient(client_id=settings.smart_client_id, private_key_pem=key,
                                             scope=settings.smart_scope, token_url=settings.smart_token_url,
                                             key_id=settings.smart_kid, algorithm=settings.smart_alg))
    return Credentials()
