"""The OIDs that tie define.xml, Dataset-JSON and the .xpt file names together (MSG v2 conventions)."""

from __future__ import annotations


def item_group_oid(dataset_name: str) -> str:
    """IG.AE: define ItemGroupDef/@OID and Dataset-JSON itemGroupOID."""
    return f"IG.{dataset_name}"


def item_oid(dataset_name: str, variable_name: str) -> str:
    """IT.AE.AETERM: define ItemDef/@OID and Dataset-JSON columns[].itemOID."""
    return f"IT.{dataset_name}.{variable_name}"


def codelist_oid(codelist_id: str) -> str:
    """CL.<id>: define CodeList/@OID for the study code list `id`."""
    return f"CL.{codelist_id}"


def leaf_id(dataset_name: str) -> str:
    """LF.AE: define def:leaf/@ID, the archive location of the dataset's file."""
    return f"LF.{dataset_name}"


def xpt_file_name(dataset_name: str) -> str:
    """ae.xpt: SDTM file names are the lower-case dataset name."""
    return f"{dataset_name.lower()}.xpt"
