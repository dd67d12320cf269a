"""W: writing outputs (FHIR, SDTM, reports)."""

from crfmap.issues.catalogue.entries import IssueType, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

ENTRIES = (
    IssueType("W001", "output-not-writable", E, "Output cannot be written",
              "{detail}",
              "Choose another --out folder, or check its permissions."),
    IssueType("W002", "non-ascii-for-xpt", E, "Text not allowed in SAS XPORT",
              "{value!r} has characters outside ASCII, which SAS XPORT v5 cannot hold ({detail})",
              "Enter the value in English/Latin letters, or set `transliterate: true` for the variable in the mapping."),
    IssueType("W003", "xpt-limit", E, "Value beyond SAS XPORT v5 limits",
              "{detail}",
              "Shorten the value, or move it to a SUPP-- qualifier split as SDTMIG describes."),
    IssueType("W004", "unsafe-output-name", E, "Output name derived from data is unsafe",
              "{value!r} cannot be used in a file name: {detail}",
              "Subject ids must not contain path separators or reserved names."),
    IssueType("W005", "errors-block-output", E, "Validation errors block the output",
              "{detail}",
              "Fix the errors listed above, or pass --allow-errors to write only the valid records."),
    IssueType("W006", "target-missing", W, "No output target for a record",
              "{detail}",
              "Add an sdtm:/fhir: target to the concept in concepts.yaml."),
    # W007–W019: what --allow-errors leaves out, and output failures (issue #15).
    IssueType("W007", "subject-left-out", W, "Subject left out with everything that depends on it",
              "subject {subject!r} is left out of every output: {detail}",
              "Fix the subject's row in the form that makes subjects (see the errors above), then convert again; "
              "the subject's other rows were valid and come back with it."),
    # W030–W039: SDTM file formats (XPT, Dataset-JSON, Define-XML, CSV).
    IssueType("W030", "sdtm-value-type", E, "Value does not match the SDTM variable's type",
              "{value!r} cannot be written as {expected} ({detail})",
              "The domain builder produced a value of the wrong kind; report it with the mapping that made it."),
    IssueType("W031", "define-reference-missing", E, "Define-XML refers to metadata that is not there",
              "{detail}",
              "Declare the code list or method in the study's SDTM metadata, or remove the reference."),
    # W040–W049: FHIR R4 writer.
    IssueType("W040", "fhir-recorded-missing", E, "No fixed time for FHIR Provenance.recorded",
              "Provenance.recorded cannot be set from {value!r}: {detail}",
              "Set data_cutoff: YYYY-MM-DD in study.yaml, or pass --recorded 2024-06-30T00:00:00Z; "
              "crfmap never uses the clock, so that outputs stay reproducible."),
    IssueType("W041", "fhir-invalid-resource", E, "FHIR resource fails validation",
              "{value} does not validate ({expected}): {detail}",
              "Report it with the mapping that made the record; the resource was built from it."),
    IssueType("W042", "fhir-record-skipped", W, "Record not written to FHIR",
              "{detail}",
              "Give the concept a fhir: resource that can hold this kind of record."),
    IssueType("W043", "fhir-time-dropped", W, "Times of day cut to the date in FHIR",
              "{detail}",
              "Set fhir: {timezone: \"+03:00\"} (the sites' UTC offset) in study.yaml to keep the times; SDTM keeps them."),
    IssueType("W044", "fhir-package-name-invalid", E, "Not a FHIR package name",
              "{value!r} cannot name a FHIR package: {detail}",
              "Pass --package-name like my.sponsor.study-x.extensions."),
    # W060–W079: SDTM domain builders (W060–W064) and SDTMIG structural checks (W065–W079).
    IssueType("W060", "sdtm-value-not-carried", W, "A value has no place in the SDTM output",
              "{detail}",
              "Map the item to a SUPP-- qualifier (sdtm.supp), or to study.yaml sdtm settings, as the message says."),
    IssueType("W065", "sdtm-duplicate-subject", E, "Subject more than once in DM",
              "USUBJID {value!r} is in DM {detail}",
              "DM holds one record per subject (SDTMIG 5.2; FDA validator SD0083): merge or correct the rows."),
    IssueType("W066", "sdtm-subject-not-in-dm", E, "Subject missing from DM",
              "USUBJID {value!r} of {detail} is not in DM",
              "Every subject with data must have a DM record (FDA validator SD0064): add the subject's "
              "demographics row."),
    IssueType("W067", "sdtm-duplicate-sequence", E, "--SEQ not unique within a subject",
              "{detail}",
              "--SEQ must be unique per USUBJID within a domain (SDTMIG 4.1.5; FDA validator SD0005)."),
    IssueType("W068", "sdtm-required-null", E, "Required SDTM variable is null",
              "{detail}",
              "A Req variable must never be null (SDTMIG 4.1.5 core; FDA validator SD0002): fill the CRF item."),
    IssueType("W069", "sdtm-invalid-iso8601", E, "Date/time is not ISO 8601",
              "{value!r} in {detail} is not an ISO 8601 date/time",
              "--DTC values are ISO 8601 text, truncated from the right only (SDTMIG 4.4.2; FDA validator SD0003)."),
    IssueType("W070", "sdtm-study-day-mismatch", E, "--DY does not agree with --DTC and RFSTDTC",
              "{detail}",
              "--DY = date − RFSTDTC + 1 on/after RFSTDTC, date − RFSTDTC before it, never 0, null for partial "
              "dates (SDTMIG 4.4.4)."),
    IssueType("W071", "sdtm-name-or-label", E, "SDTM name or label breaks the length rules",
              "{detail}",
              "Names: 1–8 characters A–Z, 0–9, _ (not starting with a digit); labels ≤ 40 characters "
              "(SDTMIG 4.1.2 / SDTM v2.0, SAS XPORT v5)."),
    IssueType("W072", "sdtm-supp-orphan", E, "SUPP-- record points to no parent record",
              "{detail}",
              "RDOMAIN/USUBJID/IDVAR/IDVARVAL must identify an existing parent record (SDTMIG 8.4.1)."),
    IssueType("W073", "sdtm-visit-unknown", W, "Visit not in the study's visit list",
              "visit {value!r} is not in study.yaml sdtm.visits ({expected}); its VISITNUM stays empty",
              "Add the visit with its number to study.yaml sdtm.visits, or correct the visit name."),
    # W130–W139: reports and the annotated copy
    IssueType("W130", "annotation-macros-dropped", W, "Annotated copy written without macros",
              "the annotated copy is written as {value} without the input's macros ({detail})",
              "The annotated copy is for reading the issues; open the original .xlsm to run its macros."),
    IssueType("W131", "report-format-unknown", E, "Unknown report format",
              "--report {value!r}: {detail}",
              "Name the report with one of the endings .html, .xlsx, .json or .txt."),
    # convert-many's executors (api/executors)
    IssueType("W145", "executor-needs-extra", E, "The executor's library is not installed",
              "the {value} executor cannot run: {detail}",
              "Install it with: python -m pip install 'crfmap[dask]' (or use --executor local)."),
    IssueType("W146", "executor-failed", E, "The cluster could not run the conversion",
              "{value}: {detail}",
              "Check --scheduler (tcp://host:8786) and that the workers are running with crfmap installed, "
              "then run again; the previous output was kept."),
)
