"""`crfmap template`: the blank workbook a site fills in, written from a study's forms, and the stamp that lets
`validate` and `convert` recognise it."""

from crfmap.template.build import build_template, save_template
from crfmap.template.stamp import STAMP_SHEET, TemplateStamp, parse_stamp

__all__ = ["STAMP_SHEET", "TemplateStamp", "build_template", "parse_stamp", "save_template"]
