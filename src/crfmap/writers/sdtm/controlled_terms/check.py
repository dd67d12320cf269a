"""Write-time CT check: every value of every CT-bound variable of the datasets, against the study's CT release.

W080 for a value outside a code list that cannot be extended, W081 for a value outside an extensible one that the
study does not declare, W082 for a --TEST (TSPARM) that is not the CDISC name of its --TESTCD (TSPARMCD). Each is
reported once per dataset, variable and value, at the first row's cells, with how many rows carry it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crfmap.issues import Issue, make_issue
from crfmap.study.models import StudyMapping
from crfmap.writers.sdtm.controlled_terms.bindings import TS_RESPONSES, paired_code_variable, variable_codes
from crfmap.writers.sdtm.controlled_terms.terminology import StudyTerminology, Verdict, find_codelist
from crfmap.writers.sdtm.dataset import Dataset, Variable
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows
from crfmap.writers.sdtm.preparation import locate_row

# A result's code list (e.g. LBSTRESC C102580) holds its character results; a number is no term of it.
RESULT_SUFFIXES = ("ORRES", "STRESC")
_LIMITS = "<>≤≥="


def is_numeric_result(value: str) -> bool:
    """'12.5', '<0.01', '>= 3': a number, or one below/above a limit."""
    text = value.strip().lstrip(_LIMITS).strip()
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Binding:
    """The code lists one value is checked against, and where that binding comes from (for messages)."""

    codes: tuple[str, ...]
    source: str


def value_binding(terms: StudyTerminology, study: StudyMapping, dataset: Dataset, variable: Variable,
                  row: Mapping[str, object]) -> Binding | None:
    """The code lists a value of `dataset.variable` in `row` must come from; None when it is not CT-bound."""
    if dataset.name == "TS" and variable.name == "TSVAL":
        response = TS_RESPONSES.get(str(row.get("TSPARMCD")))
        codelist = find_codelist(terms.release, response) if response else None
        return Binding((codelist.code,), f"TSVAL where TSPARMCD = {row.get('TSPARMCD')}") if codelist else None
    linked = _linked_codelist(study, variable)
    if linked is not None:
        return Binding((linked,), f"code list {variable.codelist!r} of the mapping")
    codes = variable_codes(study.study.standards.sdtmig, dataset.name, variable.name)
    return Binding(codes, "SDTMIG") if codes else None


def _linked_codelist(study: StudyMapping, variable: Variable) -> str | None:
    """A value-level code list: the CDISC code list the mapping's code list is linked to (e.g. NY for a Y/N result
    in RSORRES), which takes the place of the variable's SDTMIG code list."""
    source = study.codelists.get(variable.codelist) if variable.codelist else None
    return source.cdisc.nci_code if source is not None and source.cdisc is not None else None


def check_terminology(datasets: list[Dataset], terms: StudyTerminology, study: StudyMapping) -> list[Issue]:
    issues: list[Issue] = []
    for dataset in datasets:
        plans = [plan for variable in dataset.variables if (plan := _plan(dataset, variable, terms, study))]
        # the values every judged variable needs, in one pass over the rows (stored rows are read once)
        columns = columns_of_rows(dataset.rows, dict.fromkeys(name for plan in plans for name in plan.names))
        for plan in plans:
            issues.extend(_check_variable(dataset, plan, columns, terms, study))
    return issues


@dataclass(frozen=True, slots=True)
class _Plan:
    """How a variable's values are judged: against its paired code's name, a fixed binding, or (TSVAL) the
    binding of its row."""

    variable: Variable
    paired: str | None  # the code variable whose CDISC name the value must be (--TEST of --TESTCD)
    fixed: Binding | None
    row_bound: bool

    @property
    def names(self) -> tuple[str, ...]:
        return (self.variable.name, self.paired) if self.paired else (self.variable.name,)


def _plan(dataset: Dataset, variable: Variable, terms: StudyTerminology, study: StudyMapping) -> _Plan | None:
    paired = paired_code_variable(dataset.name, variable.name)
    # Only TSVAL's code list depends on its row (on TSPARMCD); every other variable's binding is the same for all.
    row_bound = dataset.name == "TS" and variable.name == "TSVAL"
    fixed = None if row_bound or paired is not None else value_binding(terms, study, dataset, variable, {})
    if fixed is None and not row_bound and paired is None:
        return None  # no code list governs the variable: nothing to judge on any row
    return _Plan(variable, paired, fixed, row_bound)


def _check_variable(dataset: Dataset, plan: _Plan, columns: dict[str, Sequence[Any]], terms: StudyTerminology,
                    study: StudyMapping) -> Iterator[Issue]:
    variable, paired, fixed, row_bound = plan.variable, plan.paired, plan.fixed, plan.row_bound
    seen: dict[tuple[str, str], list[int]] = {}
    found: dict[tuple[str, str], tuple[Verdict, Binding] | tuple[str, str]] = {}
    # A domain repeats a few values on thousands of rows: each (value, code list) is judged once, passed or not.
    passed: set[tuple[str, str]] = set()
    codes = columns[paired] if paired is not None else None
    for index, value in enumerate(columns[variable.name]):
        if not isinstance(value, str) or value == "":
            continue
        if codes is not None:
            code = codes[index]
            key = (value, str(code))
            if key in passed:
                continue
            if key not in found:
                assert paired is not None
                expected = _expected_name(dataset, paired, code, terms, study)
                if expected is None or expected == value:
                    passed.add(key)
                    continue
                found[key] = (expected, str(code))
            seen.setdefault(key, []).append(index)
            continue
        binding = value_binding(terms, study, dataset, variable, dataset.rows[index]) if row_bound else fixed
        if binding is None or (variable.name.endswith(RESULT_SUFFIXES) and is_numeric_result(value)):
            continue
        key = (value, binding.codes[0] if binding.codes else "")
        if key in passed:
            continue
        if key not in found:
            verdict = terms.judge(value, binding.codes)
            if verdict.ok:
                passed.add(key)
                continue
            found[key] = (verdict, binding)
        seen.setdefault(key, []).append(index)
    for key, rows in seen.items():
        yield _issue(dataset, variable, key[0], rows, found[key], terms)


def _expected_name(dataset: Dataset, code_variable: str, code: object, terms: StudyTerminology,
                   study: StudyMapping) -> str | None:
    """The CDISC name of a CT test code (LBTEST of LBTESTCD BLASTLE); None when the code is not a CT term."""
    if not isinstance(code, str):
        return None
    code_codes = variable_codes(study.study.standards.sdtmig, dataset.name, code_variable)
    name_variable = "TSPARM" if code_variable == "TSPARMCD" else code_variable[:-2]
    name_codes = variable_codes(study.study.standards.sdtmig, dataset.name, name_variable)
    verdict = terms.judge(code, code_codes)
    if verdict.term is None:
        return None
    for codelist in terms.codelists(name_codes):
        named = next((term for term in codelist if term.code == verdict.term.code), None)
        if named is not None:
            return named.submission_value
    return None


def _issue(dataset: Dataset, variable: Variable, value: str, rows: list[int],
           found: tuple[Verdict, Binding] | tuple[str, str], terms: StudyTerminology) -> Issue:
    where = f"{dataset.name}.{variable.name} ({len(rows)} row{'s' if len(rows) != 1 else ''}, first row {rows[0] + 1})"
    place = locate_row(dataset, rows[0])
    if isinstance(found[0], str):
        expected, code = found
        return make_issue("W082", value=value, expected=f"{expected!r} for {code!r}", detail=where, **place)
    verdict, binding = found
    expected = terms.describe(binding.codes)
    if verdict.hint:
        expected += f"; did you mean {verdict.hint!r}?"
    code = "W081" if verdict.kind == "undeclared" else "W080"
    return make_issue(code, value=value, expected=expected, detail=f"{where}, bound by {binding.source}", **place)
