"""Browser fixtures: Debian's headless Chromium (installed when missing and possible) and a fresh profile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.browser.chromium import chromium_session, ensure_chromium


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return ensure_chromium(Path(__file__).parent)


@pytest.fixture
def open_browser(chromium: tuple[Path, Path], tmp_path: Path) -> Iterator[Callable[..., AbstractContextManager]]:
    """open_browser(downloads=None, width=1280) → a context manager giving a WebDriver on a fresh profile."""
    count = iter(range(1000))

    def opener(downloads: Path | None = None, width: int = 1280) -> AbstractContextManager:
        return chromium_session(*chromium, profile=tmp_path / f"profile-{next(count)}", downloads=downloads,
                                width=width)

    yield opener
