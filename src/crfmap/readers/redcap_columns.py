"""What each column of a REDCap records export is, by its header and the data dictionary.

A raw export names its columns by field (`record_id`, `redcap_event_name`, `race___1`, `bp_complete`); a label
export by what the form shows (`Record ID`, `Event Name`, `Race (choice=White)`, `Complete?`). Labels repeat
(two fields may both ask "Confirmed?"), so label headers are matched in the order REDCap writes its columns:
the identifiers first, then each instrument's timestamp, fields (checkboxes one column per choice) and status.
"""

from __future__ import annotations

from dataclasses import dataclass

from crfmap.readers.redcap_dictionary import RedcapDictionary, RedcapField
from crfmap.sources.text import normalize_name, normalize_text

# Identifier columns REDCap adds, by raw name and by label.
SPECIAL = {
    "redcap_event_name": ("event", "Event Name"),
    "redcap_repeat_instrument": ("repeat_instrument", "Repeat Instrument"),
    "redcap_repeat_instance": ("repeat_instance", "Repeat Instance"),
    "redcap_data_access_group": ("group", "Data Access Group"),
    "redcap_survey_identifier": ("survey", "Survey Identifier"),
}
IDENTITY_KINDS = frozenset({"record", "event", "repeat_instrument", "repeat_instance"})


@dataclass(frozen=True, slots=True)
class ExportColumn:
    """One column of the export. `name` is what the instrument's table calls it (a checkbox choice column
    belongs to its field, `name` being the field); `instrument` is None for identifiers shared by all."""

    number: int
    kind: str  # record, event, repeat_instrument, repeat_instance, group, survey, field, choice, complete,
    #            timestamp, unknown
    name: str
    instrument: str | None = None
    code: str | None = None  # the choice's code, for a checkbox column
    text: str = ""  # the header as written


@dataclass(frozen=True, slots=True)
class Expected:
    """A column REDCap may write, with its raw name and its label."""

    kind: str
    name: str
    label: str
    instrument: str | None = None
    code: str | None = None


def expected_columns(dictionary: RedcapDictionary) -> list[Expected]:
    """Every column an export of this project may hold, in REDCap's order."""
    record = dictionary.record_id
    columns = [Expected("record", record.name, record.label or record.name, dictionary.instruments[0])]
    columns += [Expected(kind, name, label) for name, (kind, label) in SPECIAL.items()]
    for instrument in dictionary.instruments:
        columns.append(Expected("timestamp", f"{instrument}_timestamp", "Survey Timestamp", instrument))
        for item in dictionary.fields_of(instrument):
            if item is record:
                continue
            columns.extend(field_columns(item))
        columns.append(Expected("complete", f"{instrument}_complete", "Complete?", instrument))
    return columns


def field_columns(item: RedcapField) -> list[Expected]:
    if not item.is_checkbox:
        return [Expected("field", item.name, item.label or item.name, item.form)]
    return [Expected("choice", item.choice_column(code), f"{item.label} (choice={label})", item.form, code)
            for code, label in item.choices]


def plan_columns(header: dict[int, str], dictionary: RedcapDictionary) -> tuple[list[ExportColumn], bool]:
    """The columns of an export by its header row; True when the header holds labels rather than names."""
    expected = expected_columns(dictionary)
    by_name = {normalize_name(item.name): item for item in expected}
    raw_hits = sum(1 for text in header.values() if normalize_name(text) in by_name)
    label_keys = {normalize_text(item.label) for item in expected}
    label_hits = sum(1 for text in header.values() if normalize_text(text) in label_keys)
    if raw_hits >= label_hits:
        return [name_column(number, text, by_name) for number, text in sorted(header.items())], False
    return label_columns(header, expected), True


def name_column(number: int, text: str, by_name: dict[str, Expected]) -> ExportColumn:
    found = by_name.get(normalize_name(text))
    if found is None:
        return ExportColumn(number, "unknown", text.strip(), text=text)
    return from_expected(number, found, text)


def label_columns(header: dict[int, str], expected: list[Expected]) -> list[ExportColumn]:
    """Labels in REDCap's column order: each header takes the next unused column whose label it is."""
    columns = []
    position = 0
    for number, text in sorted(header.items()):
        key = normalize_text(text)
        found = next((index for index in range(position, len(expected))
                      if normalize_text(expected[index].label) == key), None)
        if found is None:  # out of order (a hand-edited export): any unused column with that label
            found = next((index for index in range(len(expected)) if normalize_text(expected[index].label) == key
                          and index < position), None)
            if found is None:
                columns.append(ExportColumn(number, "unknown", text.strip(), text=text))
                continue
        else:
            position = found + 1
        columns.append(from_expected(number, expected[found], text))
    return columns


def from_expected(number: int, item: Expected, text: str) -> ExportColumn:
    name = item.name
    if item.kind == "choice":
        name = item.name.rsplit("___", 1)[0]
    return ExportColumn(number, item.kind, name, item.instrument, item.code, text)
