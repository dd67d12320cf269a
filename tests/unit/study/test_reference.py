"""The README's mapping reference (record fields, operations, target keys) is generated from the models, and the
hints that send users to it name headings that exist."""

from __future__ import annotations

import re

from crfmap.api import mapping_reference
from crfmap.issues import CATALOGUE
from crfmap.model import RECORD_TYPES, record_fields
from tests.shared_data import REPO_ROOT


def readme() -> str:
    return (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_reference_is_the_generated_one():
    block = readme().split("<!-- reference:begin -->\n")[1].split("<!-- reference:end -->")[0]
    assert block == mapping_reference(), "regenerate: crfmap schema --format markdown (between the markers)"


def test_every_record_field_and_target_key_is_in_the_reference():
    text = mapping_reference()
    for kind in RECORD_TYPES:
        assert f"`record: {kind}`" in text
        for info in record_fields(kind):
            assert f"| `{info.name}` |" in text, (kind, info.name)
    for key in ("domain", "derive", "variables", "supp", "custom_domains", "visits", "resource", "profile",
                "category"):
        assert f"| `{key}` |" in text, key


def test_hints_that_name_readme_sections_name_ones_that_exist():
    headings = {match.group(1).strip() for match in re.finditer(r"^#+ (.+)$", readme(), re.MULTILINE)}
    named = 0
    for entry in CATALOGUE.values():
        for section in re.findall(r"README's '([^']+)'", entry.hint):
            named += 1
            assert section in headings, (entry.code, section)
    assert named >= 2  # P009 and P011 at least
