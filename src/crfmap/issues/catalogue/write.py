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
)
