"""The derivations (Define-XML MethodDefs) the domain builders use, described once."""

from __future__ import annotations

from crfmap.writers.sdtm.define_metadata import STANDARD_METHODS, DefineMethod

_OWN = (
    DefineMethod("MT.SEQ", "Algorithm to derive --SEQ",
                 "Sequence number 1, 2, 3 … within each USUBJID: records in date order (undated ones last), "
                 "then by the concept and source key of the record."),
    DefineMethod("MT.USUBJID", "Algorithm to derive USUBJID",
                 "STUDYID and SUBJID joined by a hyphen: <STUDYID>-<SUBJID>."),
    DefineMethod("MT.RFSTDTC", "Algorithm to derive RFSTDTC and RFXSTDTC",
                 "Earliest start date/time of the subject's study treatment records in EX (EXSTDTC), at the "
                 "precision collected."),
    DefineMethod("MT.RFSTDTC.CONSENT", "Algorithm to derive RFSTDTC from informed consent",
                 "The subject's date of informed consent (RFICDTC), at the precision collected: the study has no "
                 "study treatment, so its reference start is consent."),
    DefineMethod("MT.RFSTDTC.ENROL", "Algorithm to derive RFSTDTC from enrolment",
                 "The subject's enrolment date, at the precision collected: the study has no study treatment, so "
                 "its reference start is enrolment."),
    DefineMethod("MT.RFENDTC", "Algorithm to derive RFENDTC and RFXENDTC",
                 "Latest end date/time of the subject's study treatment records in EX (EXENDTC, or EXSTDTC when "
                 "no end was collected), at the precision collected."),
    DefineMethod("MT.RFPENDTC", "Algorithm to derive RFPENDTC",
                 "Latest date/time collected for the subject in any domain (last known participation)."),
    DefineMethod("MT.DTHDTC", "Algorithm to derive DTHDTC and DTHFL",
                 "DSSTDTC of the subject's disposition record with DSDECOD DEATH; DTHFL is Y when there is "
                 "one, otherwise null."),
    DefineMethod("MT.STRESC", "Algorithm to derive --STRESC, --STRESN and --STRESU",
                 "The original result in standard format: the same value and unit (no unit conversion); "
                 "--STRESN only for numeric results that are not below/above a limit (e.g. '<0.01'); a scored "
                 "questionnaire answer gives its score."),
    DefineMethod("MT.STRESCU", "Algorithm to derive --STRESC, --STRESN and --STRESU in standard units",
                 "The original result converted into the standard unit declared for the test (UCUM conversion, "
                 "exact decimal arithmetic, rounded where the mapping declares decimals); a result below/above a "
                 "limit keeps its sign and has no --STRESN. Results already in the standard unit are copied."),
    DefineMethod("MT.BLFL", "Algorithm to derive --BLFL",
                 "Y on the record that --LOBXFL marks: the last non-missing result before RFXSTDTC per USUBJID, "
                 "--TESTCD and --SPEC; otherwise null."),
    DefineMethod("MT.EPOCHEX", "Algorithm to derive EPOCH from exposure",
                 "From the record's (start) date against the subject's first and last study treatment in EX: "
                 "before the first exposure, from first to last exposure, after the last; null for partial dates."),
    DefineMethod("MT.VISITNUM", "Algorithm to derive VISITNUM",
                 "The planned visit number of VISIT, from the study's list of planned visits."),
    DefineMethod("MT.SE", "Algorithm to derive SE (Subject Elements)",
                 "The subject's planned arm (DM.ARMCD) gives the elements in TA order. An element starts where the "
                 "trial design's start rule finds it in the subject's records (the first or last date of a given "
                 "kind of record, plus a fixed offset in days, as study.yaml sdtm.trial_design declares); an element "
                 "the data never starts, or one that would start after RFPENDTC, is not entered. SEENDTC is the next "
                 "element's SESTDTC, for the last element RFPENDTC. EPOCH and TAETORD come from TA."),
    DefineMethod("MT.EPOCH", "Algorithm to derive EPOCH",
                 "EPOCH of the subject's element (SE) in which the record's date falls (--STDTC for events and "
                 "interventions, --DTC for findings): the last element starting on or before that day. A record "
                 "without a date complete to the day takes the epoch the mapping declares for its concept, if any."),
    DefineMethod("MT.VISIT", "Algorithm to derive VISIT and VISITNUM",
                 "From the visit the CRF records for the observation, matched to the planned visit (TV) it names; or, "
                 "where the mapping assigns visits by date, the planned visit whose window holds the record's date. A "
                 "dated record in no window makes an unscheduled visit numbered after the latest planned visit "
                 "before it (VISITNUM + 0.01 per distinct date, VISIT 'UNSCHEDULED n.nn')."),
    DefineMethod("MT.VISITS", "Algorithm to derive Subject Visits",
                 "One record per subject and VISITNUM found in the observation domains; --STDTC/--ENDTC are the "
                 "earliest and latest date of the observations at that visit; --PRESP and --OCCUR are Y for planned "
                 "visits (in TV) and empty for unscheduled ones; VISITDY from TV."),
    DefineMethod("MT.SSTDTC", "Algorithm to derive TS SSTDTC",
                 "The earliest date of informed consent (DM.RFICDTC) of any subject; without one, the earliest start "
                 "of a subject's first element (SE.SESTDTC); else the earliest RFSTDTC."),
    DefineMethod("MT.LOBXFL", "Algorithm to derive --LOBXFL",
                 "Y on the latest record with a result per USUBJID, --TESTCD and --SPEC taken before RFXSTDTC: on "
                 "an earlier day, or on the same day when both times are known and the observation is not later; "
                 "a same-day observation without times is not flagged. Otherwise null."),
)

METHODS: dict[str, DefineMethod] = {method.oid: method for method in (*STANDARD_METHODS, *_OWN)}


def methods_used(oids: set[str]) -> tuple[DefineMethod, ...]:
    """The MethodDefs of the given OIDs, sorted by OID (for define.xml)."""
    return tuple(METHODS[oid] for oid in sorted(oids) if oid in METHODS)
