"""REDCap records exports with their data dictionary: one table per instrument, checkboxes as one multi-valued
cell, repeating instruments and events, label exports, positions that read like REDCap, and refusals."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crfmap.issues import FatalIssue
from crfmap.readers import ReadOptions, open_workbook
from crfmap.readers.redcap_dictionary import read_redcap_dictionary
from tests.shared_data import shared_path

UI_HEADER = ('"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
             '"Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number",'
             '"Text Validation Min","Text Validation Max",Identifier?,"Branching Logic (Show field only if...)",'
             '"Required Field?","Custom Alignment","Question Number (surveys only)","Matrix Group Name",'
             '"Matrix Ranking?","Field Annotation"\n')
# A small project written for these tests: two instruments, a repeating one, a checkbox with a letter code.
DICTIONARY_ROWS = [
    ["record_id", "enrolment", "", "text", "Record ID"],
    ["sex", "enrolment", "", "radio", "Sex", "1, Male | 2, Female"],
    ["symptoms", "enrolment", "", "checkbox", "Symptoms", "1, Fever | 2, Rash | x, Other"],
    ["intro", "enrolment", "", "descriptive", "Please fill in"],
    ["weight", "vitals", "", "text", "Weight (kg)", "", "", "number", "1", "300", "", "", "y"],
    ["vitals_date", "vitals", "", "text", "Date", "", "", "date_ymd", "", "", "", "[weight] <> ''", "", "", "", "",
     "", "@HIDDEN"],
]
RAW_EXPORT = (
    "record_id,redcap_repeat_instrument,redcap_repeat_instance,sex,symptoms___1,symptoms___2,symptoms___x,"
    "enrolment_complete,weight,vitals_date,vitals_complete\n"
    "1,,,1,1,0,1,2,,,\n"
    "1,vitals,1,,,,,,70.5,2024-01-02,2\n"
    "1,vitals,2,,,,,,71,2024-02-03,1\n"
    "2,,,2,0,0,0,0,,,\n"
)
LABEL_EXPORT = (
    '"Record ID","Repeat Instrument","Repeat Instance","Sex","Symptoms (choice=Fever)","Symptoms (choice=Rash)",'
    '"Symptoms (choice=Other)","Complete?","Weight (kg)","Date","Complete?"\n'
    "1,,,Male,Checked,Unchecked,Checked,Complete,,,\n"
    "1,Vitals,1,,,,,,70.5,2024-01-02,Complete\n"
    "1,Vitals,2,,,,,,71,2024-02-03,Unverified\n"
    "2,,,Female,Unchecked,Unchecked,Unchecked,Incomplete,,,\n"
)


def write_dictionary(folder, name="project_DataDictionary_2024-03-01.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in DICTIONARY_ROWS:
        writer.writerow(row + [""] * (18 - len(row)))
    path = folder / name
    path.write_text(UI_HEADER + buffer.getvalue(), encoding="utf-8")
    return path


def read(path, options=None):
    issues = []
    with open_workbook(path, options or ReadOptions(), issues.append) as workbook:
        assert workbook.format == "redcap"
        tables = {info.name: list(workbook.iter_rows(info.name)) for info in workbook.sheets()}
    return tables, issues


def cells(rows):
    return [(row.number, row.cells) for row in rows]


@pytest.fixture
def project(tmp_path):
    write_dictionary(tmp_path)
    data = tmp_path / "project_DATA_2024-03-01_1200.csv"
    data.write_text(RAW_EXPORT, encoding="utf-8")
    return data


def test_dictionary_formats_give_the_same_fields(tmp_path):
    ui = read_redcap_dictionary(write_dictionary(tmp_path))
    keys = ["field_name", "form_name", "section_header", "field_type", "field_label",
            "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
            "text_validation_min", "text_validation_max", "identifier", "branching_logic", "required_field",
            "custom_alignment", "question_number", "matrix_group_name", "matrix_ranking", "field_annotation"]
    api_rows = [dict(zip(keys, row + [""] * (18 - len(row)), strict=True)) for row in DICTIONARY_ROWS]
    api_csv = tmp_path / "metadata.csv"  # R writes NA for an empty cell
    api_csv.write_text(",".join(keys) + "\n" + "\n".join(
        ",".join(f'"{value}"' if value else "NA" for value in row.values()) for row in api_rows) + "\n")
    api_json = tmp_path / "metadata.json"
    api_json.write_text(json.dumps(api_rows))
    for other in (read_redcap_dictionary(api_csv), read_redcap_dictionary(api_json)):
        assert [(item.name, item.form, item.type, item.choices, item.validation, item.required, item.branching,
                 item.hidden) for item in other.fields] == [
            (item.name, item.form, item.type, item.choices, item.validation, item.required, item.branching,
             item.hidden) for item in ui.fields]
    symptoms = ui.by_name["symptoms"]
    assert symptoms.choices == (("1", "Fever"), ("2", "Rash"), ("x", "Other"))
    assert [symptoms.choice_column(code) for code, _ in symptoms.choices] == ["symptoms___1", "symptoms___2",
                                                                                "symptoms___x"]
    assert ui.by_name["vitals_date"].hidden and not ui.by_name["weight"].hidden
    assert ui.instruments == ["enrolment", "vitals"] and ui.record_id.name == "record_id"


def test_each_instrument_is_a_table_and_a_checkbox_one_cell(project):
    tables, issues = read(project)
    assert [issue.code for issue in issues] == ["R022"]  # the dictionary found beside the export, said so
    assert list(tables) == ["enrolment", "vitals"]
    assert cells(tables["enrolment"]) == [
        (1, {1: "record_id", 3: "redcap_repeat_instance", 4: "sex", 5: "symptoms", 8: "enrolment_complete"}),
        (2, {1: "1", 4: "1", 5: "1 | x", 8: "2"}),
        (5, {1: "2", 4: "2", 8: "0"}),  # nothing checked: no value (the zeros say "not chosen")
    ]
    assert cells(tables["vitals"]) == [
        (1, {1: "record_id", 3: "redcap_repeat_instance", 9: "weight", 10: "vitals_date", 11: "vitals_complete"}),
        (3, {1: "1", 3: "1", 9: "70.5", 10: "2024-01-02", 11: "2"}),
        (4, {1: "1", 3: "2", 9: "71", 10: "2024-02-03", 11: "1"}),
    ]


def test_positions_read_like_redcap_and_keep_the_csv_cell(project):
    tables, _ = read(project)
    row = tables["vitals"][2]
    source = row.source("export.csv", "vitals", 9)
    assert (source.row, source.a1) == (4, "I4")
    assert source.item == ("record 1", "instrument vitals", "instance 2", "field weight")
    assert tables["enrolment"][1].source("export.csv", "enrolment", 5).item_path == (
        "record 1 › instrument enrolment › field symptoms")


def test_a_label_export_reads_as_the_raw_one(tmp_path, project):
    raw, _ = read(project)
    labelled = tmp_path / "labels" / "project_DATA_LABELS.csv"
    labelled.parent.mkdir()
    labelled.write_text(LABEL_EXPORT, encoding="utf-8")
    tables, issues = read(labelled, ReadOptions(dictionary=write_dictionary(tmp_path, "dictionary.csv")))
    assert issues == []
    assert cells(tables["enrolment"])[0] == cells(raw["enrolment"])[0]  # headers by field name, not label
    assert [row.cells[5] for row in tables["enrolment"][1:] if 5 in row.cells] == ["1 | x"]
    assert [row.cells.get(4) for row in tables["enrolment"][1:]] == ["Male", "Female"]  # code lists match labels
    assert cells(tables["vitals"])[1][1][11] == "Complete"


def test_longitudinal_export_keeps_the_event_in_every_table(tmp_path):
    write_dictionary(tmp_path)
    data = tmp_path / "data.csv"
    data.write_text("record_id,redcap_event_name,sex,enrolment_complete,weight,vitals_date,vitals_complete\n"
                    "7,baseline_arm_1,1,2,,,\n7,week_4_arm_1,,,80,2024-05-01,2\n", encoding="utf-8")
    tables, _ = read(data)
    assert cells(tables["enrolment"])[1] == (2, {1: "7", 2: "baseline_arm_1", 3: "1", 4: "2"})
    assert cells(tables["vitals"])[1] == (3, {1: "7", 2: "week_4_arm_1", 5: "80", 6: "2024-05-01", 7: "2"})
    assert tables["vitals"][1].source("data.csv", "vitals", 5).item == (
        "record 7", "event week_4_arm_1", "instrument vitals", "field weight")


def test_columns_the_dictionary_does_not_know_are_kept_and_reported(tmp_path):
    write_dictionary(tmp_path)
    data = tmp_path / "data.csv"
    data.write_text("record_id,sex,enrolment_complete,site_note\n1,1,2,call back\n", encoding="utf-8")
    tables, issues = read(data)
    assert cells(tables["not in the data dictionary"]) == [(1, {1: "record_id", 4: "site_note"}),
                                                          (2, {1: "1", 4: "call back"})]
    assert [(issue.code, issue.cell) for issue in issues] == [("R022", None), ("R023", "D1")]


def test_a_checkbox_cell_that_is_neither_checked_nor_unchecked_is_an_error(project):
    project.write_text(RAW_EXPORT.replace("1,,,1,1,0,1,2", "1,,,1,1,0,yes,2"), encoding="utf-8")
    tables, issues = read(project)
    assert tables["enrolment"][1].cells[5] == "1"
    bad = [issue for issue in issues if issue.code == "R024"]
    assert [(issue.cell, issue.value, issue.subject) for issue in bad] == [("G2", "yes", "1")]


def test_a_repeating_row_holding_another_instruments_values_is_kept_and_reported(project):
    project.write_text(RAW_EXPORT.replace("1,vitals,1,,", "1,vitals,1,2,"), encoding="utf-8")
    tables, issues = read(project)
    assert (3, {1: "1", 3: "1", 4: "2"}) in cells(tables["enrolment"])
    assert [(issue.code, issue.row) for issue in issues if issue.code == "R025"] == [("R025", 3)]


def test_export_without_a_dictionary_is_refused(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("record_id,redcap_event_name,x\n1,a,2\n", encoding="utf-8")
    with pytest.raises(FatalIssue) as raised:
        read(data)
    assert [issue.code for issue in raised.value.issues] == ["R020"]


def test_two_dictionaries_beside_an_export_ask_which_one(project):
    write_dictionary(project.parent, "metadata.csv")
    with pytest.raises(FatalIssue) as raised:
        read(project)
    assert raised.value.issues[0].code == "R020" and "--dictionary" in raised.value.issues[0].message


def test_a_dictionary_from_another_project_is_refused(tmp_path):
    write_dictionary(tmp_path)
    data = tmp_path / "data.csv"
    data.write_text("study_id,redcap_event_name\n1,a\n", encoding="utf-8")
    with pytest.raises(FatalIssue) as raised:
        read(data)
    assert raised.value.issues[0].code == "R021"


def test_plain_csv_beside_no_dictionary_stays_csv(tmp_path):
    data = tmp_path / "ae.csv"
    data.write_text("subject,ae_complete\n1,2\n", encoding="utf-8")
    with open_workbook(data, ReadOptions(), lambda issue: None) as workbook:
        assert workbook.format == "csv"


def test_a_folder_with_an_export_and_its_dictionary(project):
    tables, _ = read(project.parent)
    assert list(tables) == ["enrolment", "vitals"]


@pytest.mark.shared
@pytest.mark.parametrize("project_name", ["simple", "longitudinal", "repeating-instruments",
                                          "repeating-instruments-sparse", "vignette-repeating", "checkboxes-1",
                                          "clinical-trial-1", "validation-types-1"])
def test_public_redcap_exports_lose_no_value(project_name):
    """Every non-empty cell of REDCapR's exports lands in a table (checkbox zeros excepted: they say 'not
    chosen'), counted independently with Python's csv module."""
    data = shared_path("redcap", "redcapr", project_name, "data.csv")
    dictionary = data.parent / "dictionary.csv"
    tables, issues = read(data, ReadOptions(dictionary=dictionary))
    assert [issue.code for issue in issues] == []
    with data.open(encoding="utf-8", newline="") as stream:
        records = list(csv.reader(stream))
    header = records[0]
    identity = {"record_id", "study_id", "redcap_event_name", "redcap_repeat_instance", "redcap_repeat_instrument"}
    expected_checked = sum(1 for record in records[1:] for name, value in zip(header, record, strict=True)
                           if "___" in name and value == "1")
    expected_other = sum(1 for record in records[1:] for name, value in zip(header, record, strict=True)
                         if value != "" and "___" not in name and name not in identity)
    read_checked = read_other = 0
    for rows in tables.values():
        names = rows[0].cells
        for row in rows[1:]:
            for number, value in row.cells.items():
                if names[number] in identity:
                    continue
                if "___" in str(header[number - 1]):
                    read_checked += len(str(value).split(" | "))
                else:
                    read_other += 1
    assert (read_checked, read_other) == (expected_checked, expected_other)
