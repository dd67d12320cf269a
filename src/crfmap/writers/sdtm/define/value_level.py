"""Value-level metadata (Define-XML 2.1 def:ValueListDef / def:WhereClauseDef) of the SDTM datasets:

- every Findings domain: --ORRES, --STRESC and --STRESN per --TESTCD (data type, length, the test's result code
  list, its CRF item, the --STRESC method);
- every SUPP--: QVAL per QNAM (label, data type, code list, origin from QORIG and the CRF item);
- TS: TSVAL per TSPARMCD (data type: date, duration, integer or text; the parameter's CDISC response code list).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from crfmap.study import models
from crfmap.writers.sdtm.controlled_terms.bindings import TS_RESPONSES
from crfmap.writers.sdtm.controlled_terms.terminology import StudyTerminology, find_codelist
from crfmap.writers.sdtm.dataset import Dataset, DataType, Origin, Variable
from crfmap.writers.sdtm.define.codelists import ct_codelist_id
from crfmap.writers.sdtm.define.origins import Item, collected_origin, operation_items, qualifier_items
from crfmap.writers.sdtm.define_metadata import ValueItem, ValueList
from crfmap.writers.sdtm.define_numbers import measure_number
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows
from crfmap.writers.sdtm.domains.targets import concept_targets, read_study_sdtm

RESULTS = ("ORRES", "STRESC", "STRESN")
RESULT_FIELDS = ("value_quantity", "value_coded", "value_text")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?$")
_INTEGER = re.compile(r"^-?\d+$")


def build_value_lists(datasets: list[Dataset], study: models.StudyMapping,
                      terms: StudyTerminology | None) -> tuple[ValueList, ...]:
    annotated_crf = read_study_sdtm(study).annotated_crf
    tests = _test_sources(study)
    lists: list[ValueList] = []
    for dataset in datasets:
        if dataset.klass == "FINDINGS":
            lists.extend(_findings(dataset, tests, annotated_crf))
        elif dataset.name.startswith("SUPP"):
            lists.extend(_supplemental(dataset, study, annotated_crf))
        elif dataset.name == "TS":
            lists.extend(_trial_summary(dataset, study, terms))
    return tuple(value_list for value_list in lists if value_list.items)


def value_level_terms(datasets: list[Dataset], value_lists: tuple[ValueList, ...]) -> list[tuple[str, set[str]]]:
    """(code list id, the values of its value-level items) for the define code lists."""
    by_name = {dataset.name: dataset for dataset in datasets}
    wanted: dict[str, dict[str, None]] = {}  # dataset → the variables its coded items read
    for value_list in value_lists:
        for item in value_list.items:
            if item.codelist:
                wanted.setdefault(value_list.dataset, {}).update(dict.fromkeys((item.where_variable, item.variable)))
    found = []
    columns: tuple[str, dict[str, Sequence[Any]]] | None = None  # one dataset's, read in one pass when first needed
    for value_list in value_lists:
        for item in value_list.items:
            if not item.codelist:
                continue
            if columns is None or columns[0] != value_list.dataset:
                columns = (value_list.dataset, columns_of_rows(by_name[value_list.dataset].rows,
                                                               wanted[value_list.dataset]))
            where, values = columns[1][item.where_variable], columns[1][item.variable]
            found.append((item.codelist, {str(value) for key, value in zip(where, values, strict=True)
                                          if key == item.where_value and value not in (None, "")}))
    return found


def _test_sources(study: models.StudyMapping) -> dict[tuple[str, str], tuple[list[Item], str | None]]:
    """(domain, --TESTCD) → the CRF items of its result and the code list of a coded result."""
    found: dict[tuple[str, str], tuple[list[Item], str | None]] = {}
    for concept, target in concept_targets(study):
        test = concept.fields.get("test")
        if concept.record != "finding" or not isinstance(test, models.ConstantCodeOp):
            continue
        items: list[Item] = []
        codelist = None
        for name in RESULT_FIELDS:
            operation = concept.fields.get(name)
            if operation is None:
                continue
            items.extend(operation_items(study, concept, operation))
            if name == "value_coded":
                codelist = _codelist_of(study, concept, operation)
        known_items, known_codelist = found.get((target.domain, test.value), ([], None))
        found[(target.domain, test.value)] = (known_items + [item for item in items if item not in known_items],
                                              known_codelist or codelist)
    return found


def _codelist_of(study: models.StudyMapping, concept: models.ConceptSpec, operation: object) -> str | None:
    if isinstance(operation, (models.ConstantCodeOp, models.MapBooleanOp)):
        return operation.codelist
    if isinstance(operation, models.CodeOp):
        form = study.forms.get(concept.form)
        column = form.column(operation.column) if form else None
        return column.codelist if column else None
    return None


def _findings(dataset: Dataset, tests: dict[tuple[str, str], tuple[list[Item], str | None]],
              annotated_crf: str | None) -> Iterator[ValueList]:
    prefix = dataset.name[:2]
    testcd, test = f"{prefix}TESTCD", f"{prefix}TEST"
    if not any(variable.name == testcd for variable in dataset.variables):
        return
    results = [variable for suffix in RESULTS for variable in dataset.variables if variable.name == prefix + suffix]
    columns = columns_of_rows(dataset.rows, [testcd, test, *(variable.name for variable in results)])
    groups = _rows_by_value(columns[testcd])
    codes = sorted({str(code) for code in groups})
    for variable in results:
        suffix = variable.name[len(prefix):]
        column = columns[variable.name]
        items = []
        for code in codes:
            rows = groups.get(code, [])
            values = [column[index] for index in rows if column[index] is not None]
            if not values:
                continue
            sources, codelist = tests.get((dataset.name, code), ([], None))
            origin, method = _result_origin(variable, sources, annotated_crf)
            name = str(columns[test][rows[0]] or code)
            items.append(_item(dataset, variable, testcd, code, f"{name}: {variable.label}", values,
                               codelist if suffix != "STRESN" else None, origin, method))
        yield ValueList(dataset.name, variable.name, tuple(items))


def _rows_by_value(column: Sequence[Any]) -> dict[Any, list[int]]:
    """The indexes of the rows holding each value of `column` (a test code, a QNAM), in row order; nulls and
    empty texts left out."""
    groups: dict[Any, list[int]] = {}
    for index, value in enumerate(column):
        if value:
            groups.setdefault(value, []).append(index)
    return groups


def _result_origin(variable: Variable, sources: list[Item], annotated_crf: str | None,
                   ) -> tuple[Origin | None, str | None]:
    if variable.method is not None:  # --STRESC / --STRESN: derived from --ORRES
        return variable.origin, variable.method
    if sources:
        return collected_origin(sources, annotated_crf), None
    return variable.origin, None


def _supplemental(dataset: Dataset, study: models.StudyMapping, annotated_crf: str | None) -> Iterator[ValueList]:
    qval = next((variable for variable in dataset.variables if variable.name == "QVAL"), None)
    if qval is None:
        return
    sources = qualifier_items(study)
    codelists = _qualifier_codelists(study)
    items = []
    columns = columns_of_rows(dataset.rows, ("QNAM", "QVAL", "QLABEL"))
    groups = _rows_by_value(columns["QNAM"])
    qvals = columns["QVAL"]
    for qnam in sorted({str(code) for code in groups}):
        rows = groups.get(qnam, [])
        values = [qvals[index] for index in rows if qvals[index] is not None]
        found, qorig = sources.get((dataset.name, qnam), ([], "Collected"))
        if qorig in ("Collected", "CRF") and found:
            origin: Origin | None = collected_origin(found, annotated_crf)
        else:
            origin = Origin("Collected" if qorig == "CRF" else qorig)  # type: ignore[arg-type]
        label = str((columns["QLABEL"][rows[0]] if rows else None) or qnam)
        items.append(_item(dataset, qval, "QNAM", qnam, label, values, codelists.get((dataset.name, qnam)), origin,
                           None, text_only=True))
    yield ValueList(dataset.name, "QVAL", tuple(items))


def _qualifier_codelists(study: models.StudyMapping) -> dict[tuple[str, str], str]:
    found = {}
    for concept, target in concept_targets(study):
        for name, supp in target.supp.items():
            operation = concept.qualifiers.get(name) or concept.fields.get(name)
            codelist = _codelist_of(study, concept, operation) if operation is not None else None
            if codelist is not None:
                found[(f"SUPP{target.domain}", supp.qnam)] = codelist
    return found


def _trial_summary(dataset: Dataset, study: models.StudyMapping,
                   terms: StudyTerminology | None) -> Iterator[ValueList]:
    tsval = next((variable for variable in dataset.variables if variable.name == "TSVAL"), None)
    if tsval is None:
        return
    declared = {entry.parmcd for entry in read_study_sdtm(study).ts}
    items = []
    for code in sorted({str(row["TSPARMCD"]) for row in dataset.rows if row.get("TSPARMCD")}):
        rows = [row for row in dataset.rows if row.get("TSPARMCD") == code]
        values = [row.get("TSVAL") for row in rows if row.get("TSVAL") is not None]
        if not values:
            continue
        response = TS_RESPONSES.get(code)
        codelist = find_codelist(terms.release, response) if terms is not None and response else None
        derived = code == "SSTDTC" and code not in declared
        origin = Origin("Derived", "Sponsor") if derived else Origin("Protocol", "Sponsor")
        items.append(_item(dataset, tsval, "TSPARMCD", code, str(rows[0].get("TSPARM") or code), values,
                           ct_codelist_id(study, codelist) if codelist is not None else None, origin,
                           "MT.SSTDTC" if derived else None, typed=True))
    yield ValueList(dataset.name, "TSVAL", tuple(items))


def _item(dataset: Dataset, variable: Variable, where_variable: str, where_value: str, label: str,
          values: Sequence[object], codelist: str | None, origin: Origin | None, method: str | None,
          text_only: bool = False, typed: bool = False) -> ValueItem:
    data_type, length, digits = _measure(variable, values, text_only, typed)
    return ValueItem(dataset=dataset.name, variable=variable.name, where_variable=where_variable,
                     where_value=where_value, label=label, data_type=data_type, length=length,
                     significant_digits=digits, codelist=codelist, origin=origin, method=method)


def _measure(variable: Variable, values: Sequence[object], text_only: bool,
             typed: bool) -> tuple[DataType, int | None, int | None]:
    """The data type of a value-level item, its Length and SignificantDigits, from its values."""
    if variable.data_type in ("integer", "float") and not text_only:
        digits, decimals = measure_number(values)
        return variable.data_type, digits, decimals if variable.data_type == "float" else None
    texts = [str(value) for value in values]
    length = max((len(text) for text in texts), default=1)
    if typed and texts and all(_DATE.match(text) for text in texts):
        return "date", None, None
    if typed and texts and all(_DURATION.match(text) for text in texts):
        return "durationDatetime", None, None
    if typed and texts and all(_INTEGER.match(text) for text in texts):
        return "integer", length, None
    return "text", length, None
