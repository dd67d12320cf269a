"""`crfmap template`: the blank site workbook checked with openpyxl and with LibreOffice, filled in by a program
with the reference cohort, and converted to the same SDTM as clean.xlsx; it names its study, so validate and
convert need no --study, and say when the mapping has changed since."""

from __future__ import annotations

import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from crfmap.cli import main
from tests.libreoffice import convert_with_libreoffice, find_soffice
from tests.shared_data import REPO_ROOT

STUDY = REPO_ROOT / "mappings" / "blinatumomab_ped_all"
FIXTURES = REPO_ROOT / "fixtures" / "blinatumomab_ped_all"
sys.path.insert(0, str(FIXTURES))
from cohort import form_rows
from site_style import clean_value


def invoke(*arguments, cwd: Path | None = None, monkeypatch=None):
    if cwd is not None and monkeypatch is not None:
        monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, [str(argument) for argument in arguments], catch_exceptions=False)


def mapping_forms(study: Path) -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in (study / "forms").glob("*.yaml")}


@pytest.fixture(scope="module")
def english_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "site_crf.xlsx"
    result = invoke("template", "--study", STUDY, "--out", path, "--language", "en", "--rows", 100)
    assert result.exit_code == 0, result.output
    return path


def test_the_template_as_openpyxl_reads_it(english_template):
    book = load_workbook(english_template)
    assert book.sheetnames[:2] == ["Instructions", "Lists"]
    assert [book[name].sheet_state for name in ("Lists", "crfmap")] == ["hidden", "hidden"]
    forms = mapping_forms(STUDY)
    sheets = {name: book[name] for name in book.sheetnames[2:-1]}
    assert len(sheets) == len(forms) == 6
    marrow = sheets["Bone marrow"]
    headers = [cell.value for cell in marrow[1]]
    assert headers[0] == "Subject ID *" and "Blasts in bone marrow, % *" in headers
    assert marrow.freeze_panes == "B2"
    validations = {str(item.sqref): item for item in marrow.data_validations.dataValidation}
    timepoint = validations["B2:B101"]
    sheet, cells = timepoint.formula1.split("!")
    assert timepoint.type == "list" and sheet == "'Lists'"
    listed = [cell.value for row in book["Lists"][cells.replace("$", "")] for cell in row]
    codelist = yaml.safe_load((STUDY / "codelists" / "bm_timepoint.yaml").read_text(encoding="utf-8"))
    assert listed == [value["display"] for value in codelist["values"]]
    blasts = validations["D2:D101"]
    assert (blasts.type, blasts.formula1, blasts.formula2) == ("decimal", "0", "100")
    dates = validations["C2:C101"]
    assert dates.type == "date" and int(dates.formula2) == (date(2024, 12, 31) - date(1899, 12, 30)).days
    assert marrow.conditional_formatting  # empty required cells turn red
    stamp = dict(row for row in book["crfmap"].iter_rows(values_only=True))
    assert stamp["study"] == "BLINA-PED-ALL" and stamp["mapping folder"] == "blinatumomab_ped_all"
    assert {prop.name: prop.value for prop in book.custom_doc_props.props}["study"] == "BLINA-PED-ALL"


def test_the_template_is_reproducible(tmp_path, english_template):
    again = tmp_path / "again.xlsx"
    assert invoke("template", "--study", STUDY, "--out", again, "--language", "en", "--rows", 100).exit_code == 0
    assert again.read_bytes() == english_template.read_bytes()


def test_a_russian_template_shows_russian_spellings(tmp_path):
    path = tmp_path / "ru.xlsx"
    assert invoke("template", "--study", STUDY, "--out", path).exit_code == 0  # RUS study: ru by default
    book = load_workbook(path)
    assert "Демография" in book.sheetnames and book.sheetnames[0] == "Инструкция"
    assert book["Демография"]["A1"].value == "№ пациента *"


def fill(template: Path, target: Path) -> Path:
    """The reference cohort typed into the template, as a site would: by column title, values as in clean.xlsx."""
    book = load_workbook(template)
    forms = mapping_forms(STUDY)
    rows = form_rows()
    for form in forms.values():
        sheet = next(book[name] for name in book.sheetnames
                     if name in form["sheets"] or name == form["label"])
        labels = {}
        for cell in sheet[1]:
            title = str(cell.value).removesuffix(" *")
            column = next(item for item in form["columns"] if title in (item["label"],
                                                                       f"{item['label']} ({item.get('unit')})"))
            labels[column["name"]] = cell.column
        for number, row in enumerate(rows[form["name"]], start=2):
            for name, column_number in labels.items():
                value = clean_value(name, row.get(name))
                if value is not None:
                    sheet.cell(number, column_number, value)
    book.save(target)
    return target


def test_a_filled_template_converts_to_the_sdtm_of_clean_xlsx(tmp_path, english_template, monkeypatch):
    filled = fill(english_template, tmp_path / "filled.xlsx")
    monkeypatch.chdir(REPO_ROOT)  # mappings/ is found from here: no --study
    result = invoke("convert", filled, "--out", tmp_path / "from_template", "--to", "sdtm")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    reference = invoke("convert", FIXTURES / "clean.xlsx", "--study", STUDY, "--out", tmp_path / "reference",
                       "--to", "sdtm")
    assert reference.exit_code == 0
    made = sorted((tmp_path / "from_template" / "sdtm").iterdir())
    expected = sorted((tmp_path / "reference" / "sdtm").iterdir())
    assert [path.name for path in made] == [path.name for path in expected]
    assert [path.name for path in made if path.read_bytes() != (tmp_path / "reference" / "sdtm" /
                                                                path.name).read_bytes()] == []


def test_without_study_outside_the_repository_the_study_is_not_found(tmp_path, english_template, monkeypatch):
    copy = tmp_path / "site.xlsx"
    shutil.copy(english_template, copy)
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", copy)
    assert result.exit_code == 2 and "P054" in result.output and "blinatumomab_ped_all" in result.output


def test_a_workbook_not_made_by_crfmap_needs_study(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    result = invoke("validate", FIXTURES / "clean.xlsx")
    assert result.exit_code == 2 and "P054" in result.output


def test_a_changed_mapping_is_said(tmp_path, english_template, monkeypatch):
    study = tmp_path / "mappings" / "blinatumomab_ped_all"
    shutil.copytree(STUDY, study)
    text = (study / "study.yaml").read_text(encoding="utf-8").replace('version: "1"', 'version: "2"')
    (study / "study.yaml").write_text(text, encoding="utf-8")
    filled = fill(english_template, tmp_path / "filled.xlsx")
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", filled)
    assert result.exit_code == 0
    assert "P053" in result.output and "version 1" in result.output and "version 2" in result.output
    other = tmp_path / "other"
    shutil.copytree(STUDY, other)
    (other / "study.yaml").write_text((other / "study.yaml").read_text(encoding="utf-8").replace(
        "id: BLINA-PED-ALL", "id: OTHER-STUDY"), encoding="utf-8")
    wrong = invoke("validate", filled, "--study", other)
    assert wrong.exit_code == 1 and "P054" in wrong.output


@pytest.fixture(scope="module")
def soffice() -> str:
    return find_soffice()


def test_libreoffice_opens_the_template_and_keeps_its_checks(tmp_path, english_template, soffice):
    saved = convert_with_libreoffice(soffice, english_template, "xlsx", tmp_path / "saved", tmp_path / "profile")
    book = load_workbook(saved)
    assert "crfmap" in book.sheetnames and book["crfmap"].sheet_state == "hidden"
    marrow = book["Bone marrow"]
    kinds = sorted(item.type for item in marrow.data_validations.dataValidation)
    assert kinds == ["date", "decimal", "decimal", "decimal", "list", "list"]
    # (LibreOffice's headless conversion does not write view settings, so frozen panes are checked above only)
    assert [cell.value for cell in marrow[1]][:2] == ["Subject ID *", "Timepoint *"]


def test_a_template_filled_then_saved_by_libreoffice_converts_the_same(tmp_path, english_template, soffice,
                                                                       monkeypatch):
    filled = fill(english_template, tmp_path / "filled.xlsx")
    saved = convert_with_libreoffice(soffice, filled, "xlsx", tmp_path / "saved", tmp_path / "profile")
    monkeypatch.chdir(REPO_ROOT)
    result = invoke("convert", saved, "--out", tmp_path / "via_libreoffice", "--to", "sdtm")
    assert result.exit_code == 0, result.output
    reference = invoke("convert", FIXTURES / "clean.xlsx", "--study", STUDY, "--out", tmp_path / "reference",
                       "--to", "sdtm")
    assert reference.exit_code == 0
    for path in sorted((tmp_path / "reference" / "sdtm").iterdir()):
        assert (tmp_path / "via_libreoffice" / "sdtm" / path.name).read_bytes() == path.read_bytes(), path.name


def test_dates_typed_by_a_site_are_dates(tmp_path, english_template):
    filled = fill(english_template, tmp_path / "filled.xlsx")
    sheet = load_workbook(filled)["Bone marrow"]
    assert isinstance(sheet["C2"].value, datetime | date)
