"""Without Node the engine fixtures skip with the reason, and fail under CI=true (CI always has Node)."""

from __future__ import annotations

import pytest

from tests.fhir_engines import fixtures


def absent(_name: str) -> None:
    return None


def test_skips_without_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", absent)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Node.js"):
        fixtures._engines_or_skip()


def test_fails_without_node_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", absent)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        fixtures._engines_or_skip()
