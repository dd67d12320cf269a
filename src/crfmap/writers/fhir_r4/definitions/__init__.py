"""crfmap's FHIR definitions as a small FHIR package (package.json + StructureDefinitions with snapshots).

crfmap writes three extensions of its own, because no published extension carries these facts:
- `source-cells` (on `meta`): the cells of the input workbook one field of the resource came from;
- `record-field` (on the resource): a field of the canonical record the resource type has no element for;
- `qualifier` (on the resource): a CRF item the mapping names as a qualifier (FHIR's side of SDTM SUPP--).
They live under the study's canonical base (`fhir.canonical_base` in study.yaml; crfmap's own by default).

It also uses two extensions of HL7's "Adverse Event Clinical Research R4 Backport" IG, STU1 1.0.1
(hl7.fhir.uv.ae-research-backport-ig, http://hl7.org/fhir/uv/ae-research-backport-ig/STU1), for facts R4's
AdverseEvent has no element for: `ae-grade` (the CTCAE grade; R4 `severity` only knows mild/moderate/severe)
and `resolve-date` (R4 AdverseEvent has no end date). That IG is not on any package registry a server or
validator installs from, so its two definitions are restated here with their published facts (url, version
1.0.1, context AdverseEvent, value type, binding) from the IG's source (HL7/fhir-ae-research-backport-ig,
input/fsh/adverseEventResearchProfile.fsh at da34ab95adf81fa7ae77c49486899638feb51c64, the 1.0.1 publication).
A server that has the IG itself can leave these two files out; their urls and content agree with it.

The shipped copy (package/) holds the definitions under crfmap's default base; `build_package` makes them for
any base, and `write_package` writes a folder and a .tgz a server or validator can load.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from crfmap.writers.fhir_r4.definitions.snapshot import (
    Binding,
    ExtensionSpec,
    Part,
    build_structure_definition,
)

DEFAULT_CANONICAL_BASE = "https://crfmap.org/fhir"
PACKAGE_NAME = "crfmap.fhir.extensions"
PACKAGE_VERSION = "1.0.0"  # of the definitions; changes only when they do
SHIPPED = Path(__file__).resolve().parent / "package"
AE_BACKPORT = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition"
VALUE_TYPES = ("boolean", "integer", "decimal", "dateTime", "string", "CodeableConcept", "Quantity")

CRFMAP_EXTENSIONS = (
    ExtensionSpec(
        id="source-cells", name="SourceCells", title="Source cells",
        description="The cells of the input workbook that one field of this resource was made from, so that every "
                    "value can be traced back to where a data manager entered it.",
        contexts=("Meta",),
        parts=(
            Part("field", ("string",), 1, "1", "Field of the record",
                 "The canonical record's field the cells gave (e.g. dose, start), or qualifiers.<name> for a "
                 "qualifier of the mapping."),
            Part("file", ("string",), 1, "*", "Input file name",
                 "The input file's name, without folders."),
            Part("cell", ("string",), 1, "*", "Cell",
                 "A cell as Sheet!A1 (A1 notation; a sheet name with spaces or punctuation in single quotes, as "
                 "Excel writes it), or a non-grid export's own path to the value."),
        )),
    ExtensionSpec(
        id="record-field", name="RecordField", title="Record field without a FHIR element",
        description="A field of the canonical study record that this resource type has no element for, kept with "
                    "its name so that nothing recorded is lost.",
        contexts=("DomainResource",),
        parts=(
            Part("name", ("string",), 1, "1", "Field name", "The canonical record's field name, e.g. visit."),
            Part("value", VALUE_TYPES, 1, "1", "Field value", "The field's value, in the source's precision."),
        )),
    ExtensionSpec(
        id="qualifier", name="Qualifier", title="CRF qualifier",
        description="A CRF item that the study's mapping declares as a qualifier of the record (what SDTM holds in "
                    "SUPP-- datasets), with the name the mapping gives it.",
        contexts=("DomainResource",),
        parts=(
            Part("name", ("string",), 1, "1", "Qualifier name", "The qualifier's name in the study's mapping."),
            Part("value", VALUE_TYPES, 1, "1", "Qualifier value", "The qualifier's value, in the source's precision."),
        )),
)

BACKPORT_HEADER = {"version": "1.0.1", "status": "active", "experimental": False,
                   "publisher": "HL7 International / Biomedical Research and Regulation"}
AE_BACKPORT_EXTENSIONS = (
    ExtensionSpec(
        id="ae-grade", name="AdverseEventGrade", title="Adverse Event Grade",
        description="The grade of the adverse event (for oncology trials, e.g. a CTCAE grade): the investigator's "
                    "assessment of its severity. Restated from hl7.fhir.uv.ae-research-backport-ig 1.0.1.",
        contexts=("AdverseEvent",), value_types=("CodeableConcept",),
        value_binding=Binding("preferred", "http://terminology.hl7.org/ValueSet/adverse-event-clinical-research-grades",
                              "Grades of an adverse event in clinical research."),
        header=BACKPORT_HEADER),
    ExtensionSpec(
        id="resolve-date", name="ResolvedDate", title="Adverse Event resolution date",
        description="The date the adverse event resolved. Restated from hl7.fhir.uv.ae-research-backport-ig 1.0.1.",
        contexts=("AdverseEvent",), value_types=("dateTime",), header=BACKPORT_HEADER),
)
PACKAGE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def structure_definition_base(canonical_base: str) -> str:
    return f"{canonical_base.rstrip('/')}/StructureDefinition"


def build_package(canonical_base: str = DEFAULT_CANONICAL_BASE, extension_base: str | None = None,
                  name: str = PACKAGE_NAME) -> dict[str, dict[str, Any]]:
    """File name → JSON content of the package: package.json and one StructureDefinition per extension.

    `extension_base` (the base of crfmap's StructureDefinition urls) defaults to <canonical_base>/StructureDefinition.
    """
    canonical_base = canonical_base.rstrip("/")
    sd_base = (extension_base or structure_definition_base(canonical_base)).rstrip("/")
    crfmap_header = {"version": PACKAGE_VERSION, "status": "active", "experimental": False, "publisher": "crfmap"}
    files: dict[str, dict[str, Any]] = {"package.json": {
        "name": name, "version": PACKAGE_VERSION, "type": "IG", "canonical": canonical_base,
        "title": "crfmap FHIR extensions",
        "description": "StructureDefinitions of the extensions crfmap writes (source-cells, record-field, "
                       "qualifier), and restated definitions of the two hl7.fhir.uv.ae-research-backport-ig 1.0.1 "
                       "extensions it uses (ae-grade, resolve-date).",
        "fhirVersions": ["4.0.1"], "dependencies": {"hl7.fhir.r4.core": "4.0.1"}, "author": "crfmap",
        "license": "Apache-2.0",
    }}
    for spec in CRFMAP_EXTENSIONS:
        owned = replace(spec, header=crfmap_header)
        files[f"StructureDefinition-{spec.id}.json"] = build_structure_definition(owned, f"{sd_base}/{spec.id}")
    for spec in AE_BACKPORT_EXTENSIONS:
        files[f"StructureDefinition-{spec.id}.json"] = build_structure_definition(spec, f"{AE_BACKPORT}/{spec.id}")
    return files


def dump_definition(content: dict[str, Any]) -> bytes:
    """Stable bytes: two-space indent, insertion order, UTF-8, a final newline."""
    return (json.dumps(content, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def package_file_name(files: dict[str, dict[str, Any]]) -> str:
    manifest = files["package.json"]
    return f"{manifest['name']}-{manifest['version']}.tgz"


def make_tarball(files: dict[str, dict[str, Any]]) -> bytes:
    """The package as npm/FHIR tooling expects it (package/<file>), byte-identical across runs."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sorted(files):
            data = dump_definition(files[name])
            info = tarfile.TarInfo(f"package/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def write_package(out: Path, files: dict[str, dict[str, Any]]) -> list[str]:
    """Write `package/<file>` for each file and the .tgz into `out` (created if missing); each file atomically.

    Files of `out` that are not the package's are left alone. Returns the written paths relative to `out`.
    """
    from crfmap.writers.atomic import atomic_file

    written = []
    for name in sorted(files):
        with atomic_file(out / "package" / name) as stream:
            stream.write(dump_definition(files[name]))
        written.append(f"package/{name}")
    tarball = package_file_name(files)
    with atomic_file(out / tarball) as stream:
        stream.write(make_tarball(files))
    written.append(tarball)
    return written


def read_shipped() -> dict[str, bytes]:
    """The package shipped inside crfmap (default base), file name → bytes."""
    return {path.name: path.read_bytes() for path in sorted(SHIPPED.glob("*.json"))}


__all__ = ["AE_BACKPORT_EXTENSIONS", "CRFMAP_EXTENSIONS", "DEFAULT_CANONICAL_BASE", "PACKAGE_NAME",
           "PACKAGE_NAME_PATTERN", "PACKAGE_VERSION", "build_package", "dump_definition", "make_tarball",
           "package_file_name", "read_shipped", "write_package"]
