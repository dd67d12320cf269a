"""The push log: what a rerun skips, and what it does with a line cut short by a crash."""

from __future__ import annotations

import json
from pathlib import Path

from crfmap.push.log import LOG_NAME, PushLog

SERVER = "https://fhir.example.org/fhir"


def test_a_unit_is_skipped_only_when_accepted_by_this_server_with_this_content(tmp_path: Path) -> None:
    log = PushLog.open(tmp_path, SERVER + "/")
    log.write({"unit": "bundle-a.json", "digest": "d1", "status": "accepted"})
    log.write({"unit": "bundle-b.json", "digest": "d2", "status": "accepted"})
    log.write({"unit": "bundle-b.json", "digest": "d2", "status": "rejected"})  # refused later: send again
    log.close()
    again = PushLog.open(tmp_path, SERVER)
    assert again.is_accepted("bundle-a.json", "d1") is not None
    assert again.is_accepted("bundle-a.json", "changed") is None  # the file was converted again
    assert again.is_accepted("bundle-b.json", "d2") is None
    assert PushLog.open(tmp_path, "https://other.example.org/fhir").accepted == {}


def test_a_line_cut_short_is_ignored_and_the_next_one_starts_whole(tmp_path: Path) -> None:
    path = tmp_path / LOG_NAME
    whole = json.dumps({"server": SERVER, "unit": "bundle-a.json", "digest": "d1", "status": "accepted"})
    path.write_text(whole + "\n" + '{"server": "' + SERVER + '", "unit": "bund', encoding="utf-8")
    log = PushLog.open(tmp_path, SERVER)
    assert log.damaged == [2] and log.is_accepted("bundle-a.json", "d1")
    log.write({"unit": "bundle-b.json", "digest": "d2", "status": "accepted"})
    log.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["unit"] == "bundle-b.json"
    assert PushLog.open(tmp_path, SERVER).is_accepted("bundle-b.json", "d2")
