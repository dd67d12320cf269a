"""Headless Chromium from Debian's packages, driven by selenium, for the browser tests.

When chromium or its driver is missing, the session installs them with apt-get (as root, as on CI); where it
cannot, the tests skip with the reason, and under CI=true they fail. Selenium is always given the driver's
path, so it never tries to download a browser or driver of its own.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ("chromium", "chromium-driver", "fonts-dejavu-core")  # the font: Cyrillic in the screenshots
INSTALL_GUARD_SECONDS = 1200  # a hang guard for apt-get, not a speed target
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
         "--disable-features=Translate,MediaRouter,OptimizationHints", "--lang=en-US")
SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored: for a person to look at once


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


def ensure_chromium(lock_folder: Path) -> tuple[Path, Path]:
    """Chromium and chromedriver, installed from Debian's packages when missing and possible."""
    if CHROMIUM.exists() and DRIVER.exists():
        return CHROMIUM, DRIVER
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        _unavailable(f"needs {' and '.join(PACKAGES)} from Debian (apt-get install -y {' '.join(PACKAGES)}); "
                     "not installed and this user cannot install them")
    lock_folder.mkdir(parents=True, exist_ok=True)
    with open(lock_folder / ".chromium-install.lock", "w") as lock:  # one installer among the test workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CHROMIUM.exists() and DRIVER.exists()):
            environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for command in (["apt-get", "update"],
                            ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]):
                try:
                    done = subprocess.run(command, env=environment, capture_output=True, text=True,
                                          timeout=INSTALL_GUARD_SECONDS, check=False)
                except subprocess.TimeoutExpired:
                    pytest.fail(f"{' '.join(command)} did not end within {INSTALL_GUARD_SECONDS} s")
                if done.returncode != 0:
                    pytest.fail(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.fail(f"apt-get installed {' '.join(PACKAGES)} but {CHROMIUM} or {DRIVER} is missing")
    return CHROMIUM, DRIVER


@contextmanager
def chromium_session(chromium: Path, driver: Path, profile: Path, downloads: Path | None = None,
                     width: int = 1280, height: int = 900) -> Iterator[object]:
    """A selenium WebDriver on a fresh headless Chromium profile; console messages are kept for the test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if downloads is not None:
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                  "download.prompt_for_download": False})
    browser = webdriver.Chrome(service=Service(executable_path=str(driver)), options=options)
    try:
        if downloads is not None:
            browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath":
                                                                    str(downloads)})
        yield browser
    finally:
        browser.quit()


def console_problems(browser: object) -> list[dict[str, object]]:
    """Console messages at warning level or worse (errors, CSP violations, failed loads)."""
    entries = browser.get_log("browser")  # type: ignore[attr-defined]
    return [entry for entry in entries if entry.get("level") in ("SEVERE", "WARNING")]


def save_screenshot(browser: object, name: str, width: int) -> Path:
    """A screenshot of the whole page at `width` pixels, into the git-ignored screenshots folder."""
    SCREENSHOTS.mkdir(exist_ok=True)
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))  # type: ignore[attr-defined]
    browser.set_window_size(width, min(max(height + 140, 600), 8000))  # type: ignore[attr-defined]
    path = SCREENSHOTS / f"{name}-{width}.png"
    browser.save_screenshot(str(path))  # type: ignore[attr-defined]
    return path
