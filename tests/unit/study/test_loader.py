"""Loading and linting a mapping folder: errors name the file and line, and say what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from crfmap.issues import FatalIssue
from crfmap.study import load_study, load_study_with_issues
from tests.minimal_study import write_minimal_study


def issue_tuples(folder: Path) -> list[tuple[str, str | None, int | None]]:
    _, issues = load_study_with_issues(folder)
    return [(issue.code, issue.file, issue.line) for issue in issues]


def test_minimal_study_loads_clean(tmp_path: Path) -> None:
    mapping = load_study(write_minimal_study(tmp_path / "mini"))
    assert mapping.study.id == "MINI01"
    assert set(mapping.forms) == {"demographics", "labs"}
    assert mapping.codelists["sex"].find("M").synonyms == ["муж", "м"]
    assert len(mapping.sha256) == 64


def test_unverified_codes_are_listed_as_notes(tmp_path: Path) -> None:
    assert [code for code, _, _ in issue_tuples(write_minimal_study(tmp_path / "mini"))] == ["P013"]


def test_missing_folder_is_p001(tmp_path: Path) -> None:
    assert issue_tuples(tmp_path / "nowhere")[0][0] == "P001"


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    (folder / "forms/labs.yaml").write_text("name: labs\nlabel: [unclosed\nsheets: [LB]\n", encoding="utf-8")
    codes = issue_tuples(folder)
    assert codes[0][0] == "P002"
    assert codes[0][1] == "mini/forms/labs.yaml"
    assert codes[0][2] == 3


def test_unknown_key_is_reported_at_its_line(tmp_path: Path) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    text = (folder / "forms/demographics.yaml").read_text(encoding="utf-8")
    (folder / "forms/demographics.yaml").write_text(text.replace("label: Demographics", "label: Demographics\nlabell: x"),
                                                      encoding="utf-8")
    _, issues = load_study_with_issues(folder)
    issues = [issue for issue in issues if issue.code != "P013"]
    assert [(issue.code, issue.line) for issue in issues] == [("P003", 3)]
    assert "labell" in issues[0].message and "unknown key" in issues[0].message


def test_unknown_operation_lists_the_known_ones(tmp_path: Path) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    path = folder / "concepts.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("op: code,", "op: kode,"), encoding="utf-8")
    _, issues = load_study_with_issues(folder)
    issues = [issue for issue in issues if issue.code != "P013"]
    assert [(issue.code, issue.line) for issue in issues] == [("P003", 6)]
    assert "'kode'" in issues[0].message and "copy" in issues[0].message


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("codelist: sex}", "codelist: gender}", "P004"),  # form names a code list that does not exist
        ("{op: code, column: sex}", "{op: code, column: gender}", "P005"),  # concept names an unknown column
        ("form: labs", "form: lab", "P006"),  # concept names an unknown form
        ("value: BLAST}", "value: BLASTS}", "P012"),  # constant_code value not in the code list
        ("category: {op: constant", "kategory: {op: constant", "P009"),  # field not in the record type
    ],
)
def test_cross_references_are_linted(tmp_path: Path, old: str, new: str, code: str) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    for path in folder.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            break
    else:
        pytest.fail(f"{old!r} is in no file of the minimal study")
    codes = [issue[0] for issue in issue_tuples(folder) if issue[0] != "P013"]
    assert code in codes


def test_synonym_clash_is_p010(tmp_path: Path) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    path = folder / "codelists/sex.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("synonyms: [жен, ж]", "synonyms: [жен, М]"),
                    encoding="utf-8")
    assert [issue[0] for issue in issue_tuples(folder) if issue[0] != "P013"] == ["P010"]


def test_unused_column_must_be_mapped_or_ignored(tmp_path: Path) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    path = folder / "forms/labs.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: string, ignore: true", "type: string"),
                    encoding="utf-8")
    _, issues = load_study_with_issues(folder)
    issues = [issue for issue in issues if issue.code != "P013"]
    assert [(issue.code, issue.file) for issue in issues] == [("P003", "mini/forms/labs.yaml")]
    assert "'note'" in issues[0].message


def test_yes_and_no_stay_text_in_code_lists(tmp_path: Path) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    path = folder / "codelists/sex.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("synonyms: [жен, ж]", "synonyms: [жен, no, off]"),
                    encoding="utf-8")
    assert load_study(folder).codelists["sex"].find("F").synonyms == ["жен", "no", "off"]


def test_load_study_raises_fatal_with_all_errors(tmp_path: Path) -> None:
    folder = write_minimal_study(tmp_path / "mini")
    (folder / "concepts.yaml").write_text("concepts: []\n", encoding="utf-8")
    with pytest.raises(FatalIssue) as raised:
        load_study(folder)
    assert [issue.code for issue in raised.value.issues] == ["P003"]
