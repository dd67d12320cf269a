"""Where tests find ../shared/public-data, and what they do when it is absent.

On a user's clone without ../shared, tests that need it are skipped with a reason; under CI=true they fail,
because CI always has ../shared beside the checkout and a skip there would hide a broken check.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PUBLIC_DATA = REPO_ROOT.parent / "shared" / "public-data"


def shared_path(*parts: str) -> Path:
    """The path of a file under ../shared/public-data; skips (or fails under CI) when it is absent."""
    path = PUBLIC_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"needs ../shared/public-data/{'/'.join(parts)} beside the checkout, which is absent"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: shared data must be present)")
        pytest.skip(reason)
    return path
