"""Session fixtures for CDISC CORE: the engine is installed once; each folder is validated once per session."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sdtm_core.harness import (
    CoreResult,
    CoreUnavailable,
    core_python,
    rules_cache,
    run_core,
)
from tests.shared_data import shared_path

RunCore = Callable[..., CoreResult]


def skip_or_fail(reason: str) -> None:
    """Skip where CORE cannot run on this machine; fail under CI=true, where it must."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: CDISC CORE must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def core() -> RunCore:
    """`run_core` once the Python 3.12 venv with cdisc-rules-engine and the rules cache are ready."""
    shared_path("cdisc", "core-cache", "rules.pkl")
    try:
        core_python()
        rules_cache()
    except CoreUnavailable as missing:
        skip_or_fail(str(missing))
    return run_core


@pytest.fixture(scope="session")
def msg_folder() -> Path:
    return shared_path("sdtm", "msg-v2-cdiscpilot01")


@pytest.fixture(scope="session")
def msg_core(core: RunCore, msg_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> CoreResult:
    """All SDTMIG 3.4 rules on CDISC's SDTM-MSG v2 example (Dataset-JSON + define.xml), run once."""
    return core(msg_folder, out=tmp_path_factory.mktemp("core-msg") / "findings.json")
