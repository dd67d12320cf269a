"""pytest fixtures over the FHIR engines (imported by tests/conftest.py, so every test can ask for them).

    def test_bundles_conform(tmp_path, fhir_validate):
        findings = fhir_validate([tmp_path / "fhir"])
        assert not errors(findings), describe(errors(findings))

    def test_reload(fhir_server):          # a fresh server per test
        httpx.post(fhir_server, json=bundle)

Where node/npm are absent the fixtures skip with the reason; under CI=true they fail instead, because CI
always has Node. An install that fails (registry unreachable, digest mismatch) always fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from tests.fhir_engines import (
    EnginesBroken,
    EnginesUnavailable,
    Finding,
    LoopbackFhirServer,
    ci_requires_engines,
    ensure_engines,
    validate_fhir,
)


def _engines_or_skip() -> Path:
    try:
        return ensure_engines()
    except EnginesUnavailable as absent:
        if ci_requires_engines():
            pytest.fail(f"{absent} (CI=true: Node must be present)")
        pytest.skip(str(absent))
    except EnginesBroken as broken:
        pytest.fail(f"the FHIR engines could not be installed: {broken}")


@pytest.fixture(scope="session")
def fhir_engines() -> Path:
    """The tests/fhir_engines folder, with its npm and FHIR packages installed."""
    return _engines_or_skip()


ValidateFhir = Callable[..., list[Finding]]


@pytest.fixture(scope="session")
def fhir_validate(fhir_engines: Path) -> ValidateFhir:
    """validate_fhir(paths, definitions=(), root=None) -> findings; see tests/fhir_engines/__init__.py."""

    def run(paths: Iterable[Path | str], definitions: Iterable[Path | str] = (),
            root: Path | str | None = None) -> list[Finding]:
        try:
            return validate_fhir(paths, definitions=definitions, root=root)
        except EnginesBroken as broken:
            pytest.fail(str(broken))

    return run


@pytest.fixture
def fhir_server(fhir_engines: Path) -> Iterator[str]:
    """The base URL (http://127.0.0.1:PORT/fhir) of a fresh, empty loopback FHIR server, stopped afterwards."""
    try:
        with LoopbackFhirServer() as server:
            yield server.base
    except EnginesBroken as broken:
        pytest.fail(str(broken))
