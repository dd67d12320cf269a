"""`crfmap init`: draft mapping folders from what a site already has (a REDCap data dictionary or ODM export,
an ODM file's MetaDataVersion, a workbook), every guess marked for review. The application layer (api/init.py)
opens the inputs and writes the folder; this package only turns what was read into a draft."""

from crfmap.scaffold.draft import DraftStudy, write_draft
from crfmap.scaffold.odm import draft_from_odm
from crfmap.scaffold.redcap import dictionary_from_odm, draft_from_redcap, read_export_facts
from crfmap.scaffold.workbook import draft_from_workbook

__all__ = ["DraftStudy", "dictionary_from_odm", "draft_from_odm", "draft_from_redcap", "draft_from_workbook",
           "read_export_facts", "write_draft"]
