"""The mapping format: pydantic models of study.yaml, forms/*.yaml, codelists/*.yaml and concepts.yaml.

Declaring is separate from running: these models only say what a study looks like; `study.lint` checks
that the parts refer to each other correctly; validation and mapping run them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from crfmap.study.locations import MappingSource

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
# A number in a mapping: a YAML number, or a quoted decimal kept exact ("0.1"). Its JSON Schema is written out
# here because pydantic's own for Decimal changes between releases (2.13 adds a pattern, 2.14 drops it), and
# the published mappings/schema/*.json must not depend on which one pip served.
MappingNumber = Annotated[Decimal, WithJsonSchema({"anyOf": [
    {"type": "number"},
    {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"},
]})]


class Strict(BaseModel):
    """Unknown keys are mistakes in a mapping (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


TargetModel = TypeVar("TargetModel", bound=BaseModel)


class WithTargets(BaseModel):
    """A mapping entry that also holds output targets: one key per writer of the output registry (`fhir:`,
    `sdtm:` …), whose content that writer's own model describes. The study package knows no writer: the loader
    is given the writers' models, accepts only their keys and validates each with file and line, and
    `crfmap schema` publishes them. Any other unknown key is still a mistake (the loader says so)."""

    model_config = ConfigDict(extra="allow", frozen=True, coerce_numbers_to_str=True)

    def target_keys(self) -> list[str]:
        return sorted(self.model_extra or {})

    def target_data(self, key: str) -> Any:
        """The raw content of the `<key>:` target (a dict), or None."""
        return (self.model_extra or {}).get(key)


# ── study.yaml ────────────────────────────────────────────────────────────────────────────────────────

class Standards(Strict):
    fhir: str = "4.0.1"
    sdtm: str = "2.0"
    sdtmig: str = "3.4"
    ct: str = Field(description="CDISC Controlled Terminology package date, e.g. 2024-03-29")
    meddra: str | None = Field(None, description="MedDRA version used for AEDECOD, e.g. '27.0'")
    ctcae: str | None = Field(None, description="CTCAE version used for grades, e.g. '5.0'")
    define: str = "2.1.0"
    dataset_json: str = "1.1"


class IdentifierSystems(Strict):
    subject: str = Field(description="URI of the study's subject identifiers (Patient.identifier.system)")
    study: str = Field(description="URI of the study identifier (ResearchStudy.identifier.system)")


class Arm(Strict):
    code: str = Field(description="ARMCD, at most 20 characters", max_length=20)
    name: str = Field(description="ARM, at most 200 characters", max_length=200)
    description: str | None = None


class Study(WithTargets):
    """study.yaml. Besides the keys below, one key per output target holds that writer's study-level settings."""

    id: str = Field(description="STUDYID; also the namespace of every deterministic id")
    title: str
    protocol: str | None = None
    version: str = Field("1", description="Version of this mapping; goes into FHIR Provenance and define.xml")
    sponsor: str | None = None
    phase: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-3 of the sites, when one country")
    identifier_systems: IdentifierSystems
    standards: Standards
    arms: list[Arm] = Field(default_factory=list)
    data_cutoff: str | None = Field(None, description="ISO date; dates after it are errors (no wall clock)")
    ignore_sheets: list[str] = Field(default_factory=list, description="Sheets read by no form, on purpose")
    draft: bool = Field(False, description="Written by `crfmap init`: a guess to review (check-mapping lists it)")

    def target_settings(self, key: str, model: type[TargetModel]) -> TargetModel:
        """The `<key>:` settings as the writer's model (its defaults when study.yaml has none)."""
        return model.model_validate(self.target_data(key) or {})


# ── forms/*.yaml ──────────────────────────────────────────────────────────────────────────────────────

ColumnType = Literal[
    "string", "integer", "decimal", "date", "datetime", "partial_date", "time", "boolean", "coded",
]
DateFormat = Literal["dmy", "mdy", "ymd", "iso"]
DATE_FORMAT_HELP = ("Order of day, month and year in dates written as text: dmy (14.05.2019, 14/05/2019), "
                    "mdy (05/14/2019), ymd (2019/05/14), iso (yyyy-mm-dd only). Without it a date such as "
                    "03/04/2020 that reads both ways is an error (S115), never a guess.")


class Condition(Strict):
    """A condition on another column of the same row: `column` is present / equals / is one of."""

    column: str
    present: bool | None = None
    equals: str | None = Field(None, description="For coded columns, the code list value")
    in_: list[str] | None = Field(None, alias="in")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, coerce_numbers_to_str=True)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [self.present is not None, self.equals is not None, self.in_ is not None]
        if sum(tests) != 1:
            raise ValueError("a condition needs exactly one of: present, equals, in")
        return self


class Column(Strict):
    name: Identifier
    label: str = Field(description="The CRF question; also the default header")
    headers: list[str] = Field(default_factory=list, description="Other header spellings sites use")
    type: ColumnType
    required: bool = False
    required_if: Condition | list[Condition] | None = Field(
        None, description="Required when the condition holds (a list: when all of them hold), e.g. REDCap branching "
                          "logic")
    codelist: str | None = None
    multiple: bool = Field(False, description="Coded only: several values in one cell, separated by '|' (a REDCap "
                                              "checkbox field)")
    min: MappingNumber | None = None
    max: MappingNumber | None = None
    pattern: str | None = Field(None, description="Regular expression the whole text must match")
    max_length: int | None = None
    unit: str | None = Field(None, description="UCUM unit of numeric values, e.g. '%', 'ug/m2/d'")
    allow_future: bool = Field(False, description="Dates after the data cut-off are allowed")
    ignore: bool = Field(False, description="Read and accounted for, but deliberately mapped to nothing")
    date_format: DateFormat | None = Field(None, description=DATE_FORMAT_HELP + " Overrides the form's.")
    draft: bool = Field(False, description="Written by `crfmap init`: a guess to review (check-mapping lists it)")

    @property
    def conditions(self) -> list[Condition]:
        """The `required_if` conditions, all of which must hold (none: not conditionally required)."""
        if self.required_if is None:
            return []
        return list(self.required_if) if isinstance(self.required_if, list) else [self.required_if]

    @model_validator(mode="after")
    def _coded_needs_codelist(self) -> Column:
        if self.multiple and self.type != "coded":
            raise ValueError(f"column {self.name!r} is multiple but its type is {self.type!r}, not 'coded'")
        if self.type == "coded" and not self.codelist:
            raise ValueError(f"column {self.name!r} is coded but names no codelist")
        if self.codelist and self.type != "coded":
            raise ValueError(f"column {self.name!r} names a codelist but its type is {self.type!r}, not 'coded'")
        return self


class Identity(Strict):
    subject: str = Field(description="The column holding the subject id")
    keys: list[str] = Field(default_factory=list,
                            description="Columns that, with the subject, identify a row (visit, date, seq)")


class DateOrderRule(Strict):
    rule: Literal["date_order"]
    start: str
    end: str


class RequiredOneOfRule(Strict):
    rule: Literal["required_one_of"]
    columns: list[str] = Field(min_length=2)


class SubjectExistsRule(Strict):
    rule: Literal["subject_exists"]
    form: str = Field(description="The form that lists every subject (demographics)")


class UniqueRule(Strict):
    rule: Literal["unique"]
    columns: list[str] = Field(description="Columns whose values together may appear once (plus subject)")


class NotBeforeRule(Strict):
    """A date of this form must not be before a date of the subject's row in another form."""

    rule: Literal["not_before"]
    column: str
    form: str
    other: str = Field(description="The date column in `form`")


Rule = Annotated[
    DateOrderRule | RequiredOneOfRule | SubjectExistsRule | UniqueRule | NotBeforeRule,
    Field(discriminator="rule"),
]


class WideGroup(Strict):
    """One group of columns of a wide sheet, e.g. the day-15 assessment: how its columns are marked in the
    headers, and the values its records get in columns the sheet does not hold (the timepoint)."""

    labels: list[str] = Field(min_length=1, description="How the group is marked: a header prefix or suffix "
                                                        "('d15' in blasts_d15) or the group row above the titles")
    values: dict[str, str] = Field(default_factory=dict,
                                   description="Form column → the value every record of the group gets, e.g. "
                                               "{timepoint: C1D15}")


class WideLayout(Strict):
    """A sheet with one row per subject whose repeated column groups each make one row of the form."""

    shared: list[str] = Field(default_factory=list, description="Form columns given once per row, for every "
                                                                "group (default: the subject column)")
    groups: list[WideGroup] = Field(default_factory=list, description="Named groups (timepoints …)")
    numbered: str | None = Field(None, description="Numbered groups, any count: a label with {n}, e.g. 'AE{n}' "
                                                   "reads AE1_term, AE2_term …")
    number_column: str | None = Field(None, description="Form column that receives the group number of a "
                                                        "numbered group")

    @model_validator(mode="after")
    def _some_groups(self) -> WideLayout:
        if not self.groups and not self.numbered:
            raise ValueError("a wide layout needs `groups` or `numbered`")
        if self.numbered is not None and "{n}" not in self.numbered:
            raise ValueError("`numbered` must hold {n} where the group number stands, e.g. 'AE{n}'")
        return self


class Form(Strict):
    name: Identifier
    label: str
    sheets: list[str] = Field(min_length=1, description="Sheet names this form accepts, any language")
    repeating: bool = Field(False, description="Several rows per subject (AEs, assessments …)")
    header_row: int | None = Field(None, ge=1, description="Fixed 1-based header row; found by search if absent")
    identity: Identity
    columns: list[Column] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    ignore_columns: list[str] = Field(default_factory=list,
                                      description="Headers present in site files and deliberately not read")
    date_format: DateFormat | None = Field(None, description=DATE_FORMAT_HELP)
    select: Condition | None = Field(None, description="The rows of the sheet that belong to this form, when "
                                     "several forms share one sheet (e.g. {column: instrument, equals: vitals})")
    wide: WideLayout | None = Field(None, description="Also read sheets with one row per subject and a group of "
                                                      "columns per record (AE1_term, AE2_term …; blasts_d0, blasts_d15)")
    draft: bool = Field(False, description="Written by `crfmap init`: a guess to review (check-mapping lists it)")

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    def date_format_of(self, column: Column) -> DateFormat | None:
        return column.date_format or self.date_format


# ── codelists/*.yaml ──────────────────────────────────────────────────────────────────────────────────

class CodingEntry(Strict):
    system: str = Field(description="Alias (snomed, loinc, rxnorm, ucum, meddra, ncit …) or URI")
    code: str
    display: str | None = None
    version: str | None = None
    checked: str | None = Field(None, description="Where the code was verified (source, date)")
    unverified: bool = Field(False, description="True when the code could not be verified: flagged, not guessed")


class CodelistValue(Strict):
    value: str = Field(description="The value's id in this code list; the CDISC submission value when CT")
    display: str
    nci_code: str | None = Field(None, pattern=r"^C\d+$")
    synonyms: list[str] = Field(default_factory=list, description="What sites write: case, language, abbreviations")
    codings: list[CodingEntry] = Field(default_factory=list)
    definition: str | None = None
    score: MappingNumber | None = Field(None, description="The answer's numeric score, for questionnaire answers "
                                  "(SDTM --STRESC/--STRESN beside the answer text in --ORRES)")


class CdiscCodelist(Strict):
    name: str = Field(description="CDISC codelist submission name, e.g. SEX")
    nci_code: str = Field(pattern=r"^C\d+$")
    extensible: bool = False


class Codelist(Strict):
    id: Identifier
    name: str
    description: str | None = None
    cdisc: CdiscCodelist | None = None
    values: list[CodelistValue] = Field(min_length=1)
    entry: Literal["text", "choice"] = Field(
        "text", description="How the source holds this list's values. text: words a site typed, kept as the "
                            "verbatim (--TERM, --TRT, FHIR text). choice: an EDC's choice codes (a REDCap raw "
                            "export's 1, 2, 3; an ODM CodedValue), which are no one's words: the verbatim is the "
                            "value's display, the label the site picked")
    draft: bool = Field(False, description="Written by `crfmap init`: a guess to review (check-mapping lists it)")

    def find(self, value: str) -> CodelistValue | None:
        return next((item for item in self.values if item.value == value), None)


# ── concepts.yaml: how rows become canonical records ──────────────────────────────────────────────────

class CopyOp(Strict):
    """The column's parsed value as it is (text, number, date, boolean)."""

    op: Literal["copy"]
    column: str


class CodeOp(Strict):
    """The column's value through its code list: a Coded with every standard code of the matched value."""

    op: Literal["code"]
    column: str
    default: str | None = Field(None, description="The code list value to use when the cell is empty, e.g. U "
                                                  "(Unknown) for a SEX that SDTM requires but the site did not record")


class ConstantOp(Strict):
    """A fixed value for every record (text, number or boolean)."""

    op: Literal["constant"]
    value: str | int | float | bool


class ConstantCodeOp(Strict):
    """A fixed coded value, taken from a code list (e.g. the test code of this concept)."""

    op: Literal["constant_code"]
    codelist: str
    value: str


class QuantityOp(Strict):
    """A number with a UCUM unit: from `unit_column` (each row's unit, through that column's code list to UCUM),
    else `unit`, else the column's declared unit. With both `unit_column` and `unit`, every value is converted into
    `unit` (UCUM), keeping what was collected; a unit that cannot be converted is an error at its cell (M003)."""

    op: Literal["quantity"]
    column: str
    unit: str | None = Field(None, description="UCUM unit of the values, or the unit to convert them into")
    unit_column: str | None = Field(None, description="A coded column whose code list maps each row's unit to UCUM")
    unit_display: str | None = None


class ConvertUnitOp(Strict):
    """A number converted by a fixed factor into the target unit (e.g. mg → ug with factor 1000)."""

    op: Literal["convert_unit"]
    column: str
    factor: MappingNumber
    unit: str
    unit_display: str | None = None


class CombineDatetimeOp(Strict):
    """A date column and a time column joined into one date-time (keeps partial dates partial)."""

    op: Literal["combine_datetime"]
    date: str
    time: str


class JoinOp(Strict):
    """Several text columns joined (empty ones skipped), e.g. a comment from two free-text columns."""

    op: Literal["join"]
    columns: list[str] = Field(min_length=1)
    separator: str = "; "


class LookupOp(Strict):
    """A value from the subject's row in another (non-repeating) form, e.g. sex from demographics."""

    op: Literal["lookup"]
    form: str
    column: str
    code: bool = Field(False, description="Map through the column's code list")


class MapBooleanOp(Strict):
    """A boolean column turned into a coded value: `yes`/`no` name values of `codelist`."""

    op: Literal["map_boolean"]
    column: str
    codelist: str
    yes: str
    no: str


class RowNumberOp(Strict):
    """The source row number (a stable key when a form has no natural key)."""

    op: Literal["row_number"]


Operation = Annotated[
    CopyOp | CodeOp | ConstantOp | ConstantCodeOp | QuantityOp | ConvertUnitOp | CombineDatetimeOp | JoinOp | LookupOp | MapBooleanOp | RowNumberOp,
    Field(discriminator="op"),
]


class ConceptSpec(WithTargets):
    """One kind of canonical record made from the rows of one form.

    A row may make several records (one concept each: that is how a column group is unpivoted); `when`
    decides whether this row makes this record (e.g. only rows where the MRD value is present). Besides the
    keys below, one key per output target (`fhir:`, `sdtm:`) says what the record becomes there.
    """

    id: Identifier
    form: str
    record: Literal["subject", "intervention", "event", "finding", "visit"] = Field(
        description="The kind of canonical record each row makes; its fields are listed in the README")
    when: Condition | None = None
    key: list[str] = Field(default_factory=list,
                           description="Columns whose values make the record's stable key; default: identity keys, "
                                       "else the row number")
    fields: dict[str, Operation] = Field(description="Record field ← operation")
    qualifiers: dict[str, Operation] = Field(default_factory=dict,
                                             description="Items with no standard field (SUPP-- / extensions)")
    for_each: str | None = Field(None, description="A multi-valued column (a REDCap checkbox): one record per "
                                                   "value, in which the column holds that one value")
    draft: bool = Field(False, description="Written by `crfmap init`: a guess to review (check-mapping lists it)")

    def target(self, key: str, model: type[TargetModel]) -> TargetModel | None:
        """The `<key>:` target as the writer's model, or None when the concept has none."""
        data = self.target_data(key)
        return None if data is None else model.model_validate(data)


class Concepts(Strict):
    concepts: list[ConceptSpec] = Field(min_length=1)


# ── the whole folder ──────────────────────────────────────────────────────────────────────────────────

class StudyMapping(BaseModel):
    """Everything in a mapping folder, loaded and linted. What readers of a study receive."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    folder: str = Field(description="The folder's name (no machine path), for messages and provenance")
    study: Study
    forms: dict[str, Form]
    codelists: dict[str, Codelist]
    concepts: list[ConceptSpec]
    sha256: str = Field(description="SHA-256 over the folder's files (names and bytes), for provenance")
    locations: MappingSource = Field(default_factory=lambda: MappingSource(""), exclude=True, repr=False,
                                     description="Where each part was written (file and line), for issues")

    def concept(self, concept_id: str) -> ConceptSpec:
        return next(concept for concept in self.concepts if concept.id == concept_id)

    @field_validator("forms", "codelists")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("must not be empty")
        return value
