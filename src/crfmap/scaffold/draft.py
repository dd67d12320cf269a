"""A draft mapping: what `crfmap init` guessed, before it is written as a mapping folder.

Every guess is marked for review: `draft: true` on the entry and a comment saying where it came from. Nothing is
mapped silently: a column no draft concept reads is `ignore: true` (and a draft), so the folder passes
`check-mapping` as it is and a person turns each column into a concept, or confirms it is not wanted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crfmap.scaffold.yaml_text import Note, dump_document
from crfmap.standards import sdtm_ct_versions

IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
CT_PACKAGE = sdtm_ct_versions()[-1]  # the newest CDISC CT release crfmap ships (and checks): to confirm


CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                     "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))


def identifier(text: str, fallback: str = "item") -> str:
    """A mapping identifier from an OID or a label: letters, digits and _, starting with a letter (Cyrillic
    transliterated, so that a Russian sheet name still gives a readable name)."""
    latin = "".join(CYRILLIC.get(letter.lower(), letter) for letter in text.strip())
    name = IDENTIFIER.sub("_", latin).strip("_")
    if not name or not name[0].isalpha():
        name = f"{fallback}_{name}" if name else fallback
    return name[:64]


@dataclass
class DraftCodelist:
    id: str
    name: str
    values: list[tuple[str, str]]  # (value, display)
    note: str = ""
    entry: str = "text"  # "choice" when the source holds the EDC's choice codes (REDCap, ODM)


@dataclass
class DraftColumn:
    name: str
    label: str
    type: str = "string"
    headers: list[str] = field(default_factory=list)
    codelist: str | None = None
    multiple: bool = False
    required: bool = False
    required_if: list[dict[str, Any]] = field(default_factory=list)
    minimum: str | None = None
    maximum: str | None = None
    pattern: str | None = None
    unit: str | None = None
    date_format: str | None = None  # dmy, mdy, ymd: how the source writes text dates
    ignore: bool = True  # until a concept reads it
    notes: list[str] = field(default_factory=list)

    def as_yaml(self) -> Any:
        data: dict[str, Any] = {"name": self.name, "label": self.label}
        if self.headers:
            data["headers"] = self.headers
        data["type"] = self.type
        if self.codelist:
            data["codelist"] = self.codelist
        if self.multiple:
            data["multiple"] = True
        if self.required:
            data["required"] = True
        if self.required_if:
            data["required_if"] = self.required_if[0] if len(self.required_if) == 1 else self.required_if
        for key, value in (("min", self.minimum), ("max", self.maximum), ("pattern", self.pattern),
                           ("unit", self.unit), ("date_format", self.date_format)):
            if value is not None:
                data[key] = value
        if self.ignore:
            data["ignore"] = True
        data["draft"] = True
        return Note(data, "\n".join(self.notes)) if self.notes else data


@dataclass
class DraftForm:
    name: str
    label: str
    sheets: list[str]
    subject: str
    columns: list[DraftColumn]
    repeating: bool = False
    keys: list[str] = field(default_factory=list)
    wide: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def column(self, name: str) -> DraftColumn | None:
        return next((column for column in self.columns if column.name == name), None)

    def as_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "label": self.label, "sheets": self.sheets}
        if self.repeating:
            data["repeating"] = True
        data["identity"] = {"subject": self.subject, **({"keys": self.keys} if self.keys else {})}
        if self.wide is not None:
            data["wide"] = Note(self.wide, "guessed from numbered column groups in the headers")
        data["draft"] = True
        data["columns"] = [column.as_yaml() for column in self.columns]
        return data


@dataclass
class DraftStudy:
    id: str
    title: str
    source: str  # what the draft was made from, for the files' headers
    forms: list[DraftForm] = field(default_factory=list)
    codelists: dict[str, DraftCodelist] = field(default_factory=dict)
    protocol: str | None = None
    notes: list[str] = field(default_factory=list)

    def add_codelist(self, wanted: str, name: str, values: list[tuple[str, str]], note: str = "",
                     entry: str = "text") -> str:
        """Add a code list (or reuse an identical one); returns its id."""
        for codelist in self.codelists.values():
            if codelist.values == values and codelist.entry == entry:
                return codelist.id
        codelist_id = unique(identifier(wanted, "codes"), self.codelists)
        self.codelists[codelist_id] = DraftCodelist(codelist_id, name or codelist_id, values, note, entry)
        return codelist_id


def unique(name: str, taken: Any) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name}_{number}"
        number += 1
    return candidate


def write_draft(study: DraftStudy, folder: Path) -> list[str]:
    """Write the folder; returns the files written (relative, sorted)."""
    header = (f"Draft written by `crfmap init` from {study.source}.\n"
              "Every entry marked `draft: true` is a guess: review it, then remove the mark "
              "(`crfmap check-mapping` lists them).")
    files: dict[str, str] = {"study.yaml": dump_document(study_yaml(study), header)}
    for form in study.forms[1:]:  # no draft concept reads these forms yet: their subject column is not read either
        subject = form.column(form.subject)
        if subject is not None and not subject.ignore:
            subject.ignore = True
            subject.notes.append("no concept reads this form yet: remove `ignore` when one does")
    for form in study.forms:
        notes = "\n".join([header, *form.notes])
        files[f"forms/{form.name}.yaml"] = dump_document(form.as_yaml(), notes)
    if not study.codelists:  # a mapping needs one; yes/no is the one most studies use (map_boolean)
        study.add_codelist("ny", "No Yes Response", [("Y", "Yes"), ("N", "No")],
                           "A placeholder: no column was drafted as coded. Give Y and N their CDISC codes (NY) or "
                           "delete this file once another code list exists.")
    for codelist in study.codelists.values():
        values = [{"value": value, "display": display or value} for value, display in codelist.values]
        data: dict[str, Any] = {"id": codelist.id, "name": codelist.name, "draft": True}
        if codelist.entry != "text":
            data["entry"] = codelist.entry
        data["values"] = values
        files[f"codelists/{codelist.id}.yaml"] = dump_document(data, "\n".join(filter(None, [header, codelist.note])))
    files["concepts.yaml"] = dump_document(concepts_yaml(study), header + "\n" + CONCEPTS_NOTE)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)


CONCEPTS_NOTE = ("One concept per kind of record a form's rows make (subject, intervention, event, finding); see the "
                 "README's\noperation table. The draft maps only the subjects: add a concept for each column marked "
                 "ignore, or keep it ignored on purpose.")


def study_yaml(study: DraftStudy) -> dict[str, Any]:
    slug = identifier(study.id.lower(), "study").replace("_", "-")
    data: dict[str, Any] = {
        "id": study.id, "title": study.title,
        **({"protocol": study.protocol} if study.protocol else {}),
        "version": "1",
        "identifier_systems": Note({"subject": f"urn:crfmap:{slug}:subject", "study": f"urn:crfmap:{slug}:study"},
                                   "URIs of the subject and study identifiers: use your organisation's own"),
        "standards": Note({"ct": CT_PACKAGE}, "the CDISC Controlled Terminology package your SDTM uses: a "
                                              "placeholder to confirm"),
        "draft": True,
    }
    if study.notes:
        data["id"] = Note(study.id, "\n".join(study.notes))
    return data


def concepts_yaml(study: DraftStudy) -> dict[str, Any]:
    first = study.forms[0]
    concept = {"id": "subject", "form": first.name, "record": "subject", "fields": {},
               "sdtm": {"domain": "DM"}, "draft": True}
    note = (f"one subject per {first.subject!r} of form {first.name!r}; add sex, birth date, arm … as fields "
            "(their code lists need CDISC submission values for SDTM DM)")
    return {"concepts": [Note(concept, note)]}
