"""The local executor: every partition in this process, in order (the reference the others must equal)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crfmap.api.executors import ExecutorSettings


def run(function: Callable[[Any], Any], items: Sequence[Any], settings: ExecutorSettings) -> list[Any]:
    return [function(item) for item in items]
