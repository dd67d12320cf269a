"""Subjects → DM (SDTMIG 3.4 section 5.2), with the subject reference dates every --DY depends on.

RFSTDTC = RFXSTDTC = first study treatment start in EX; RFENDTC = RFXENDTC = last study treatment end (start
when no end); RFPENDTC = the latest date collected for the subject; DTHDTC/DTHFL from a DS record with
DSDECOD DEATH. AGE is the collected age, or whole years from BRTHDTC to RFSTDTC when only complete dates are
known (MT.AGE). USUBJID = STUDYID-SUBJID (MT.USUBJID).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from crfmap.model import Intervention, PartialDate, Record, Subject
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.rows import ASSIGNED, put, put_coded, start_draft
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import dtc, number, submission_text

DEATH = "DEATH"  # NCOMPLT submission value (C28554)
AGE_UNITS = {"a": "YEARS", "mo": "MONTHS", "wk": "WEEKS", "d": "DAYS", "h": "HOURS"}  # UCUM → CDISC AGEU
DATE_FIELDS = ("start", "end", "date", "consent_date", "enrolment_date")


@dataclass(frozen=True, slots=True)
class Exposure:
    first: PartialDate | None
    last: PartialDate | None


def find_exposure(records: Iterable[Intervention]) -> dict[str, Exposure]:
    """Per subject: earliest EX start and latest EX end (or start), at the precision collected."""
    starts: dict[str, list[PartialDate]] = {}
    ends: dict[str, list[PartialDate]] = {}
    for record in records:
        if record.start is not None:
            starts.setdefault(record.subject_id, []).append(record.start)
        last = record.end or record.start
        if last is not None:
            ends.setdefault(record.subject_id, []).append(last)
    subjects = set(starts) | set(ends)
    return {subject: Exposure(min(starts.get(subject, []), key=PartialDate.sort_key, default=None),
                              max(ends.get(subject, []), key=PartialDate.sort_key, default=None))
            for subject in subjects}


REFERENCE_FIELDS = {"consent": ("consent_date", "D:MT.RFSTDTC.CONSENT"),
                    "enrolment": ("enrolment_date", "D:MT.RFSTDTC.ENROL")}


def find_reference_starts(reference: str, exposure_start: dict[str, PartialDate],
                          subjects: Iterable[Record]) -> dict[str, PartialDate]:
    """RFSTDTC per subject: the first exposure, or (study.yaml sdtm.reference_start) the consent or enrolment
    date of the subject's DM record, as collected."""
    if reference == "exposure":
        return dict(exposure_start)
    field_name = REFERENCE_FIELDS[reference][0]
    return {record.subject_id: when for record in subjects
            if isinstance(when := getattr(record, field_name, None), PartialDate)}


def find_last_dates(records: Iterable[Record]) -> dict[str, PartialDate]:
    """Per subject, the latest date of any record (RFPENDTC)."""
    latest: dict[str, PartialDate] = {}
    for record in records:
        for name in DATE_FIELDS:
            when = getattr(record, name, None)
            if isinstance(when, PartialDate):
                current = latest.get(record.subject_id)
                if current is None or when.sort_key() > current.sort_key():
                    latest[record.subject_id] = when
    return latest


def find_deaths(drafts: Iterable[Draft]) -> dict[str, str | None]:
    """Per subject with a DS DEATH record: its DSSTDTC."""
    return {draft.record.subject_id: draft.values.get("DSSTDTC") for draft in drafts
            if draft.record is not None and draft.values.get("DSDECOD") == DEATH}


def draft_subject(record: Subject, spec: DomainSpec, target: SdtmTarget, context: BuildContext,
                  exposure: Exposure | None, last_date: PartialDate | None, death: tuple[bool, str | None]) -> Draft:
    draft = start_draft(record, spec, target, context, None)
    first = exposure.first if exposure else None
    last = exposure.last if exposure else None
    reference = context.settings.reference_start
    start_method = REFERENCE_FIELDS[reference][1] if reference in REFERENCE_FIELDS else "D:MT.RFSTDTC"
    derived = {"RFSTDTC": (context.reference_start.get(record.subject_id), start_method),
               "RFXSTDTC": (first, "D:MT.RFSTDTC"),
               "RFENDTC": (last, "D:MT.RFENDTC"), "RFXENDTC": (last, "D:MT.RFENDTC"),
               "RFPENDTC": (last_date, "D:MT.RFPENDTC")}
    for name, (when, method) in derived.items():
        put(draft, spec, name, dtc(when), origin=method)
    put(draft, spec, "SUBJID", record.subject_id, field="subject_id")
    put(draft, spec, "RFICDTC", dtc(record.consent_date), field="consent_date")
    put(draft, spec, "DTHDTC", death[1], origin="D:MT.DTHDTC")
    put(draft, spec, "DTHFL", "Y" if death[0] else None, origin="D:MT.DTHDTC")
    put(draft, spec, "SITEID", record.site, field="site")
    put(draft, spec, "BRTHDTC", dtc(record.birth_date), field="birth_date")
    put(draft, spec, "COUNTRY", record.country, field="country")
    put(draft, spec, "COUNTRY", None if record.country else context.study.study.country, origin=ASSIGNED)
    age, unit, age_derived = _age(record, context.reference_start.get(record.subject_id))
    put(draft, spec, "AGE", age, field="age", origin="D:MT.AGE" if age_derived else None)
    put(draft, spec, "AGEU", unit, field="age", origin="D:MT.AGE" if age_derived else None)
    put_coded(draft, spec, target, context, "SEX", "sex", record.sex)
    put_coded(draft, spec, target, context, "RACE", "race", record.race)
    put_coded(draft, spec, target, context, "ETHNIC", "ethnicity", record.ethnicity)
    _fill_arms(draft, spec, record, context)
    return draft


def _age(record: Subject, reference: PartialDate | None) -> tuple[int | float | None, str | None, bool]:
    """AGE and AGEU as collected, else whole years from BRTHDTC to RFSTDTC (and whether they were derived)."""
    if record.age is not None:
        unit = AGE_UNITS.get(record.age.unit or "")
        return number(record.age.value), unit, False
    birth = record.birth_date.to_date() if record.birth_date else None
    start = reference.to_date() if reference else None
    if birth is None or start is None:
        return None, None, False
    return _whole_years(birth, start), "YEARS", True


def _whole_years(birth: date, on: date) -> int:
    years = on.year - birth.year
    return years - 1 if (on.month, on.day) < (birth.month, birth.day) else years


def _fill_arms(draft: Draft, spec: DomainSpec, record: Subject, context: BuildContext) -> None:
    names = {arm.code: arm.name for arm in context.study.study.arms}
    for code_name, name_name, field, coded in (("ARMCD", "ARM", "arm", record.arm),
                                                ("ACTARMCD", "ACTARM", "actual_arm", record.actual_arm)):
        code = submission_text(coded)
        put(draft, spec, code_name, code, field=field, origin=ASSIGNED)
        put(draft, spec, name_name, names.get(code, coded.display) if code is not None and coded else None,
            field=field, origin=ASSIGNED)
