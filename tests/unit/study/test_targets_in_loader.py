"""The writers' targets in a mapping are checked when it loads, each problem at its file and line: a key no
writer owns (P003), a target that does not match its writer's model (P011), and what only the writer can
judge (P011 from its lint) — before any data is read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crfmap.api import load_mapping
from crfmap.issues import FatalIssue
from tests.e2e.reference import STUDY


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return Path(shutil.copytree(STUDY, tmp_path / "blinatumomab_ped_all"))


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` once; return the 1-based line where the new text starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    line = text[:text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def refusal(study: Path) -> list[tuple[str, str | None, int | None]]:
    with pytest.raises(FatalIssue) as raised:
        load_mapping(study)
    return [(issue.code, issue.file, issue.line) for issue in raised.value.issues]


def test_a_value_the_model_refuses_is_p011_at_its_own_line(study):
    line = edit(study / "concepts.yaml", "    fhir:\n      resource: Condition\n", "    fhir:\n      resource: Patient\n")
    assert refusal(study) == [("P011", "blinatumomab_ped_all/concepts.yaml", line + 1)]


def test_a_typo_inside_a_target_is_p011_at_its_line(study):
    line = edit(study / "concepts.yaml", "    sdtm:\n      domain: DM\n", "    sdtm:\n      domian: DM\n")
    assert ("P011", "blinatumomab_ped_all/concepts.yaml", line + 1) in refusal(study)


def test_a_key_no_writer_owns_is_p003_at_its_line(study):
    line = edit(study / "concepts.yaml", "    sdtm:\n      domain: DM\n", "    spss:\n      domain: DM\n")
    assert refusal(study) == [("P003", "blinatumomab_ped_all/concepts.yaml", line)]
    study_line = edit(study / "study.yaml", "sdtm:\n", "sdmt:\n")
    assert ("P003", "blinatumomab_ped_all/study.yaml", study_line) in refusal(study)


def test_what_only_the_writer_can_judge_is_reported_at_the_target(study):
    # the model allows MedicationAdministration; only the FHIR writer knows an event cannot become one
    line = edit(study / "concepts.yaml", "    fhir:\n      resource: Condition\n",
                "    fhir:\n      resource: MedicationAdministration\n")
    found = refusal(study)
    assert [code for code, _, _ in found] == ["P011"]
    assert found[0][1:] == ("blinatumomab_ped_all/concepts.yaml", line)


def test_the_reference_mapping_loads_with_no_error():
    mapping, issues = load_mapping(STUDY)
    assert mapping.study.id and not [issue for issue in issues if issue.severity.value == "error"]
