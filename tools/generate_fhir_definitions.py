"""Rebuild the FHIR package shipped inside crfmap (src/crfmap/writers/fhir_r4/definitions/package/).

    python tools/generate_fhir_definitions.py [--check]

The package is made by crfmap.writers.fhir_r4.definitions.build_package at crfmap's default canonical base; a
test keeps the shipped copy equal to it. --check compares instead of writing (exit 1 on a difference).
"""

from __future__ import annotations

import sys

from crfmap.writers.fhir_r4.definitions import SHIPPED, build_package, dump_definition


def main(arguments: list[str]) -> int:
    wanted = {name: dump_definition(content) for name, content in build_package().items()}
    present = {path.name: path.read_bytes() for path in SHIPPED.glob("*.json")}
    if "--check" in arguments:
        if wanted != present:
            print(f"{SHIPPED} is out of date; run tools/generate_fhir_definitions.py", file=sys.stderr)
            return 1
        return 0
    SHIPPED.mkdir(parents=True, exist_ok=True)
    for name in set(present) - set(wanted):
        (SHIPPED / name).unlink()
    for name, data in wanted.items():
        (SHIPPED / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
