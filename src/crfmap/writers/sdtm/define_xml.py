"""Define-XML 2.1 for the SDTM datasets, built with lxml.

One ItemGroupDef per dataset (OID IG.<NAME>, def:leaf LF.<NAME> → <name>.xpt), one ItemDef per dataset
variable (IT.<NAME>.<VAR>, as in SDTM-MSG v2, so Dataset-JSON itemOIDs match), the code lists the variables
use (EnumeratedItem, or CodeListItem when the terms carry decodes; NCI C-codes as Alias nci:ExtCodeID), the
methods they reference, comments on datasets and variables, and value-level metadata (def:ValueListDef,
def:WhereClauseDef and their ItemDefs; define/value_level.py). Element order follows the Define-XML 2.1 schema. With
`DefineMetadata.stylesheet` the document starts with the <?xml-stylesheet?> instruction browsers render it with.

Lengths: pass the Datasets from `prepare_dataset`, so Length is the XPT length. Numbers: integer Length is
the most digits of any value; float Length is the most significant digits and SignificantDigits the most
decimals. CreationDateTime comes from the caller (DefineMetadata), never from the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from lxml import etree

from crfmap.issues import Issue, make_issue
from crfmap.writers.sdtm.dataset import Dataset, Origin, Variable
from crfmap.writers.sdtm.dataset_json import key_sequence
from crfmap.writers.sdtm.define_metadata import (
    STANDARD_METHODS,
    DefineCodeList,
    DefineMetadata,
    DefineMethod,
    ValueItem,
    ValueList,
)
from crfmap.writers.sdtm.define_numbers import measure_number
from crfmap.writers.sdtm.domains.stored_rows import columns_of_rows
from crfmap.writers.sdtm.oids import codelist_oid, item_group_oid, item_oid, leaf_id, xpt_file_name
from crfmap.writers.sdtm.output_file import open_output
from crfmap.writers.sdtm.preparation import measure_lengths

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NAMESPACES = {None: ODM, "def": DEF, "xlink": XLINK}
STANDARD_IG = "STD.SDTMIG"
STANDARD_CT = "STD.CT"
ACRF_LEAF = "LF.acrf"


def _odm(tag: str) -> str:
    return f"{{{ODM}}}{tag}"


def _def(tag: str) -> str:
    return f"{{{DEF}}}{tag}"


def build_define(datasets: list[Dataset], metadata: DefineMetadata) -> tuple[etree._Element, list[Issue]]:
    """The define.xml tree for `datasets`, and the issues of references it could not resolve."""
    issues: list[Issue] = []
    root = etree.Element(_odm("ODM"), nsmap=_NAMESPACES)
    root.set("ODMVersion", "1.3.2")
    root.set("FileType", "Snapshot")
    root.set("FileOID", metadata.file_oid or f"{metadata.study_oid}.define")
    root.set("CreationDateTime", metadata.creation_datetime)
    if metadata.originator:
        root.set("Originator", metadata.originator)
    if metadata.source_system:
        root.set("SourceSystem", metadata.source_system[0])
        root.set("SourceSystemVersion", metadata.source_system[1])
    root.set(_def("Context"), "Submission")
    study = etree.SubElement(root, _odm("Study"), OID=metadata.study_oid)
    _add_global_variables(study, metadata)
    version = etree.SubElement(study, _odm("MetaDataVersion"), OID=metadata.metadata_version_oid,
                               Name=metadata.metadata_version_name)
    version.set(_def("DefineVersion"), "2.1.0")
    _add_standards(version, metadata)
    uses_pages = any(variable.origin is not None and variable.origin.pages
                     for dataset in datasets for variable in dataset.variables) or any(
        item.origin is not None and item.origin.pages for value_list in metadata.value_lists for item in value_list.items)
    if uses_pages and metadata.annotated_crf:
        crf = etree.SubElement(version, _def("AnnotatedCRF"))
        etree.SubElement(crf, _def("DocumentRef"), leafID=ACRF_LEAF)
    elif uses_pages:
        issues.append(make_issue("W031", detail="variables cite annotated CRF pages but no annotated CRF file is "
                                                "declared (DefineMetadata.annotated_crf)"))
    with_pages = uses_pages and bool(metadata.annotated_crf)
    value_lists = {(value_list.dataset, value_list.variable): value_list for value_list in metadata.value_lists}
    for value_list in metadata.value_lists:
        _add_value_list(version, value_list)
    clauses = {item.where_oid: item for value_list in metadata.value_lists for item in value_list.items}
    for item in clauses.values():  # one clause per test code, shared by --ORRES, --STRESC and --STRESN
        _add_where_clause(version, item)
    for dataset in datasets:
        _add_item_group(version, dataset, metadata)
    for dataset in datasets:
        numbers = _measure_numbers(dataset)
        for variable in dataset.variables:
            _add_item(version, dataset, variable, with_pages, value_lists.get((dataset.name, variable.name)),
                      numbers)
    for value_list in metadata.value_lists:
        for item in value_list.items:
            _add_value_item(version, item, with_pages)
    codelists, methods, found = _referenced(datasets, metadata)
    issues.extend(found)
    for codelist in codelists:
        _add_codelist(version, codelist, issues)
    for method in methods:
        _add_method(version, method)
    for name, comment in sorted(metadata.dataset_comments.items()):
        _add_comment(version, f"COM.{name}", comment)
    for dataset in datasets:
        for variable in dataset.variables:
            if variable.comment:
                _add_comment(version, comment_oid(dataset.name, variable.name), variable.comment)
    if uses_pages and metadata.annotated_crf:
        _add_leaf(version, ACRF_LEAF, metadata.annotated_crf, title="Annotated CRF")
    return root, issues


def write_define_xml(datasets: list[Dataset], target: Path, metadata: DefineMetadata) -> list[Issue]:
    """Build define.xml and write it atomically; on unresolved references nothing is written."""
    root, issues = build_define(datasets, metadata)
    if issues:
        return issues
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if metadata.stylesheet:  # after the XML declaration, before the root element
        declaration, _, rest = data.partition(b"\n")
        instruction = f'<?xml-stylesheet type="text/xsl" href="{metadata.stylesheet}"?>'.encode()
        data = declaration + b"\n" + instruction + b"\n" + rest
    with open_output(Path(target)) as stream:
        stream.write(data)
    return issues


def _text_element(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    translated = etree.SubElement(element, _odm("TranslatedText"))
    translated.set(XML_LANG, "en")
    translated.text = text
    return element


def _add_global_variables(study: etree._Element, metadata: DefineMetadata) -> None:
    variables = etree.SubElement(study, _odm("GlobalVariables"))
    for tag, text in (("StudyName", metadata.study_name), ("StudyDescription", metadata.study_description),
                      ("ProtocolName", metadata.protocol_name)):
        etree.SubElement(variables, _odm(tag)).text = text


def _add_standards(version: etree._Element, metadata: DefineMetadata) -> None:
    standards = etree.SubElement(version, _def("Standards"))
    etree.SubElement(standards, _def("Standard"), OID=STANDARD_IG, Name="SDTMIG", Type="IG",
                     Version=metadata.sdtmig_version, Status="Final")
    etree.SubElement(standards, _def("Standard"), OID=STANDARD_CT, Name="CDISC/NCI", Type="CT",
                     PublishingSet="SDTM", Version=metadata.ct_version, Status="Final")


def _add_item_group(version: etree._Element, dataset: Dataset, metadata: DefineMetadata) -> None:
    reference = dataset.klass == "TRIAL DESIGN"
    one_per_subject = dataset.name == "DM"
    domain = dataset.name[4:] if dataset.name.startswith("SUPP") and len(dataset.name) > 4 else dataset.name
    group = etree.SubElement(version, _odm("ItemGroupDef"), OID=item_group_oid(dataset.name), Domain=domain,
                             Name=dataset.name, Repeating="No" if reference or one_per_subject else "Yes",
                             IsReferenceData="Yes" if reference else "No", SASDatasetName=dataset.name,
                             Purpose="Tabulation")
    group.set(_def("Structure"), dataset.structure)
    group.set(_def("StandardOID"), STANDARD_IG)
    if dataset.name in metadata.dataset_comments:
        group.set(_def("CommentOID"), f"COM.{dataset.name}")
    group.set(_def("ArchiveLocationID"), leaf_id(dataset.name))
    _text_element(group, _odm("Description"), dataset.label)
    for number, variable in enumerate(dataset.variables, start=1):
        reference_element = etree.SubElement(group, _odm("ItemRef"), ItemOID=item_oid(dataset.name, variable.name),
                                             OrderNumber=str(number),
                                             Mandatory="Yes" if variable.core == "Req" else "No")
        key = key_sequence(dataset, variable)
        if key is not None:
            reference_element.set("KeySequence", str(key))
        if variable.method:
            reference_element.set("MethodOID", variable.method)
        if variable.role:
            reference_element.set("Role", variable.role)
    etree.SubElement(group, _def("Class"), Name=dataset.klass)
    leaf = etree.SubElement(group, _def("leaf"), ID=leaf_id(dataset.name))
    leaf.set(f"{{{XLINK}}}href", xpt_file_name(dataset.name))
    etree.SubElement(leaf, _def("title")).text = xpt_file_name(dataset.name)


def comment_oid(dataset: str, variable: str) -> str:
    return f"COM.{dataset}.{variable}"


def _add_item(version: etree._Element, dataset: Dataset, variable: Variable, with_pages: bool,
              value_list: ValueList | None, numbers: dict[str, tuple[int, int]]) -> None:
    item = etree.SubElement(version, _odm("ItemDef"), OID=item_oid(dataset.name, variable.name),
                            Name=variable.name, DataType=variable.data_type)
    for attribute, value in _item_sizes(dataset, variable, numbers).items():
        item.set(attribute, value)
    item.set("SASFieldName", variable.name)
    if variable.display_format:
        item.set(_def("DisplayFormat"), variable.display_format)
    if variable.comment:
        item.set(_def("CommentOID"), comment_oid(dataset.name, variable.name))
    _text_element(item, _odm("Description"), variable.label)
    if variable.codelist:
        etree.SubElement(item, _odm("CodeListRef"), CodeListOID=codelist_oid(variable.codelist))
    _add_origin(item, variable.origin, with_pages)
    if value_list is not None:
        etree.SubElement(item, _def("ValueListRef"), ValueListOID=value_list.oid)


def _add_origin(item: etree._Element, found: Origin | None, with_pages: bool) -> None:
    if found is None:
        return
    origin = etree.SubElement(item, _def("Origin"), Type=found.type)
    if found.source:
        origin.set("Source", found.source)
    if found.description:
        _text_element(origin, _odm("Description"), found.description)
    if found.pages and with_pages:
        document = etree.SubElement(origin, _def("DocumentRef"), leafID=ACRF_LEAF)
        etree.SubElement(document, _def("PDFPageRef"), PageRefs=" ".join(found.pages), Type=found.page_type)


def _add_value_list(version: etree._Element, value_list: ValueList) -> None:
    element = etree.SubElement(version, _def("ValueListDef"), OID=value_list.oid)
    for number, item in enumerate(value_list.items, start=1):
        reference = etree.SubElement(element, _odm("ItemRef"), ItemOID=item.oid, OrderNumber=str(number),
                                     Mandatory="No")
        if item.method:
            reference.set("MethodOID", item.method)
        etree.SubElement(reference, _def("WhereClauseRef"), WhereClauseOID=item.where_oid)


def _add_where_clause(version: etree._Element, item: ValueItem) -> None:
    clause = etree.SubElement(version, _def("WhereClauseDef"), OID=item.where_oid)
    check = etree.SubElement(clause, _odm("RangeCheck"), Comparator="EQ", SoftHard="Soft")
    check.set(_def("ItemOID"), item_oid(item.dataset, item.where_variable))
    etree.SubElement(check, _odm("CheckValue")).text = item.where_value


def _add_value_item(version: etree._Element, value: ValueItem, with_pages: bool) -> None:
    item = etree.SubElement(version, _odm("ItemDef"), OID=value.oid, Name=value.where_value,
                            DataType=value.data_type)
    if value.length is not None:
        item.set("Length", str(value.length))
    if value.significant_digits is not None:
        item.set("SignificantDigits", str(value.significant_digits))
    item.set("SASFieldName", value.where_value[:8])
    if value.comment:
        item.set(_def("CommentOID"), f"COM.{value.oid}")
    _text_element(item, _odm("Description"), value.label)
    if value.codelist:
        etree.SubElement(item, _odm("CodeListRef"), CodeListOID=codelist_oid(value.codelist))
    _add_origin(item, value.origin, with_pages)


def _measure_numbers(dataset: Dataset) -> dict[str, tuple[int, int]]:
    """(digits, decimals) of every numeric variable of the dataset, from one pass over its rows."""
    names = [variable.name for variable in dataset.variables if variable.data_type in ("integer", "float")]
    return {name: measure_number(column) for name, column in columns_of_rows(dataset.rows, names).items()}


def _item_sizes(dataset: Dataset, variable: Variable, numbers: dict[str, tuple[int, int]]) -> dict[str, str]:
    if variable.data_type == "text":
        return {"Length": str(variable.length or measure_lengths(dataset)[variable.name])}
    if variable.data_type in ("integer", "float"):
        length, decimals = numbers[variable.name]
        sizes = {"Length": str(length)}
        if variable.data_type == "float":
            sizes["SignificantDigits"] = str(variable.significant_digits or decimals)
        return sizes
    return {}


def _referenced(
    datasets: list[Dataset], metadata: DefineMetadata,
) -> tuple[list[DefineCodeList], list[DefineMethod], list[Issue]]:
    """The code lists and methods the variables use, in declaration order, and the references that dangle."""
    codelists = {codelist.id: codelist for codelist in metadata.codelists}
    methods = {method.oid: method for method in STANDARD_METHODS}
    methods.update({method.oid: method for method in metadata.methods})
    used_codelists: dict[str, DefineCodeList] = {}
    used_methods: dict[str, DefineMethod] = {}
    issues: list[Issue] = []

    def use(where: str, codelist: str | None, method: str | None) -> None:
        _refer(where, "code list", codelist, codelists, used_codelists, issues)
        _refer(where, "method", method, methods, used_methods, issues)

    for dataset in datasets:
        for variable in dataset.variables:
            use(f"{dataset.name}.{variable.name}", variable.codelist, variable.method)
    for value_list in metadata.value_lists:
        for item in value_list.items:
            use(f"{item.dataset}.{item.variable} where {item.where_variable} = {item.where_value}", item.codelist,
                item.method)
    ordered_codelists = [codelist for codelist in metadata.codelists if codelist.id in used_codelists]
    ordered_methods = sorted(used_methods.values(), key=lambda method: method.oid)
    return ordered_codelists, ordered_methods, issues


Declared = TypeVar("Declared")  # a DefineCodeList or a DefineMethod


def _refer(where: str, kind: str, name: str | None, declared: Mapping[str, Declared], used: dict[str, Declared],
           issues: list[Issue]) -> None:
    """Note a declared code list or method as used, or W031 when the metadata does not declare it."""
    if name and name in declared:
        used[name] = declared[name]
    elif name:
        issues.append(make_issue("W031", detail=f"{where} uses {kind} {name!r}, which the define metadata does not "
                                                "declare"))


def _add_codelist(version: etree._Element, codelist: DefineCodeList, issues: list[Issue]) -> None:
    element = etree.SubElement(version, _odm("CodeList"), OID=codelist_oid(codelist.id), Name=codelist.name,
                               DataType=codelist.data_type)
    if codelist.sponsor_defined:
        element.set(_def("IsNonStandard"), "Yes")
    else:
        element.set(_def("StandardOID"), STANDARD_CT)
    decoded = any(term.decode for term in codelist.terms)
    for number, term in enumerate(codelist.terms, start=1):
        if decoded and not term.decode:
            issues.append(make_issue("W031", detail=f"code list {codelist.id!r}: term {term.submission_value!r} has "
                                                    "no decode while others have one"))
        tag = "CodeListItem" if decoded else "EnumeratedItem"
        item = etree.SubElement(element, _odm(tag), CodedValue=term.submission_value, OrderNumber=str(number))
        if term.extended:
            item.set(_def("ExtendedValue"), "Yes")
        if decoded:
            _text_element(item, _odm("Decode"), term.decode or term.submission_value)
        if term.c_code:
            etree.SubElement(item, _odm("Alias"), Context="nci:ExtCodeID", Name=term.c_code)
    if codelist.c_code:
        etree.SubElement(element, _odm("Alias"), Context="nci:ExtCodeID", Name=codelist.c_code)


def _add_method(version: etree._Element, method: DefineMethod) -> None:
    element = etree.SubElement(version, _odm("MethodDef"), OID=method.oid, Name=method.name, Type=method.type)
    _text_element(element, _odm("Description"), method.description)


def _add_comment(version: etree._Element, oid: str, text: str) -> None:
    element = etree.SubElement(version, _def("CommentDef"), OID=oid)
    _text_element(element, _odm("Description"), text)


def _add_leaf(version: etree._Element, identifier: str, href: str, title: str | None = None) -> None:
    leaf = etree.SubElement(version, _def("leaf"), ID=identifier)
    leaf.set(f"{{{XLINK}}}href", href)
    etree.SubElement(leaf, _def("title")).text = title or href

