"""LibreOffice (headless) for tests that check a workbook with a second, independent spreadsheet program.

Debian's `libreoffice-calc` provides `soffice`. Locally a missing LibreOffice skips the test with the reason.
Under CI=true the tests must run: when `soffice` is missing and the run may use apt-get (root), the fixture
installs the package (`apt-get install -y --no-install-recommends libreoffice-calc`, from Debian's archive);
otherwise the test fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL = ["apt-get", "install", "-y", "--no-install-recommends", "libreoffice-calc"]
CONVERT_TIMEOUT_SECONDS = 300  # a hang guard: the first start of LibreOffice builds its profile


def find_soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    in_ci = os.environ.get("CI", "").lower() == "true"
    if in_ci and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=False, capture_output=True, env=environment)
        subprocess.run(INSTALL, check=False, capture_output=True, env=environment)
        found = shutil.which("soffice")
        if found:
            return found
    reason = ("needs LibreOffice (Debian package libreoffice-calc: soffice on PATH) to check workbooks with a "
              "second spreadsheet program")
    if in_ci:
        pytest.fail(reason + " (CI=true: it must be installed, or the run must be able to apt-get it)")
    pytest.skip(reason)


def convert_with_libreoffice(soffice: str, source: Path, target_format: str, out: Path, profile: Path) -> Path:
    """Open `source` in LibreOffice and save it as `target_format` (xlsx, csv …) in `out`; the saved file."""
    out.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--convert-to",
         target_format, "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=CONVERT_TIMEOUT_SECONDS, check=False)
    saved = out / f"{source.stem}.{target_format.split(':')[0]}"
    assert completed.returncode == 0 and saved.exists(), completed.stdout + completed.stderr
    return saved
