"""Reading an xlsx sheet: openpyxl read-only vs python-calamine vs crfmap's streaming lxml reader.

    python benchmarks/bench_read.py                 # 50,000 rows × 10 columns
    python benchmarks/bench_read.py --rows 500000

The workbook is written directly as XML (6 shared-string columns, 4 numeric ones, one of them date-styled).
Each reader runs in its own subprocess so that its peak RSS (ru_maxrss) is its own; every cell is touched.
Compare ratios within one run: absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
READERS = ("crfmap", "openpyxl", "calamine")
TERMS = ["Fever", "Tremor", "Seizure", "Cytokine release syndrome", "Neutropenia", "Headache", "Фебрильная лихорадка"]


def write_workbook(path: Path, rows: int) -> None:
    strings: dict[str, int] = {}

    def index_of(text: str) -> int:
        return strings.setdefault(text, len(strings))

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        write_package_parts(archive)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for number in range(1, rows + 1):
                texts = [f"01-{number // 20:05d}", TERMS[number % 7], f"Visit {number % 12}", "Y" if number % 3 else "N",
                         f"comment {number}", "bone marrow"]
                cells = "".join(f'<c r="{letter}{number}" t="s"><v>{index_of(text)}</v></c>'
                                for letter, text in zip("ABCDEF", texts))
                cells += (f'<c r="G{number}"><v>{number % 5}</v></c><c r="H{number}"><v>{number / 7:.6f}</v></c>'
                          f'<c r="I{number}" s="1"><v>{45000 + number % 900}</v></c><c r="J{number}"><v>{number}</v></c>')
                sheet.write(f'<row r="{number}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w") as shared:
            shared.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" uniqueCount="{len(strings)}">'.encode())
            for text in strings:
                shared.write(f"<si><t>{text}</t></si>".encode())
            shared.write(b"</sst>")


def write_package_parts(archive: zipfile.ZipFile) -> None:
    archive.writestr("[Content_Types].xml", (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'))
    archive.writestr("_rels/.rels", (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
        f'<Relationship Id="rId1" Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
    archive.writestr("xl/workbook.xml", (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}">'
        '<sheets><sheet name="AE" sheetId="1" r:id="rId1"/></sheets></workbook>'))
    archive.writestr("xl/_rels/workbook.xml.rels", (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
        f'<Relationship Id="rId1" Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONS}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{RELATIONS}/styles" Target="styles.xml"/></Relationships>'))
    archive.writestr("xl/styles.xml", (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'))


def read_with(reader: str, path: Path) -> int:
    """Touch every cell; return how many non-empty cells were seen."""
    count = 0
    if reader == "crfmap":
        from crfmap.readers import ReadOptions, open_workbook
        with open_workbook(path, ReadOptions(), lambda issue: None) as workbook:
            for row in workbook.iter_rows(workbook.sheets()[0].name):
                count += len(row.cells)
    elif reader == "openpyxl":
        import openpyxl
        workbook = openpyxl.load_workbook(path, read_only=True)
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            count += sum(1 for value in values if value is not None)
        workbook.close()
    else:
        from python_calamine import CalamineWorkbook
        workbook = CalamineWorkbook.from_path(str(path))
        for values in workbook.get_sheet_by_index(0).iter_rows():
            count += sum(1 for value in values if value != "")
    return count


def run_one(reader: str, path: Path) -> None:
    start = time.perf_counter()
    cells = read_with(reader, path)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps({"reader": reader, "seconds": seconds, "peak_mib": peak_mib, "cells": cells}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--readers", default=",".join(READERS))
    parser.add_argument("--run", choices=READERS, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        run_one(options.run, options.file)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.xlsx"
        start = time.perf_counter()
        write_workbook(path, options.rows)
        print(f"workbook: {options.rows:,} rows × 10 columns, {path.stat().st_size / 1e6:.1f} MB "
              f"(written in {time.perf_counter() - start:.1f} s)")
        results = []
        for reader in options.readers.split(","):
            output = subprocess.run([sys.executable, __file__, "--run", reader, "--file", str(path)],
                                    check=True, capture_output=True, text=True).stdout
            results.append(json.loads(output))
    fastest = min(result["seconds"] for result in results)
    for result in results:
        print(f"{result['reader']:>9}: {result['seconds']:6.2f} s ({result['seconds'] / fastest:4.1f}×)  "
              f"peak RSS {result['peak_mib']:6.0f} MiB  cells {result['cells']:,}")


if __name__ == "__main__":
    main()
