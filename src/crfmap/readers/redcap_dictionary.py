"""A REDCap data dictionary: the project's instruments and fields, as REDCap itself describes them.

Three spellings of the same table are read: the csv the REDCap UI downloads (Project Setup › Data Dictionary,
headers "Variable / Field Name", "Form Name" …), the API's metadata export as csv (headers field_name,
form_name …; R and pandas write NA for empty cells) and the API's metadata export as JSON (a list of objects
with the API's keys). Nothing here knows a study mapping: the REDCap reader uses it to cut an export into one
table per instrument, and `crfmap init` drafts a mapping from it.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from crfmap.issues import FatalIssue, make_issue
from crfmap.readers.csv import detect_encoding, sniff_delimiter
from crfmap.sources.text import normalize_name

MAX_DICTIONARY_BYTES = 64 * 1024 * 1024  # REDCap projects top out at a few thousand fields
# The API's keys; the UI's headers are matched to them by their normalised form (see UI_HEADERS).
KEYS = ("field_name", "form_name", "section_header", "field_type", "field_label", "select_choices_or_calculations",
        "field_note", "text_validation_type_or_show_slider_number", "text_validation_min", "text_validation_max",
        "identifier", "branching_logic", "required_field", "custom_alignment", "question_number",
        "matrix_group_name", "matrix_ranking", "field_annotation")
UI_HEADERS = ("Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
              "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
              "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
              "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
              "Matrix Ranking?", "Field Annotation")
HEADER_KEYS = {normalize_name(text): key for text, key in (*zip(UI_HEADERS, KEYS), *zip(KEYS, KEYS))}
MISSING = frozenset({"", "NA"})  # R's and pandas' spelling of an empty cell in API exports
CHOICE_TYPES = frozenset({"radio", "dropdown", "checkbox"})
HIDDEN_TAG = re.compile(r"@HIDDEN(?![-\w])")  # @HIDDEN, not @HIDDEN-SURVEY or @HIDDEN-FORM (shown elsewhere)


@dataclass(frozen=True, slots=True)
class RedcapField:
    """One row of the data dictionary. `choices` are (code, label) pairs of radio, dropdown and checkbox
    fields (`select_choices_or_calculations`); for calc fields that column is the formula."""

    name: str
    form: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...] = ()
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    required: bool = False
    branching: str = ""
    annotation: str = ""
    note: str = ""
    section: str = ""
    identifier: bool = False
    calculation: str = ""
    line: int = 0  # the dictionary's own line (or list index + 1 for JSON), for messages

    @property
    def is_checkbox(self) -> bool:
        return self.type == "checkbox"

    @property
    def hidden(self) -> bool:
        """Marked @HIDDEN: never shown on data entry (often filled by calculation or import)."""
        return bool(HIDDEN_TAG.search(self.annotation))

    @property
    def holds_data(self) -> bool:
        """Descriptive text is a note on the form, not a field with values."""
        return self.type != "descriptive"

    def choice_column(self, code: str) -> str:
        return choice_column_name(self.name, code)


@dataclass(frozen=True)
class RedcapDictionary:
    """The fields in dictionary order; the first is the record id field, as REDCap requires."""

    file: str
    fields: tuple[RedcapField, ...]
    by_name: dict[str, RedcapField] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update((item.name, item) for item in self.fields)

    @property
    def record_id(self) -> RedcapField:
        return self.fields[0]

    @property
    def instruments(self) -> list[str]:
        """Instrument (form) names in dictionary order."""
        return list(dict.fromkeys(item.form for item in self.fields))

    def fields_of(self, instrument: str) -> list[RedcapField]:
        return [item for item in self.fields if item.form == instrument and item.holds_data]


def choice_column_name(field_name: str, code: str) -> str:
    """The export's column for one checkbox choice: `field___code`, lower case, other characters as '_'."""
    return f"{field_name}___{re.sub(r'[^a-z0-9_]', '_', code.lower())}"


def read_redcap_dictionary(path: Path) -> RedcapDictionary:
    """Read a data dictionary (UI csv, API csv or API JSON); FatalIssue R021 when it is none of these."""
    try:
        size = path.stat().st_size
    except OSError:
        raise FatalIssue(make_issue("R020", file=path.name, detail=f"the data dictionary {path.name} cannot be "
                                                                   "opened")) from None
    if size > MAX_DICTIONARY_BYTES:
        raise invalid(path, f"it is {size:,} bytes, more than a data dictionary ever needs")
    records = read_json_records(path) if path.suffix.lower() == ".json" else read_csv_records(path)
    fields = tuple(build_field(record, line) for line, record in records if record.get("field_name"))
    if not fields:
        raise invalid(path, "it lists no fields")
    return RedcapDictionary(file=path.name, fields=fields)


def read_csv_records(path: Path) -> list[tuple[int, dict[str, str]]]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as text:
        delimiter = sniff_delimiter(text.read(64 * 1024))
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader, [])
            keys = [HEADER_KEYS.get(normalize_name(cell)) for cell in header]
            if "field_name" not in keys or "form_name" not in keys or "field_type" not in keys:
                raise invalid(path, "its first row is not a REDCap data dictionary header (Variable / Field Name, "
                                    "Form Name, Field Type …)")
            records = []
            for row in reader:
                values = {key: clean(cell) for key, cell in zip(keys, row, strict=False) if key is not None}
                records.append((reader.line_num, values))
        except csv.Error as problem:
            raise invalid(path, f"line {reader.line_num} cannot be read as csv ({problem})") from None
        except UnicodeDecodeError:
            raise invalid(path, "it is not text in a known encoding") from None
    return records


def read_json_records(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as problem:
        raise invalid(path, f"it is not JSON ({problem})") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise invalid(path, "it is not a list of fields, as REDCap's API exports metadata")
    return [(index, {key: clean(str(value)) for key, value in item.items() if key in KEYS and value is not None})
            for index, item in enumerate(data, start=1)]


def clean(text: str) -> str:
    text = text.strip()
    return "" if text in MISSING else text


def build_field(record: dict[str, str], line: int) -> RedcapField:
    kind = record.get("field_type", "").lower()
    choices_text = record.get("select_choices_or_calculations", "")
    return RedcapField(
        name=record["field_name"], form=record.get("form_name", ""), type=kind,
        label=record.get("field_label", ""),
        choices=parse_choices(choices_text) if kind in CHOICE_TYPES else (),
        calculation=choices_text if kind == "calc" else "",
        validation=record.get("text_validation_type_or_show_slider_number", "").lower(),
        minimum=record.get("text_validation_min", ""), maximum=record.get("text_validation_max", ""),
        required=record.get("required_field", "").lower() in ("y", "yes", "1"),
        branching=record.get("branching_logic", ""), annotation=record.get("field_annotation", ""),
        note=record.get("field_note", ""), section=record.get("section_header", ""),
        identifier=record.get("identifier", "").lower() in ("y", "yes", "1"), line=line)


def parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    """'1, Male | 2, Female' → (('1', 'Male'), ('2', 'Female')); a choice without a comma is its own label."""
    choices = []
    for part in text.split("|"):
        code, separator, label = part.strip().partition(",")
        if code.strip():
            choices.append((code.strip(), label.strip() if separator else code.strip()))
    return tuple(choices)


def invalid(path: Path, detail: str) -> FatalIssue:
    return FatalIssue(make_issue("R021", file=path.name, detail=detail))


DICTIONARY_NAME = re.compile(r"(dictionary|metadata)", re.IGNORECASE)


def find_dictionaries_beside(data: Path) -> list[Path]:
    """The REDCap data dictionaries in the data file's folder (a folder: in it), named like REDCap names its
    downloads (`Project_DataDictionary_2024-01-31.csv`) or `*dictionary*` / `*metadata*` (.csv or .json)."""
    folder = data if data.is_dir() else data.parent
    return [path for path in sorted(folder.iterdir())
            if path.is_file() and path != data and path.suffix.lower() in (".csv", ".json")
            and DICTIONARY_NAME.search(path.stem) and looks_like_dictionary(path)]


def looks_like_dictionary(path: Path) -> bool:
    """Cheap: the first bytes hold the dictionary's first header names."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    first = normalize_name(head.splitlines()[0] if head.splitlines() else "")
    in_csv = ("variablefieldname" in first or "fieldname" in first) and "formname" in first
    return in_csv or (head.lstrip().startswith("[") and "field_name" in head and "form_name" in head)
