"""A real `crfmap serve` on loopback for the tests: its own process, a free port, its own TMPDIR (so a test can
see that nothing of an upload stays on disk), stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx
import pytest

from tests.shared_data import REPO_ROOT

START_GUARD_SECONDS = 60  # a hang guard, not a speed target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LoopbackServer:
    def __init__(self, temporary: Path, *arguments: str) -> None:
        self.temporary = temporary
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.arguments = arguments
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.temporary.mkdir(parents=True, exist_ok=True)
        environment = {**os.environ, "TMPDIR": str(self.temporary)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crfmap", "serve", "--mappings", str(REPO_ROOT / "mappings"), "--port",
             str(self.port), *self.arguments], cwd=REPO_ROOT, env=environment, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_GUARD_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"crfmap serve ended: {self.process.stderr.read().decode() if self.process.stderr else ''}")
            try:
                httpx.get(f"{self.base}/api/studies", timeout=2, headers=self.auth)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.__exit__()
        pytest.fail(f"crfmap serve did not answer within {START_GUARD_SECONDS} s")

    @property
    def auth(self) -> dict[str, str]:
        if "--token" in self.arguments:
            return {"authorization": f"Bearer {self.arguments[self.arguments.index('--token') + 1]}"}
        return {}

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def leftovers(self) -> list[Path]:
        """Whatever the server left in its TMPDIR."""
        return sorted(self.temporary.rglob("*"))
