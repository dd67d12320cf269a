"""wide.xlsx (the reference cohort with one row per patient and repeated column groups) converts to the same
outputs as clean.xlsx: SDTM byte for byte; FHIR byte for byte once the provenance is set aside, which must name
each file's own cells (every record keeps the cells it came from)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crfmap.cli import main
from tests.shared_data import REPO_ROOT

FIXTURES = REPO_ROOT / "fixtures" / "blinatumomab_ped_all"
STUDY = REPO_ROOT / "mappings" / "blinatumomab_ped_all"
SOURCE_CELLS = "https://crfmap.org/fhir/StructureDefinition/source-cells"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    folders = {}
    for name in ("clean", "wide"):
        out = tmp_path_factory.mktemp(name)
        result = CliRunner().invoke(main, ["convert", str(FIXTURES / f"{name}.xlsx"), "--study", str(STUDY),
                                           "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "0 error(s), 0 warning(s)" in result.output
        folders[name] = out
    return folders


def files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def test_sdtm_is_byte_identical(outputs):
    clean, wide = files(outputs["clean"] / "sdtm"), files(outputs["wide"] / "sdtm")
    assert sorted(clean) == sorted(wide) and len(clean) == 46  # 22 datasets × (xpt, json), define.xml, its stylesheet
    assert [name for name in clean if clean[name] != wide[name]] == []


def without_provenance(bundle: dict) -> tuple[dict, list[tuple[str, str, str]]]:
    """The bundle with the input's name, digest and cells blanked, and the cells it named (resource id, field,
    cell)."""
    cells = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        for extension in resource.get("meta", {}).get("extension", []):
            if extension["url"] == SOURCE_CELLS:
                parts = {part["url"]: part for part in extension["extension"]}
                cells.append((resource["id"], parts["field"]["valueString"], parts["cell"]["valueString"]))
                parts["file"]["valueString"] = parts["cell"]["valueString"] = "…"
        if resource["resourceType"] == "Provenance":
            source = resource["entity"][0]["what"]
            source["display"] = source["identifier"]["value"] = "…"
    return bundle, cells


def test_fhir_is_identical_but_for_the_cells_each_record_came_from(outputs):
    clean, wide = files(outputs["clean"] / "fhir"), files(outputs["wide"] / "fhir")
    assert sorted(clean) == sorted(wide)
    named: dict[str, list[tuple[str, str, str]]] = {"clean": [], "wide": []}
    for name in clean:
        clean_bundle, clean_cells = without_provenance(json.loads(clean[name]))
        wide_bundle, wide_cells = without_provenance(json.loads(wide[name]))
        assert clean_bundle == wide_bundle, name
        assert [cell[:2] for cell in clean_cells] == [cell[:2] for cell in wide_cells]  # same fields traced
        named["clean"] += clean_cells
        named["wide"] += wide_cells
    wide_cells = {(resource, field): cell for resource, field, cell in named["wide"]}
    # 01-001's marrow blasts after cycle 1: clean row 3, column D; wide row 2, in the "_eoc1" group; its timepoint
    # comes from the header naming the group.
    resource = next(resource for resource, field, cell in named["clean"]
                    if field == "value_quantity" and cell == "'Bone marrow'!D3")
    assert wide_cells[(resource, "value_quantity")] == "'Bone marrow'!H2"
    assert wide_cells[(resource, "qualifiers.timepoint")] == "'Bone marrow'!G1"
    assert len(set(named["wide"])) == len(named["wide"])
