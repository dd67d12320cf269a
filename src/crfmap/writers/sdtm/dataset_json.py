"""CDISC Dataset-JSON 1.1 (`.json`) and its NDJSON form (`.ndjson`), streamed row by row.

The metadata mirrors the XPT and define.xml: itemOID IT.<DATASET>.<VARIABLE>, itemGroupOID IG.<DATASET>,
the same lengths (pass a Dataset from `prepare_dataset`), keySequence from the dataset keys.
Types: Define-XML text → "string" (with length), integer → "integer", float → "float", date → "date",
datetime → "datetime", the partial/incomplete/duration types → "string" (they are not complete ISO 8601
dates). Missing values: numbers → null; text → "" as in CDISC's own SDTM-MSG v2 files (an XPT cannot tell
an empty text from a missing one, and the two files must hold the same data).

datasetJSONCreationDateTime is required by the schema; it comes from the caller (`DatasetJsonHeader`), never
from the clock, so the same input gives the same bytes. The API uses the study's data cut-off.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.domains.stored_rows import column_chunks
from crfmap.writers.sdtm.oids import item_group_oid, item_oid
from crfmap.writers.sdtm.output_file import open_output
from crfmap.writers.sdtm.preparation import is_numeric, measure_lengths

DATASET_JSON_VERSION = "1.1.0"
EPOCH_DATETIME = "1970-01-01T00:00:00"  # the stamp to use when a study has no data cut-off
_TYPES = {"text": "string", "integer": "integer", "float": "float", "date": "date", "datetime": "datetime"}


@dataclass(frozen=True, slots=True)
class DatasetJsonHeader:
    """File-level metadata the caller fixes: creation stamp (ISO 8601 datetime), study and define OIDs."""

    creation_datetime: str  # e.g. "2024-03-31T00:00:00": the data cut-off, not the wall clock
    study_oid: str
    metadata_version_oid: str
    originator: str | None = None
    source_system: tuple[str, str] | None = None  # (name, version)
    db_last_modified: str | None = None
    metadata_ref: str = "define.xml"


def dataset_json_type(variable: Variable) -> str:
    """The Dataset-JSON 1.1 dataType of a variable."""
    return _TYPES.get(variable.data_type, "string")


def describe_dataset(dataset: Dataset, header: DatasetJsonHeader) -> dict[str, Any]:
    """The Dataset-JSON metadata object (everything but `rows`), keys in the order of the standard."""
    meta: dict[str, Any] = {
        "datasetJSONCreationDateTime": header.creation_datetime,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{header.study_oid}/{header.metadata_version_oid}/{dataset.name}",
    }
    if header.db_last_modified:
        meta["dbLastModifiedDateTime"] = header.db_last_modified
    if header.originator:
        meta["originator"] = header.originator
    if header.source_system:
        meta["sourceSystem"] = {"name": header.source_system[0], "version": header.source_system[1]}
    meta.update({
        "studyOID": header.study_oid,
        "metaDataVersionOID": header.metadata_version_oid,
        "metaDataRef": header.metadata_ref,
        "itemGroupOID": item_group_oid(dataset.name),
        "records": len(dataset.rows),
        "name": dataset.name,
        "label": dataset.label,
        "columns": describe_columns(dataset),
    })
    return meta


def describe_columns(dataset: Dataset) -> list[dict[str, Any]]:
    # a prepared dataset's text variables know their length; measuring walks every row, so only when one does not
    unmeasured = any(not variable.length and not is_numeric(variable) for variable in dataset.variables)
    lengths = measure_lengths(dataset) if unmeasured else {}
    columns = []
    for variable in dataset.variables:
        column: dict[str, Any] = {"itemOID": item_oid(dataset.name, variable.name), "name": variable.name,
                                  "label": variable.label, "dataType": dataset_json_type(variable)}
        if column["dataType"] == "string":
            column["length"] = variable.length or lengths[variable.name]
        if variable.display_format:
            column["displayFormat"] = variable.display_format
        key = key_sequence(dataset, variable)
        if key is not None:
            column["keySequence"] = key
        columns.append(column)
    return columns


def key_sequence(dataset: Dataset, variable: Variable) -> int | None:
    """The variable's KeySequence: its own, else its 1-based place in `dataset.keys`."""
    if variable.key_sequence is not None:
        return variable.key_sequence
    if variable.name in dataset.keys:
        return dataset.keys.index(variable.name) + 1
    return None


def encode_rows(dataset: Dataset) -> Iterator[bytes]:
    """Each row as a JSON array, in variable order; converted a column at a time, a chunk of rows at once."""
    numeric = [is_numeric(variable) for variable in dataset.variables]
    rows = dataset.rows
    if not numeric:
        yield from (b"[]" for _ in rows)
        return
    for columns in column_chunks(rows, [variable.name for variable in dataset.variables], _CHUNK_ROWS):
        converted = [_number_column(column) if number else _text_column(column)
                     for column, number in zip(columns, numeric, strict=True)]
        yield from map(orjson.dumps, zip(*converted, strict=True))


_CHUNK_ROWS = 4_096
_WHOLE = frozenset({int, type(None)})  # numbers written as they are


def _text_column(column: Sequence[Any]) -> Sequence[Any]:
    return [_convert_text(value) for value in column] if None in column else column


def _number_column(column: Sequence[Any]) -> Sequence[Any]:
    return column if set(map(type, column)) <= _WHOLE else [_convert_number(value) for value in column]


def write_dataset_json(dataset: Dataset, target: Path, header: DatasetJsonHeader) -> None:
    """Write `dataset` as one Dataset-JSON 1.1 document, atomically."""
    with open_output(Path(target)) as stream:
        write_dataset_json_stream(dataset, stream, header)


def write_dataset_json_stream(dataset: Dataset, stream: IO[bytes], header: DatasetJsonHeader) -> None:
    meta = orjson.dumps(describe_dataset(dataset, header))
    stream.write(meta[:-1] + b',"rows":[')
    for number, row in enumerate(encode_rows(dataset)):
        if number:
            stream.write(b",")
        stream.write(row)
    stream.write(b"]}")


def write_dataset_ndjson(dataset: Dataset, target: Path, header: DatasetJsonHeader) -> None:
    """Write `dataset` as Dataset-JSON 1.1 NDJSON: the metadata line, then one row array per line."""
    with open_output(Path(target)) as stream:
        stream.write(orjson.dumps(describe_dataset(dataset, header)) + b"\n")
        for row in encode_rows(dataset):
            stream.write(row + b"\n")


def _convert_text(value: Any) -> str:
    return "" if value is None else value


def _convert_number(value: Any) -> int | float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # 3.0 → 3, as CDISC's files write whole numbers
    return value
