"""P: the mapping folder (study.yaml, forms, code lists, concepts) and the project itself."""

from crfmap.issues.catalogue.entries import IssueType, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

ENTRIES = (
    IssueType("P001", "mapping-folder-missing", E, "Mapping folder not found",
              "{value} is not a mapping folder: {expected}",
              "Pass --study the folder that holds study.yaml, e.g. mappings/blinatumomab_ped_all."),
    IssueType("P002", "yaml-syntax", E, "YAML syntax error",
              "the file is not valid YAML: {detail}",
              "Fix the indentation or quoting at the line shown."),
    IssueType("P003", "mapping-schema", E, "Mapping entry does not match the mapping format",
              "{detail}",
              "Run `crfmap schema` for the full mapping format; editors autocomplete from it."),
    IssueType("P004", "unknown-codelist", E, "Unknown code list",
              "code list {value!r} is not defined in codelists/",
              "Add codelists/{value}.yaml or correct the name."),
    IssueType("P005", "unknown-column", E, "Unknown column",
              "column {value!r} is not a column of form {form!r}",
              "Use one of the form's column names."),
    IssueType("P006", "unknown-form", E, "Unknown form",
              "form {value!r} is not defined in forms/",
              "Add forms/{value}.yaml or correct the name."),
    IssueType("P007", "duplicate-id", E, "Duplicate id",
              "{value!r} is defined more than once",
              "Each form, column, code list, value and concept needs its own id."),
    IssueType("P008", "unknown-code-system", E, "Unknown code system",
              "code system {value!r} is neither a known alias nor an absolute URI",
              "Use an alias (snomed, loinc, rxnorm, ucum, meddra, ncit, …) or the system's full URI."),
    IssueType("P009", "unknown-record-field", E, "Unknown record field",
              "{value!r} is not a field of a {expected} record",
              "Use a field the README's 'Record fields' table lists for this kind of record (also `crfmap schema "
              "--format markdown`); items with no field go under `qualifiers:`."),
    IssueType("P010", "synonym-clash", E, "Synonym used twice in a code list",
              "{value!r} is a synonym of both {expected}",
              "A site spelling must point to one value only."),
    IssueType("P011", "invalid-target", E, "Invalid output target",
              "{detail}",
              "See the README's 'Output targets' table for the sdtm:/fhir: keys (also `crfmap schema --format "
              "markdown`)."),
    IssueType("P012", "unknown-code-value", E, "Unknown value in code list",
              "{value!r} is not a value of code list {expected!r}",
              "Use one of the code list's values."),
    IssueType("P013", "unverified-code", I, "Code not verified",
              "{value} in code list {expected!r} is flagged unverified; it is kept out of every output",
              "Verify the code against its terminology's release and remove `unverified: true`."),
    IssueType("P020", "required-variable-unmapped", E, "Required output variable has no source",
              "{detail}",
              "Map the record field the message names in the concept's `fields:`, or give the variable a value in "
              "`sdtm.constants`/`sdtm.variables` (or study.yaml, as the message says)."),
    IssueType("P021", "required-variable-optional-source", W, "Required output variable from an optional column",
              "{detail}",
              "Make the column `required: true`, so that an empty cell is reported where it is, not when writing."),
    IssueType("P022", "field-kind-mismatch", E, "Operation gives the wrong kind of value for the field",
              "{detail}",
              "Use an operation that gives the kind the README's 'Record fields' table names (e.g. `code` or "
              "`constant_code` for a coded field, `quantity` for a quantity)."),
    IssueType("P023", "invalid-ucum-unit", E, "Not a UCUM unit",
              "{value!r} is not a valid UCUM unit code{detail}",
              "Write the unit's UCUM code (case matters): e.g. kg, cm, mm[Hg], /min, Cel, [lb_av], %. See "
              "ucum.org."),
    IssueType("P024", "unit-codelist-incomplete", E, "Unit code list value without a UCUM code",
              "{detail}",
              "Give each value of a unit code list a coding with system ucum, or use the UCUM code as its value."),
    IssueType("P025", "sheet-shared-without-select", E, "Several forms read one sheet without selecting rows",
              "{detail}",
              "Give each form that shares the sheet a `select:` condition (e.g. on an instrument column)."),
    # P014–P019: FHIR settings and targets of a mapping.
    IssueType("P014", "fhir-canonical-invalid", E, "FHIR canonical URL unusable",
              "{detail} {value!r} is not an absolute http(s) URL crfmap can build canonical URLs on",
              "Give a URL such as https://fhir.example.org/studies/my-study (no query, no fragment); crfmap's "
              "extensions become <base>/StructureDefinition/<name> and `crfmap fhir-definitions` publishes them."),
    IssueType("P015", "fhir-status-unknown", E, "Not a FHIR status code",
              "{detail} {value!r} is not a code of R4's research-subject-status (expected one of: {expected})",
              "Use a code of http://hl7.org/fhir/research-subject-status, e.g. off-study for a study whose data "
              "collection has ended, or leave the setting out (the status is then marked data-absent)."),
    # P060–P069: the waivers file (accepted issues, reviewed by the data manager)
    IssueType("P060", "waivers-unreadable", E, "Waivers file cannot be read",
              "the waivers file cannot be used: {detail}",
              "Pass --waivers a YAML file with a list under `waivers:` (see the README section on waivers)."),
    IssueType("P061", "waiver-invalid", E, "Waiver entry is incomplete or wrong",
              "{detail}",
              "Each waiver needs code, cell (Sheet!D14) or subject, reason, by and date (yyyy-mm-dd)."),
    IssueType("P062", "waiver-stale", W, "Waiver matches no issue",
              "the waiver of {value} for {expected} matches no issue in this run",
              "The issue is gone (fixed or moved): remove the waiver, or correct its cell or subject."),
)
