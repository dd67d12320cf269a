"""`--accept-golden`: rewrite the golden copies from this run (after the independent checks pass)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--accept-golden", action="store_true", default=False,
                     help="rewrite tests/golden/<case>/ from this run's outputs (review them as a diff)")


@pytest.fixture
def accept_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--accept-golden"))
