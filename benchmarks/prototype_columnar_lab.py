"""Prototype for issue #16's "columnar engine" route, on the lab case: what polars expressions over the csv's
columns cost for the same job (every value validated, one FHIR Observation per row, source cell kept).

    python -m venv /tmp/polars && /tmp/polars/bin/pip install polars orjson
    /tmp/polars/bin/python benchmarks/prototype_columnar_lab.py LAB.csv OUT.ndjson

Not crfmap: a measurement of the route. It checks what the lab mapping declares (subject id pattern, test and
unit in their code lists, a decimal >= 0 with point or comma, a real dd.mm.yyyy date not after the cut-off,
duplicate (subject, test, date)) as column expressions, counts the failures per check with their rows, and
builds each Observation's JSON text with string expressions (UUID v5 ids are the one per-row Python step);
no Patient/Provenance resources, no bundles. Prints the seconds per phase and the rows per second.
"""

from __future__ import annotations

import hashlib
import sys
import time
import uuid

import polars as pl

NAMESPACE = uuid.UUID("6f1d1a64-2c55-5b0e-9a56-6372666d6170").bytes
TESTS = {"HGB": ("C64848", "Hemoglobin"), "WBC": ("C51948", "Leukocytes"), "PLAT": ("C51951", "Platelets"),
         "NEUT": ("C63321", "Neutrophils"), "CRP": ("C64548", "C Reactive Protein")}
UNITS = {"g/L", "10*9/L", "mg/L"}
CUTOFF = "2024-12-31"


def uuid5(name: str) -> str:
    digest = bytearray(hashlib.sha1(NAMESPACE + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def main() -> int:
    source, target = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    frame = pl.read_csv(source, infer_schema=False).with_row_index("row", offset=2)
    read = time.perf_counter()
    checked = frame.with_columns(
        subject_ok=pl.col("subject_id").str.contains(r"^\d{2}-\d{3}$"),
        test_ok=pl.col("test").is_in(list(TESTS)),
        unit_ok=pl.col("unit").is_in(list(UNITS)),
        number=pl.col("value").str.strip_chars().str.replace(",", ".").cast(pl.Float64, strict=False),
        day=pl.col("date").str.strptime(pl.Date, "%d.%m.%Y", strict=False),
    ).with_columns(
        value_ok=pl.col("number").is_not_null() & (pl.col("number") >= 0),
        date_ok=pl.col("day").is_not_null() & (pl.col("day") <= pl.lit(CUTOFF).str.to_date()),
        duplicate=pl.struct("subject_id", "test", "date").is_duplicated(),
    )
    failures = {name: checked.filter(~pl.col(name)).get_column("row").to_list()
                for name in ("subject_ok", "test_ok", "unit_ok", "value_ok", "date_ok")}
    failures["duplicate"] = checked.filter(pl.col("duplicate")).get_column("row").to_list()
    validated = time.perf_counter()
    good = checked.filter(pl.all_horizontal("subject_ok", "test_ok", "unit_ok", "value_ok", "date_ok")
                          & ~pl.col("duplicate"))
    keys = good.select(pl.concat_str(["subject_id", "test", "date"], separator="\x1f")).to_series().to_list()
    ids = [uuid5(key) for key in keys]
    patients = {subject: uuid5(f"{subject}\x1fPatient") for subject in good.get_column("subject_id").unique()}
    codes = pl.DataFrame({"test": list(TESTS), "nci": [code for code, _ in TESTS.values()],
                          "display": [display for _, display in TESTS.values()]})
    lines = good.with_columns(id=pl.Series(ids), patient=pl.col("subject_id").replace_strict(patients)).join(
        codes, on="test", how="left", maintain_order="left").select(pl.concat_str([
            pl.lit('{"resourceType":"Observation","id":"'), pl.col("id"),
            pl.lit('","meta":{"extension":[{"url":"source-cells","extension":[{"url":"cell","valueString":"lab!C'),
            pl.col("row").cast(pl.String), pl.lit('"}]}]},"status":"final","code":{"coding":[{"system":'
                                                 '"http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl","code":"'),
            pl.col("nci"), pl.lit('","display":"'), pl.col("display"),
            pl.lit('"}]},"subject":{"reference":"Patient/'), pl.col("patient"),
            pl.lit('"},"effectiveDateTime":"'), pl.col("day").cast(pl.String),
            pl.lit('","valueQuantity":{"value":'), pl.col("value").str.strip_chars().str.replace(",", "."),
            pl.lit(',"unit":"'), pl.col("unit"), pl.lit('","system":"http://unitsofmeasure.org"}}')]))
    with open(target, "w", encoding="utf-8") as output:
        output.write("\n".join(lines.to_series().to_list()))
        output.write("\n")
    written = time.perf_counter()
    rows = frame.height
    print(f"read {read - started:.3f} s, validate {validated - read:.3f} s, emit {written - validated:.3f} s; "
          f"{rows:,} rows, {sum(map(len, failures.values()))} failures, {rows / (written - started):,.0f} rows/s "
          "(process start and imports not included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
