"""A small, valid mapping folder written by tests (two forms, two code lists), to change one thing at a time."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

FILES = {
    "study.yaml": """
        id: MINI01
        title: Minimal study
        version: "2"
        identifier_systems: {subject: "urn:mini:subject", study: "urn:mini:study"}
        standards: {ct: "2025-03-28"}
        data_cutoff: "2024-12-31"
        arms: [{code: A, name: Arm A}]
        """,
    "forms/demographics.yaml": """
        name: demographics
        label: Demographics
        sheets: [DM, Демография]
        date_format: dmy
        identity: {subject: subject_id}
        columns:
          - {name: subject_id, label: Subject ID, headers: [ID пациента], type: string, required: true}
          - {name: sex, label: Sex, headers: [Пол], type: coded, codelist: sex}
          - {name: birth_date, label: Birth date, type: partial_date}
        """,
    "forms/labs.yaml": """
        name: labs
        label: Labs
        sheets: [LB]
        date_format: dmy
        repeating: true
        identity: {subject: subject_id, keys: [lab_date]}
        columns:
          - {name: subject_id, label: Subject ID, type: string, required: true}
          - {name: lab_date, label: Date, type: date, required: true}
          - {name: blasts, label: Blasts, type: decimal, unit: "%", min: 0, max: 100}
          - {name: note, label: Note, type: string, ignore: true}
        rules:
          - {rule: subject_exists, form: demographics}
        """,
    "codelists/sex.yaml": """
        id: sex
        name: Sex
        cdisc: {name: SEX, nci_code: C66731}
        values:
          - {value: M, display: Male, nci_code: C20197, synonyms: [муж, м],
             codings: [{system: administrative-gender, code: male}]}
          - {value: F, display: Female, nci_code: C16576, synonyms: [жен, ж]}
        """,
    "codelists/lab_test.yaml": """
        id: lab_test
        name: Lab tests
        values:
          - value: BLAST
            display: Blasts
            codings:
              - {system: loinc, code: "77147-7", checked: "test data only: a verified-flagged coding, not a claim about marrow blasts"}
              - {system: snomed, code: "00000000", unverified: true}
        """,
    "concepts.yaml": """
        concepts:
          - id: subject
            form: demographics
            record: subject
            fields:
              sex: {op: code, column: sex}
              birth_date: {op: copy, column: birth_date}
          - id: blasts
            form: labs
            record: finding
            when: {column: blasts, present: true}
            fields:
              category: {op: constant, value: laboratory}
              test: {op: constant_code, codelist: lab_test, value: BLAST}
              value_quantity: {op: quantity, column: blasts}
              date: {op: copy, column: lab_date}
            qualifiers:
              sex_at_test: {op: lookup, form: demographics, column: sex}
        """,
}


def write_minimal_study(folder: Path, **replace: str) -> Path:
    """Write the minimal mapping into `folder`; `replace` maps a relative file name (with / as __) to new text."""
    files = dict(FILES)
    for key, text in replace.items():
        files[key.replace("__", "/")] = text
    return write_study_files(folder, files)


def write_study_files(folder: Path, files: dict[str, str]) -> Path:
    """A mapping folder from {relative file name: indented YAML text}."""
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip(), encoding="utf-8")
    return folder
