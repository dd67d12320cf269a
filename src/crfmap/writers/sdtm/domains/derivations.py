"""Named SDTM derivations, one small function each, one registry: any domain uses the ones whose variables it has.

Standard ones run for every domain that has their variables (as the IG lists them; a class variable the IG
leaves out of a domain is not filled by a derivation, so RS gets no --LOBXFL): `sequence`, `study_day`,
`standard_result`, `last_observation_before_exposure`. Others run where a concept asks for them in
`sdtm.derive` (models in targets.py): `standard_units` (a parameter of `standard_result`), `baseline_flag`,
`epoch`, `visit_number`. Each derived variable names its Define-XML method (methods.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from crfmap.issues import make_issue
from crfmap.model import Coded, Quantity
from crfmap.standards.ucum import convert
from crfmap.writers.sdtm.domains.baseline import is_before, last_before, last_before_exposure
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.findings import LIMIT_SIGNS, RESULT
from crfmap.writers.sdtm.domains.rows import put
from crfmap.writers.sdtm.domains.targets import (
    BaselineFlag,
    EpochFromExposure,
    StandardUnits,
    VisitNumber,
)
from crfmap.writers.sdtm.domains.timing import assign_sequence, study_day
from crfmap.writers.sdtm.domains.values import decimal_text, number, submission_text

DAY_PAIRS = (("DY", "DTC"), ("STDY", "STDTC"), ("ENDY", "ENDTC"))  # --DY variable ← the date it counts from

Run = Callable[[DomainSpec, list[Draft], BuildContext], None]


@dataclass(frozen=True, slots=True)
class DerivationEntry:
    name: str
    variables: str  # what it fills, for the README
    method: str  # Define-XML MethodDef OID
    standard: bool  # runs for every domain with the variables; else only where a concept asks
    run: Run


def _owns(spec: DomainSpec, variable: str) -> bool:
    found = spec.variable(variable)
    return found is not None and not found.added


def derive_sequence(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """--SEQ 1, 2, 3 … per USUBJID in the drafts' sorted order (SDTMIG 4.1.5)."""
    variable = f"{spec.prefix}SEQ"
    if spec.has(variable):
        assign_sequence([draft.values for draft in drafts], variable)
        for draft in drafts:
            draft.origins[variable] = "D:MT.SEQ"


def derive_study_day(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """--DY/--STDY/--ENDY from the date and RFSTDTC, no day 0, none for partial dates (SDTMIG 4.4.4)."""
    for day_suffix, date_suffix in DAY_PAIRS:
        variable = f"{spec.prefix}{day_suffix}"
        if not spec.has(variable):
            continue
        for draft in drafts:
            when = draft.values.get(f"_{date_suffix}")
            if draft.record is not None and when is not None:
                reference = context.reference_start.get(draft.record.subject_id)
                if put(draft, spec, variable, study_day(when, reference), origin="D:MT.DY"):
                    draft.fields[variable] = draft.fields.get(f"{spec.prefix}{date_suffix}", "")


def derive_standard_result(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """--STRESC/--STRESN/--STRESU from the collected result: the same value and unit, or converted into the
    standard unit the concept declares (`standard_units`) with UCUM (M003 at the cell when it cannot be); a coded
    answer with a score (a questionnaire's 'Several days' = 1) gives the score, as CDISC's QRS supplements do."""
    for draft in drafts:
        result = draft.values.get(RESULT)
        if result is None or draft.target is None:
            continue
        value, limited = result
        prefix = spec.prefix
        stresc, stresn, stresu = f"{prefix}STRESC", f"{prefix}STRESN", f"{prefix}STRESU"
        if isinstance(value, Coded) and value.score is not None:  # a scored answer: its score (QRS)
            put(draft, spec, stresc, decimal_text(value.score), field="value_coded", origin="D:MT.STRESC")
            put(draft, spec, stresn, number(value.score), field="value_coded", origin="D:MT.STRESC")
        elif isinstance(value, Coded):
            if put(draft, spec, stresc, submission_text(value), field="value_coded", origin="D:MT.STRESC"):
                draft.codelists[stresc] = value.codelist
        elif isinstance(value, Quantity):
            _standard_quantity(draft, spec, context, value, limited)
        else:
            put(draft, spec, stresc, value, field="value_text", origin="D:MT.STRESC")
        for name in (stresn, stresu):
            if name in draft.values:
                draft.origins.setdefault(name, draft.origins.get(stresc, "D:MT.STRESC"))


def _standard_quantity(draft: Draft, spec: DomainSpec, context: BuildContext, quantity: Quantity,
                       limited: str | None) -> None:
    prefix = spec.prefix
    target = draft.target
    assert target is not None and draft.record is not None
    declared = target.derivation(StandardUnits)
    standard_unit = quantity.unit
    value: Decimal | None = quantity.value
    method = "D:MT.STRESC"
    if isinstance(declared, StandardUnits):  # one method for the concept's results, converted or already standard
        method = "D:MT.STRESCU"
        wanted = declared.units.get(str(draft.values.get(f"{prefix}TESTCD")), declared.units.get("*"))
        if wanted is not None and wanted != quantity.unit:
            value = None if quantity.unit is None else convert(quantity.value, quantity.unit, wanted,
                                                               declared.decimals)
            if value is None:
                cells = draft.cells_of(f"{prefix}ORRES")
                context.issues.append(make_issue(
                    "M003", at=cells[0] if cells else None, subject=draft.record.subject_id,
                    value=f"{quantity.value} {quantity.unit or '(no unit)'}", expected=wanted,
                    detail=f"{prefix}STRESN/{prefix}STRESU left empty: {quantity.unit!r} cannot be converted to the "
                           f"standard unit {wanted!r}"))
                return
            standard_unit = wanted
            _convert_lloq(draft, spec, quantity.unit or "", wanted, declared.decimals)
    assert value is not None
    if limited and standard_unit == quantity.unit:
        text = limited  # as written: "<0.01"
    elif limited and limited.startswith(LIMIT_SIGNS):
        text = limited[:1] + decimal_text(value)  # the limit, converted: "<0.01" % → "<0.0001" (ratio)
    else:
        text = decimal_text(value)
    put(draft, spec, f"{prefix}STRESC", text, field="value_quantity", origin=method)
    if not limited:
        put(draft, spec, f"{prefix}STRESN", number(value), field="value_quantity", origin=method)
    put(draft, spec, f"{prefix}STRESU", context.unit(standard_unit, draft.record), field="value_quantity",
        origin=method)


def _convert_lloq(draft: Draft, spec: DomainSpec, source: str, target: str, decimals: int | None) -> None:
    """--LLOQ is in standard units: a converted result converts its threshold too."""
    variable = f"{spec.prefix}LLOQ"
    threshold = draft.values.get(variable)
    if isinstance(threshold, (int, float)):
        converted = convert(Decimal(str(threshold)), source, target, decimals)
        draft.values[variable] = None if converted is None else number(converted)


def derive_last_before_exposure(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """--LOBXFL = Y on the last non-missing result before RFXSTDTC per subject, test and specimen (4.5.9)."""
    variable = f"{spec.prefix}LOBXFL"
    if _owns(spec, variable):
        for draft in last_before_exposure(spec, drafts, context):
            put(draft, spec, variable, "Y", origin="D:MT.LOBXFL")


def derive_baseline_flag(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """--BLFL = Y, for concepts that ask for it, on the last non-missing result before first exposure (the --LOBXFL
    record) when RFSTDTC is the first exposure; when the study's reference start is consent or enrolment (a study
    without treatment), on the last one on or before that day."""
    variable = f"{spec.prefix}BLFL"
    asking = [draft for draft in drafts if draft.target is not None and draft.target.derivation(BaselineFlag)]
    if asking and spec.has(variable):
        baseline = (last_before_exposure(spec, drafts, context) if context.settings.reference_start == "exposure"
                    else last_before(spec, drafts, context.reference_start, inclusive=True))
        chosen = {id(draft) for draft in baseline}
        for draft in asking:
            if id(draft) in chosen:
                put(draft, spec, variable, "Y", origin="D:MT.BLFL")


def derive_epoch(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """EPOCH from the record's (start) date against the subject's first and last exposure; null when the dates
    cannot be compared (partial, or a subject never exposed)."""
    for draft in drafts:
        asked = draft.target.derivation(EpochFromExposure) if draft.target is not None else None
        if not isinstance(asked, EpochFromExposure) or draft.record is None or draft.sort_date is None:
            continue
        subject = draft.record.subject_id
        first, last = context.exposure_start.get(subject), context.reference_end.get(subject)
        if first is None:
            continue
        day, last_day = draft.sort_date.to_date(), last.to_date() if last is not None else None
        epoch: str | None = None
        if is_before(draft.sort_date, first):
            epoch = asked.before
        elif day is not None and last_day is not None and day > last_day:
            epoch = asked.after
        elif day is not None and first.to_date() is not None and day >= first.to_date():  # type: ignore[operator]
            epoch = asked.during
        put(draft, spec, "EPOCH", epoch, origin="D:MT.EPOCHEX")


def derive_visit_number(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """VISITNUM from VISIT through study.yaml `sdtm.visits`; a visit not in it is warned (W073)."""
    numbers = {visit.name: visit.number for visit in context.settings.visits}
    for draft in drafts:
        asked = draft.target.derivation(VisitNumber) if draft.target is not None else None
        visit = draft.values.get("VISIT")
        if asked is None or draft.record is None or visit is None or draft.values.get("VISITNUM") is not None:
            continue
        if visit in numbers:
            put(draft, spec, "VISITNUM", number(Decimal(str(numbers[visit]))), origin="D:MT.VISITNUM")
        else:
            cells = draft.cells_of("VISIT")
            context.issues.append(make_issue("W073", at=cells[0] if cells else None,
                                             subject=draft.record.subject_id, value=visit,
                                             expected=", ".join(sorted(numbers)) or "(no visits declared)"))


DERIVATIONS: tuple[DerivationEntry, ...] = (
    DerivationEntry("visit_number", "VISITNUM", "MT.VISITNUM", False, derive_visit_number),
    DerivationEntry("standard_result", "--STRESC, --STRESN, --STRESU (a scored answer: its score; "
                    "`standard_units`: converted with UCUM)",
                    "MT.STRESC", True, derive_standard_result),
    DerivationEntry("sequence", "--SEQ", "MT.SEQ", True, derive_sequence),
    DerivationEntry("study_day", "--DY, --STDY, --ENDY", "MT.DY", True, derive_study_day),
    DerivationEntry("last_observation_before_exposure", "--LOBXFL", "MT.LOBXFL", True, derive_last_before_exposure),
    DerivationEntry("baseline_flag", "--BLFL", "MT.BLFL", False, derive_baseline_flag),
    DerivationEntry("epoch", "EPOCH", "MT.EPOCHEX", False, derive_epoch),
)


def run_derivations(spec: DomainSpec, drafts: list[Draft], context: BuildContext) -> None:
    """Every derivation in registry order, on one domain's drafts (sorted; --SEQ needs the order): the whole
    domain's, or one subject's (each derivation works within a subject)."""
    for step, entry in enumerate(DERIVATIONS, start=1):
        context.issues.step(step)
        entry.run(spec, drafts, context)
