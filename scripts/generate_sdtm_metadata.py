"""Generate crfmap's SDTM metadata and CDISC controlled terminology from CDISC's and NCI EVS's published files.

    python scripts/generate_sdtm_metadata.py [--public-data ../shared/public-data] [--out src/crfmap/standards/data]

Reads, under the public-data folder:
  cdisc/sdtmig-3.4/{Datasets,Variables}.csv   SDTMIG v3.4 (CDISC Library Browser export): domains and variables
  cdisc/sdtm-2.0/{Datasets,Variables}.csv     SDTM v2.0: the general observation class variables (--TESTCD, EPOCH …)
  cdisc/ct/sdtm-terminology-<date>.tar.xz     NCI EVS "SDTM Terminology.txt" releases
and writes what crfmap.standards loads:
  sdtmig-3.4.json.gz, sdtm-model-2.0.json.gz   gzipped JSON (readable once unzipped)
  sdtm-ct-<date>.zip                            a zip of JSON: release.json (the header and an index of the
                                                codelists: C-code → submission value, name, extensible) and one
                                                codelists/<C-code>.json per codelist (its terms), so that a
                                                conversion reads the index and only the codelists it uses
Each file's header names its source files with their version and SHA-256. The output is deterministic: the same
sources give byte-identical files (gzip with no name and mtime 0; zip members in a fixed order with a fixed
timestamp and permissions; keys in a fixed order).
Facts are carried over as published; nothing is typed by hand. Where a source is ambiguous the script stops with
a message rather than guess.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PUBLIC_DATA = REPO_ROOT.parent / "shared" / "public-data"
DEFAULT_OUT = REPO_ROOT / "src" / "crfmap" / "standards" / "data"
GENERATOR = "scripts/generate_sdtm_metadata.py"
FORMAT_VERSION = 1
CT_FORMAT_VERSION = 2  # 1 was one gzipped JSON document per release
CT_INDEX_MEMBER = "release.json"
CT_CODELIST_MEMBER = "codelists/{code}.json"
CODELIST_FIELDS = ["submission_value", "name", "extensible"]
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the files carry no time of generation

IG_DIR, MODEL_DIR, CT_DIR = "cdisc/sdtmig-3.4", "cdisc/sdtm-2.0", "cdisc/ct"
CT_ARCHIVE = re.compile(r"sdtm-terminology-(\d{4}-\d{2}-\d{2})\.tar\.xz")
CT_MEMBER = "SDTM Terminology.txt"
CT_HEADER = ["Code", "Codelist Code", "Codelist Extensible (Yes/No)", "Codelist Name", "CDISC Submission Value",
             "CDISC Synonym(s)", "CDISC Definition", "NCI Preferred Term"]
CLASSES = ("Interventions", "Events", "Findings", "Findings About", "Special-Purpose", "Trial Design",
           "Study Reference", "Relationship")
# Classes of the SDTM v2.0 table that are templates for domain variables ("--" stands for the domain code).
GENERAL_CLASSES = ("General Observations", "Interventions", "Events", "Findings", "Findings About",
                   "Associated Persons")


class SourceProblem(Exception):
    """A source file is missing or does not look as expected; the message names it."""


@dataclass(frozen=True)
class Source:
    path: str  # relative to the public-data folder
    version: str
    sha256: str

    def header(self) -> dict[str, str]:
        return {"file": self.path, "version": self.version, "sha256": self.sha256}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_csv(public_data: Path, relative: str, columns: list[str]) -> tuple[list[dict[str, str]], bytes]:
    path = public_data / relative
    if not path.is_file():
        raise SourceProblem(f"{path} is missing")
    data = path.read_bytes()
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    missing = [column for column in columns if column not in (reader.fieldnames or [])]
    if missing:
        raise SourceProblem(f"{relative}: columns {missing} not found (has {reader.fieldnames})")
    return list(reader), data


def one_version(rows: list[dict[str, str]], relative: str) -> str:
    versions = {row["Version"] for row in rows}
    if len(versions) != 1:
        raise SourceProblem(f"{relative}: expected one Version, found {sorted(versions)}")
    return versions.pop()


def text(value: str | None) -> str | None:
    """A source cell as data: surrounding blanks and literal '\\n' left by the export removed; empty is None."""
    if value is None:
        return None
    cleaned = value.replace("\\n", "\n").strip()
    return cleaned or None


def split_codes(cell: str) -> list[str]:
    codes = [code.strip() for code in cell.split(";") if code.strip()]
    for code in codes:
        if not re.fullmatch(r"C\d+", code):
            raise SourceProblem(f"not an NCI C-code: {code!r} in {cell!r}")
    return codes


# ---- controlled terminology -------------------------------------------------------------------------------------

def read_ct_release(archive: Path) -> tuple[list[list[str]], Source, str]:
    """The rows of one NCI EVS release archive, its Source and the SHA-256 of the text file inside."""
    match = CT_ARCHIVE.fullmatch(archive.name)
    if match is None:
        raise SourceProblem(f"{archive.name}: not named sdtm-terminology-YYYY-MM-DD.tar.xz")
    raw = archive.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:xz") as bundle:
        members = [member for member in bundle.getmembers() if member.isfile()]
        if [member.name for member in members] != [CT_MEMBER]:
            raise SourceProblem(f"{archive.name}: expected only {CT_MEMBER!r}, found {[m.name for m in members]}")
        stream = bundle.extractfile(members[0])
        assert stream is not None  # a regular file always has a stream
        content = stream.read()
    # Tab-separated with no quoting: a double quote inside a definition is text.
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline=""), delimiter="\t",
                           quoting=csv.QUOTE_NONE))
    if not rows or rows[0] != CT_HEADER:
        raise SourceProblem(f"{archive.name}: unexpected header {rows[0] if rows else None}")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(CT_HEADER):
            raise SourceProblem(f"{archive.name}: line {number} has {len(row)} fields, not {len(CT_HEADER)}")
    source = Source(f"{CT_DIR}/{archive.name}", f"NCI EVS SDTM Terminology {match.group(1)}", sha256_of(raw))
    return rows[1:], source, sha256_of(content)


def synonyms(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def build_ct(rows: list[list[str]], source: Source, text_sha256: str, version: str) -> dict[str, Any]:
    codelists: dict[str, dict[str, Any]] = {}
    for code, codelist_code, extensible, name, submission, synonym_cell, _definition, preferred in rows:
        if codelist_code:
            continue
        if code in codelists:
            raise SourceProblem(f"{source.path}: codelist {code} listed twice")
        if extensible not in ("Yes", "No"):
            raise SourceProblem(f"{source.path}: codelist {code} extensible is {extensible!r}")
        codelists[code] = {"submission_value": submission, "name": name, "extensible": extensible == "Yes",
                           "terms": []}
    by_submission: dict[str, str] = {}
    for code, entry in codelists.items():
        other = by_submission.setdefault(entry["submission_value"], code)
        if other != code:
            raise SourceProblem(f"{source.path}: codelists {other} and {code} share {entry['submission_value']!r}")
    for code, codelist_code, _extensible, _name, submission, synonym_cell, _definition, preferred in rows:
        if not codelist_code:
            continue
        if codelist_code not in codelists:
            raise SourceProblem(f"{source.path}: term {code} names unknown codelist {codelist_code}")
        codelists[codelist_code]["terms"].append([code, submission, synonyms(synonym_cell), preferred])
    for code, entry in codelists.items():
        values = [term[1] for term in entry["terms"]]
        if len(values) != len(set(values)):
            raise SourceProblem(f"{source.path}: codelist {code} has a submission value twice")
    return {
        "format": FORMAT_VERSION, "generated_by": GENERATOR, "kind": "sdtm-ct", "version": version,
        "sources": [{**source.header(), "member": CT_MEMBER, "member_sha256": text_sha256}],
        "term_fields": ["code", "submission_value", "synonyms", "preferred_term"],
        "codelists": codelists,
    }


# ---- SDTMIG -----------------------------------------------------------------------------------------------------

IG_DATASET_COLUMNS = ["Version", "Class", "Dataset Name", "Dataset Label", "Structure"]
IG_VARIABLE_COLUMNS = ["Version", "Variable Order", "Class", "Dataset Name", "Variable Name", "Variable Label", "Type",
                       "CDISC CT Codelist Code(s)", "Codelist Submission Values", "Described Value Domain(s)",
                       "Value List", "Role", "CDISC Notes", "Core"]


def resolve_codelist(code: str, releases: list[tuple[str, dict[str, Any]]]) -> dict[str, str | None]:
    """A codelist reference with its submission value, from the newest release that has the codelist."""
    for version, release in releases:
        entry = release["codelists"].get(code)
        if entry is not None:
            return {"code": code, "submission_value": entry["submission_value"], "ct_version": version}
    return {"code": code, "submission_value": None, "ct_version": None}


def build_sdtmig(public_data: Path, releases: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    datasets, datasets_raw = read_csv(public_data, f"{IG_DIR}/Datasets.csv", IG_DATASET_COLUMNS)
    variables, variables_raw = read_csv(public_data, f"{IG_DIR}/Variables.csv", IG_VARIABLE_COLUMNS)
    sources = [Source(f"{IG_DIR}/Datasets.csv", one_version(datasets, "Datasets.csv"), sha256_of(datasets_raw)),
               Source(f"{IG_DIR}/Variables.csv", one_version(variables, "Variables.csv"), sha256_of(variables_raw))]
    domains: dict[str, dict[str, Any]] = {}
    for row in datasets:
        if row["Class"] not in CLASSES:
            raise SourceProblem(f"Datasets.csv: unknown class {row['Class']!r} for {row['Dataset Name']}")
        domains[row["Dataset Name"]] = {"label": row["Dataset Label"], "class": row["Class"],
                                        "structure": text(row["Structure"]), "variables": []}
    for row in variables:
        domain = domains.get(row["Dataset Name"])
        if domain is None:
            raise SourceProblem(f"Variables.csv: {row['Variable Name']} of unknown dataset {row['Dataset Name']}")
        if row["Class"] != domain["class"] or row["Type"] not in ("Char", "Num") \
                or row["Core"] not in ("Req", "Exp", "Perm") or text(row["Codelist Submission Values"]):
            raise SourceProblem(f"Variables.csv: unexpected class/type/core/submission values in {row}")
        domain["variables"].append({
            "order": int(row["Variable Order"]), "name": row["Variable Name"], "label": row["Variable Label"],
            "type": row["Type"], "role": row["Role"], "core": row["Core"],
            "codelists": [resolve_codelist(code, releases) for code in split_codes(row["CDISC CT Codelist Code(s)"])],
            "value_domain": text(row["Described Value Domain(s)"]), "fixed_value": text(row["Value List"]),
            "notes": text(row["CDISC Notes"]),
        })
    for name, domain in domains.items():
        orders = [variable["order"] for variable in domain["variables"]]
        if orders != list(range(1, len(orders) + 1)):
            raise SourceProblem(f"Variables.csv: {name} variable order is {orders}, not 1..n in file order")
        names = [variable["name"] for variable in domain["variables"]]
        if len(names) != len(set(names)):
            raise SourceProblem(f"Variables.csv: {name} lists a variable twice")
    unresolved = sorted({ref["code"] for domain in domains.values() for variable in domain["variables"]
                         for ref in variable["codelists"] if ref["submission_value"] is None})
    return {
        "format": FORMAT_VERSION, "generated_by": GENERATOR, "kind": "sdtmig", "standard": "SDTMIG",
        "version": "3.4", "sources": [source.header() for source in sources],
        "codelist_submission_values_from": [release["sources"][0]["file"] for _version, release in releases],
        "codelists_not_in_ct": unresolved,
        "domains": domains,
    }


# ---- SDTM model -------------------------------------------------------------------------------------------------

MODEL_DATASET_COLUMNS = ["Version", "Class", "Dataset Name", "Dataset Label", "Structure"]
MODEL_VARIABLE_COLUMNS = ["Version", "Variable Order", "Class", "Dataset Name", "Variable Name", "Variable Label",
                          "Type", "Described Value Domain", "Role", "Variables Qualified", "Usage Restrictions",
                          "Variable C-Code", "Definition", "Notes", "Examples"]


def parse_restriction(restriction: str | None) -> dict[str, Any]:
    """Where a class variable may be used, from the model's Usage Restrictions text, as data a program can apply.

    The texts are few and fixed; an unknown one stops the generator so that a new source is read by a person.
    """
    rule: dict[str, Any] = {"human_clinical_trials": True, "nonclinical_trials": True, "only_domains": None,
                            "not_domains": [], "use_case_domains": [], "not_classes": []}
    for part in [piece.strip() for piece in (restriction or "").split(";") if piece.strip()]:
        lowered = part.lower()
        domains = re.findall(r"\b[A-Z]{2}\b", part.split(":")[-1])
        if lowered == "not in human clinical trials":
            rule["human_clinical_trials"] = False
        elif lowered == "not in nonclinical trials":
            rule["nonclinical_trials"] = False
        elif lowered == "not in findings class domains":
            rule["not_classes"] = ["Findings", "Findings About"]
        elif lowered.startswith("only in findings class specimen-based domains") or lowered.endswith("only"):
            if not domains:
                raise SourceProblem(f"usage restriction names no domain: {part!r}")
            rule["only_domains"] = domains
        elif lowered.startswith("not in ") and domains:
            # "Not in QS, FT, and clinical classifications use case of RS": RS only for one use case, which is
            # the sponsor's call; so RS stays allowed and is named as conditional.
            excluded, _, conditional = part.partition(" use case of ")
            rule["not_domains"] = re.findall(r"\b[A-Z]{2}\b", excluded)
            rule["use_case_domains"] = re.findall(r"\b[A-Z]{2}\b", conditional)
        else:
            raise SourceProblem(f"usage restriction not understood: {part!r}")
    return rule


def build_sdtm_model(public_data: Path) -> dict[str, Any]:
    datasets, datasets_raw = read_csv(public_data, f"{MODEL_DIR}/Datasets.csv", MODEL_DATASET_COLUMNS)
    variables, variables_raw = read_csv(public_data, f"{MODEL_DIR}/Variables.csv", MODEL_VARIABLE_COLUMNS)
    sources = [Source(f"{MODEL_DIR}/Datasets.csv", one_version(datasets, "Datasets.csv"), sha256_of(datasets_raw)),
               Source(f"{MODEL_DIR}/Variables.csv", one_version(variables, "Variables.csv"),
                      sha256_of(variables_raw))]
    classes: dict[str, list[dict[str, Any]]] = {name: [] for name in GENERAL_CLASSES}
    model_datasets: dict[str, dict[str, Any]] = {
        row["Dataset Name"]: {"label": row["Dataset Label"], "class": row["Class"],
                              "structure": text(row["Structure"]), "variables": []} for row in datasets}
    for row in variables:
        if row["Type"] not in ("Char", "Num"):
            raise SourceProblem(f"sdtm-2.0 Variables.csv: type {row['Type']!r} of {row['Variable Name']}")
        variable = {
            "order": int(row["Variable Order"]), "name": row["Variable Name"], "label": row["Variable Label"],
            "type": row["Type"], "role": row["Role"], "value_domain": text(row["Described Value Domain"]),
            "qualifies": [name.strip() for name in (text(row["Variables Qualified"]) or "").split(",")
                          if name.strip()],
            "usage_restrictions": text(row["Usage Restrictions"]), "c_code": text(row["Variable C-Code"]),
            "definition": text(row["Definition"]), "notes": text(row["Notes"]), "examples": text(row["Examples"]),
        }
        if row["Dataset Name"]:
            if row["Dataset Name"] not in model_datasets:
                raise SourceProblem(f"sdtm-2.0 Variables.csv: unknown dataset {row['Dataset Name']}")
            model_datasets[row["Dataset Name"]]["variables"].append(variable)
        elif row["Class"] in classes:
            variable["applies"] = parse_restriction(variable["usage_restrictions"])
            classes[row["Class"]].append(variable)
        else:
            raise SourceProblem(f"sdtm-2.0 Variables.csv: {row['Variable Name']} has class {row['Class']!r} "
                                "and no dataset")
    for name, members in [*classes.items(), *((key, value["variables"]) for key, value in model_datasets.items())]:
        orders = [variable["order"] for variable in members]
        if orders != list(range(1, len(orders) + 1)):
            raise SourceProblem(f"sdtm-2.0 Variables.csv: {name} variable order is {orders}")
    return {
        "format": FORMAT_VERSION, "generated_by": GENERATOR, "kind": "sdtm-model", "standard": "SDTM",
        "version": "2.0", "sources": [source.header() for source in sources],
        "classes": classes, "datasets": model_datasets,
    }


# ---- output -----------------------------------------------------------------------------------------------------

def is_record(value: Any) -> bool:
    """A variable or a term: written on one line, so that a diff of two releases shows one line per change."""
    return (isinstance(value, dict) and "order" in value) or (isinstance(value, list) and bool(value)
                                                               and isinstance(value[0], str))


def render(value: Any, indent: str = "") -> str:
    if is_record(value) or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=False)
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {render(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + render(item, inner) for item in value) + "\n" + indent + "]"


def encode(document: dict[str, Any]) -> bytes:
    """Deterministic gzipped JSON (no file name, mtime 0), one line per variable or term."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as stream:
        stream.write((render(document) + "\n").encode("utf-8"))
    return buffer.getvalue()


def encode_ct(release: dict[str, Any]) -> bytes:
    """A CT release as a deterministic zip: the header with the codelist index, then one member per codelist.

    Members are deflated one by one, so a reader decompresses only the codelists it asks for; their order, names,
    timestamp and permissions are fixed, so the same release gives the same bytes.
    """
    header = {key: value for key, value in release.items() if key != "codelists"}
    index = {code: [entry["submission_value"], entry["name"], entry["extensible"]]
             for code, entry in release["codelists"].items()}
    members = [(CT_INDEX_MEMBER, {**header, "format": CT_FORMAT_VERSION, "codelist_fields": CODELIST_FIELDS,
                                  "codelists": index})]
    members += [(CT_CODELIST_MEMBER.format(code=code), entry["terms"]) for code, entry in release["codelists"].items()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, document in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.create_system = 3  # Unix, whichever system generates it
            archive.writestr(info, (render(document) + "\n").encode("utf-8"), compresslevel=9)
    return buffer.getvalue()


def generate(public_data: Path) -> Iterator[tuple[str, bytes]]:
    """(file name, content) of every generated file."""
    archives = sorted((public_data / CT_DIR).glob("sdtm-terminology-*.tar.xz"))
    if not archives:
        raise SourceProblem(f"no NCI EVS releases in {public_data / CT_DIR}")
    releases: list[tuple[str, dict[str, Any]]] = []
    for archive in archives:
        rows, source, text_sha256 = read_ct_release(archive)
        version = CT_ARCHIVE.fullmatch(archive.name).group(1)  # type: ignore[union-attr]
        releases.append((version, build_ct(rows, source, text_sha256, version)))
    releases.sort(key=lambda item: item[0], reverse=True)  # newest first, for codelist submission values
    yield "sdtmig-3.4.json.gz", encode(build_sdtmig(public_data, releases))
    yield "sdtm-model-2.0.json.gz", encode(build_sdtm_model(public_data))
    for version, release in sorted(releases):
        yield f"sdtm-ct-{version}.zip", encode_ct(release)


def write_all(files: Iterable[tuple[str, bytes]], out: Path) -> list[tuple[str, int]]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files:
        temporary = out / f".{name}.part"
        temporary.write_bytes(content)
        temporary.replace(out / name)
        written.append((name, len(content)))
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public-data", type=Path, default=DEFAULT_PUBLIC_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    arguments = parser.parse_args(argv)
    try:
        files = list(generate(arguments.public_data))
    except SourceProblem as problem:
        print(f"generate_sdtm_metadata: {problem}", file=sys.stderr)
        return 2
    for name, size in write_all(files, arguments.out):
        print(f"{arguments.out / name}: {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
