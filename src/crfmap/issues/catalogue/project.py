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
    # P040–P049: SDTM controlled terminology and trial design, checked before any data is read.
    IssueType("P040", "ct-version-not-shipped", W, "CDISC CT version not available: CT not checked",
              "standards.ct {value!r} is not a CDISC SDTM CT release crfmap ships ({expected}), so no SDTM value is "
              "checked against CDISC CT",
              "Declare one of the shipped releases in study.yaml standards.ct; crfmap then checks every CT-bound "
              "value against it, before reading data and when writing."),
    IssueType("P041", "ct-codelist-mismatch", E, "Code list does not match CDISC CT",
              "{detail}",
              "Copy the code list's name, C-code and extensible flag from the CDISC CT release the study declares."),
    IssueType("P042", "value-not-in-ct", E, "Value not in a CDISC code list that cannot be extended",
              "{value!r} goes to {detail}, but it is not a term of {expected}",
              "Use the CDISC submission value exactly (case and spaces count), or map the item elsewhere."),
    IssueType("P043", "ct-extension-undeclared", W, "Sponsor term not declared for an extensible CDISC code list",
              "{value!r} goes to {detail} and is not a term of {expected}; it is not declared as a sponsor term",
              "Use the CDISC term if one fits; otherwise declare the value under study.yaml sdtm.ct_extensions "
              "(it is then listed in define.xml as an extended value)."),
    IssueType("P044", "trial-design-invalid", E, "Trial design refers to something that is not there",
              "{detail}",
              "Check the names in study.yaml sdtm.trial_design against its arms, elements, epochs and visits, "
              "and against the concepts, record fields and qualifiers they refer to."),
    IssueType("P045", "ts-parameter-missing", W, "Trial Summary parameter expected by FDA is missing",
              "TS has no {value} ({detail})",
              "Add it to study.yaml sdtm.ts with a value, or with a null_flavor (e.g. NA, UNK, PINF) when it has none."),
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
    # Site inputs (issue #13): drafts written by `crfmap init`, multi-valued columns, wide layouts, templates
    IssueType("P050", "draft-entry", I, "Draft entry to review",
              "{detail} is a draft written by crfmap init",
              "Check the guess, correct it if needed, then remove `draft: true`."),
    IssueType("P051", "draft-mapping", W, "Mapping still has draft entries",
              "the mapping still has {detail} draft entr(y/ies) written by crfmap init",
              "Run `crfmap check-mapping` to list them; review each and remove `draft: true`."),
    IssueType("P052", "multiple-needs-for-each", E, "Multi-valued column read as one value",
              "{detail}",
              "Add `for_each: <column>` to the concept so that each value makes its own record, or read the "
              "column in a concept that has it."),
    IssueType("P053", "template-older-than-mapping", W, "Workbook made from an older mapping",
              "{detail}",
              "Make a new template with `crfmap template` and ask the site to move its data into it; until then, "
              "check the columns the mapping changed."),
    IssueType("P054", "study-not-recognised", E, "Study not recognised",
              "{detail}",
              "Pass --study with the study's mapping folder (e.g. --study mappings/<study>)."),
    IssueType("P055", "wide-layout-invalid", E, "Wide layout does not fit the form",
              "{detail}",
              "Name form columns in `shared`, `values` and `number_column`, and give each group a value the "
              "column accepts."),
)
