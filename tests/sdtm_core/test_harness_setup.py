"""The harness's own parts that need no engine run: finding Python 3.12, the exact CT packages it builds."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

from crfmap.standards import load_sdtm_ct
from tests.sdtm_core.harness import (
    engine_ct_package,
    find_python312,
    python312_candidates,
    read_nci_release,
    runs_as_python312,
)
from tests.shared_data import shared_path


def test_a_python_that_is_not_312_is_refused() -> None:
    assert runs_as_python312(Path(sys.executable)) is (sys.version_info[:2] == (3, 12))
    assert not runs_as_python312(Path("/nonexistent/python3.12"))


def test_found_python_really_is_312() -> None:
    found = find_python312()
    if found is None:
        assert not any(runs_as_python312(candidate) for candidate in python312_candidates())
    else:
        assert runs_as_python312(found)


@pytest.mark.shared
def test_exact_ct_package_for_the_engine_is_the_nci_release() -> None:
    """The package the harness gives CORE for CT 2025-03-28 and crfmap's own CT agree, read by two parsers."""
    rows = read_nci_release(shared_path("cdisc", "ct", "sdtm-terminology-2025-03-28.tar.xz"))
    package = engine_ct_package("sdtmct-2025-03-28", rows)
    assert package["package"] == "sdtmct-2025-03-28"
    ct = load_sdtm_ct("2025-03-28")
    assert len(package["codelists"]) == len(ct.codelists)
    for entry in package["codelists"]:
        codelist = ct.codelist(entry["conceptId"])
        assert (entry["submissionValue"], entry["name"], entry["extensible"]) == (
            codelist.submission_value, codelist.name, codelist.extensible)
        assert [(term["conceptId"], term["submissionValue"]) for term in entry["terms"]] == [
            (term.code, term.submission_value) for term in codelist.terms]
    # Plain data only, like the engine's own cache: it unpickles with no globals.
    assert pickle.loads(pickle.dumps(package)) == package


def test_without_python312_core_is_unavailable_and_skips_or_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sdtm_core import harness
    from tests.sdtm_core.conftest import skip_or_fail

    monkeypatch.setattr(harness, "find_python312", lambda: None)
    harness.core_python.cache_clear()
    try:
        with pytest.raises(harness.CoreUnavailable, match="needs Python 3.12"):
            harness.core_python()
    finally:
        harness.core_python.cache_clear()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI=true: CDISC CORE must run"):
        skip_or_fail("no Python 3.12")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="no Python 3.12"):
        skip_or_fail("no Python 3.12")
