"""The push log: one JSON line per unit outcome, appended to `push-log.jsonl` beside the pushed files.

A rerun skips every unit whose last line for the same server says `accepted` with the same content digest, so
after a crash, a kill or a 503 storm only what was not accepted is sent again. Each line is flushed and
fsync'ed before the next unit's outcome is written; a line cut short by a crash is ignored (W110) and its unit
sent again, which is safe: every request crfmap writes is idempotent (PUT with the deterministic id, or a
conditional create). The log holds statuses, the server's OperationOutcome and the server's ids (from
`response.location`), no resource content.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

LOG_NAME = "push-log.jsonl"


@dataclass
class PushLog:
    path: Path
    server: str
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit name -> its accepted record
    damaged: list[int] = field(default_factory=list)  # 1-based lines that could not be read
    lock: threading.Lock = field(default_factory=threading.Lock)
    stream: IO[str] | None = None

    @classmethod
    def open(cls, folder: Path, server: str) -> PushLog:
        log = cls(folder / LOG_NAME, server.rstrip("/"))
        log.load()
        return log

    def load(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    self.damaged.append(number)
                    continue
                if not isinstance(record, dict) or record.get("server") != self.server:
                    continue
                if record.get("status") == "accepted":
                    self.accepted[record["unit"]] = record
                else:
                    self.accepted.pop(str(record.get("unit")), None)

    def is_accepted(self, unit: str, digest: str) -> dict[str, Any] | None:
        record = self.accepted.get(unit)
        return record if record and record.get("digest") == digest else None

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps({"server": self.server, **record}, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self.lock:
            if self.stream is None:
                self.stream = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 — closed by close()
                if self._ends_unterminated():  # a line cut short by a crash: keep the next one whole
                    self.stream.write("\n")
            self.stream.write(line)
            self.stream.flush()
            os.fsync(self.stream.fileno())
            if record.get("status") == "accepted":
                self.accepted[record["unit"]] = record

    def _ends_unterminated(self) -> bool:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        with open(self.path, "rb") as stream:
            stream.seek(-1, os.SEEK_END)
            return stream.read(1) != b"\n"

    def close(self) -> None:
        with self.lock:
            if self.stream is not None:
                self.stream.close()
                self.stream = None
