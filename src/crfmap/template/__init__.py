"""`crfmap template`: the blank workbook a site fills in, written from a study's forms, and the stamp that lets
`validate` and `convert` recognise it."""

# build_template and save_template are imported on first use (PEP 562): they need openpyxl (and with it numpy),
# which reading a stamp while validating never does.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crfmap.template.stamp import STAMP_SHEET, TemplateStamp, parse_stamp

if TYPE_CHECKING:
    from crfmap.template.build import build_template, save_template

__all__ = ["STAMP_SHEET", "TemplateStamp", "build_template", "parse_stamp", "save_template"]


def __getattr__(name: str) -> Any:
    if name not in ("build_template", "save_template"):
        raise AttributeError(f"module 'crfmap.template' has no attribute {name!r}")
    value = getattr(importlib.import_module("crfmap.template.build"), name)
    globals()[name] = value
    return value
