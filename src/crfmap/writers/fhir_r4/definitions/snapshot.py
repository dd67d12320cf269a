"""StructureDefinitions of extensions, with their differential and snapshot, built from a small description.

A snapshot is what servers and validators apply (most ignore differentials), so every element is spelled out
the way FHIR R4's own Extension definition has it: root, id, extension (sliced by url), url (fixed), value[x].
A complex extension slices `extension` by url into its parts, each itself an extension with a fixed relative
url and one value; a simple one has no parts and constrains value[x]. The constraints ele-1 and ext-1 are R4's
own (StructureDefinition-Extension.json of hl7.fhir.r4.core 4.0.1), carried into every element that has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
EXTENSION = "http://hl7.org/fhir/StructureDefinition/Extension"
ELE_1 = {"key": "ele-1", "severity": "error", "human": "All FHIR elements must have a @value or children",
         "expression": "hasValue() or (children().count() > id.count())", "xpath": "@value|f:*|h:div",
         "source": "http://hl7.org/fhir/StructureDefinition/Element"}
EXT_1 = {"key": "ext-1", "severity": "error", "human": "Must have either extensions or value[x], not both",
         "expression": "extension.exists() != value.exists()",
         "xpath": "exists(f:extension)!=exists(f:*[starts-with(local-name(.), \"value\")])",
         "source": "http://hl7.org/fhir/StructureDefinition/Extension"}
URL_SLICING = {"discriminator": [{"type": "value", "path": "url"}], "ordered": False, "rules": "open"}


@dataclass(frozen=True)
class Binding:
    strength: str
    value_set: str
    description: str


@dataclass(frozen=True)
class Part:
    """One sub-extension of a complex extension: `name` is its relative url."""

    name: str
    types: tuple[str, ...]
    min: int
    max: str
    short: str
    definition: str


@dataclass(frozen=True)
class ExtensionSpec:
    """What an extension is: its id (last segment of its url), names, context, and either parts or value types."""

    id: str
    name: str
    title: str
    description: str
    contexts: tuple[str, ...]
    parts: tuple[Part, ...] = ()
    value_types: tuple[str, ...] = ()
    value_binding: Binding | None = None
    header: dict[str, Any] = field(default_factory=dict)  # url, version, status, publisher … set by the caller


def build_structure_definition(spec: ExtensionSpec, url: str) -> dict[str, Any]:
    """The StructureDefinition resource of `spec` published at `url`, snapshot and differential."""
    header = {"resourceType": "StructureDefinition", "id": spec.id, "url": url, **spec.header,
              "name": spec.name, "title": spec.title}
    header.setdefault("status", "active")
    ordered_keys = ("resourceType", "id", "url", "version", "name", "title", "status", "experimental",
                    "publisher", "description")
    resource = {key: header[key] for key in ordered_keys if key in header}
    resource["description"] = spec.description
    resource.update({
        "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": False,
        "context": [{"type": "element", "expression": expression} for expression in spec.contexts],
        "type": "Extension", "baseDefinition": EXTENSION, "derivation": "constraint",
        "snapshot": {"element": _snapshot(spec, url)},
        "differential": {"element": _differential(spec, url)},
    })
    return resource


def _snapshot(spec: ExtensionSpec, url: str) -> list[dict[str, Any]]:
    elements = [_root(spec)]
    elements += _common("Extension", "Extension", spec.parts)
    for part in spec.parts:
        slice_id = f"Extension.extension:{part.name}"
        elements.append({"id": slice_id, "path": "Extension.extension", "sliceName": part.name,
                         "short": part.short, "definition": part.definition, "min": part.min, "max": part.max,
                         "base": {"path": "Element.extension", "min": 0, "max": "*"}, "type": [{"code": "Extension"}],
                         "constraint": [ELE_1, EXT_1], "isModifier": False})
        elements += _common(slice_id, "Extension.extension", ())
        elements.append(_url(f"{slice_id}.url", "Extension.extension.url", part.name))
        elements.append(_value(f"{slice_id}.value[x]", "Extension.extension.value[x]", part.types, 1, None,
                               f"The {part.name}."))
    elements.append(_url("Extension.url", "Extension.url", url))
    if spec.parts:
        elements.append(_value("Extension.value[x]", "Extension.value[x]", (), 0, None, "Not used: the parts hold "
                               "the values.", max_="0"))
    else:
        elements.append(_value("Extension.value[x]", "Extension.value[x]", spec.value_types, 0, spec.value_binding,
                               spec.description))
    return elements


def _root(spec: ExtensionSpec) -> dict[str, Any]:
    return {"id": "Extension", "path": "Extension", "short": spec.title, "definition": spec.description,
            "min": 0, "max": "*", "base": {"path": "Extension", "min": 0, "max": "*"}, "condition": ["ele-1"],
            "constraint": [ELE_1, EXT_1], "isModifier": False}


def _common(element_id: str, path: str, parts: tuple[Part, ...]) -> list[dict[str, Any]]:
    """`id` and `extension` of an extension (or of one part): sliced by url when it has parts, else unused."""
    extension: dict[str, Any] = {"id": f"{element_id}.extension", "path": f"{path}.extension",
                                 "slicing": URL_SLICING, "short": "Parts of the extension",
                                 "definition": "The named parts of this extension." if parts else "Not used.",
                                 "min": 1 if parts else 0, "max": "*" if parts else "0",
                                 "base": {"path": "Element.extension", "min": 0, "max": "*"},
                                 "type": [{"code": "Extension"}], "constraint": [ELE_1, EXT_1], "isModifier": False}
    identifier = {"id": f"{element_id}.id", "path": f"{path}.id", "representation": ["xmlAttr"],
                  "short": "Unique id for inter-element referencing",
                  "definition": "Unique id for the element within a resource (for internal references).",
                  "min": 0, "max": "1", "base": {"path": "Element.id", "min": 0, "max": "1"},
                  "type": [{"extension": [{"url": FHIR_TYPE, "valueUrl": "string"}],
                            "code": "http://hl7.org/fhirpath/System.String"}], "isModifier": False}
    return [identifier, extension]


def _url(element_id: str, path: str, url: str) -> dict[str, Any]:
    return {"id": element_id, "path": path, "representation": ["xmlAttr"], "short": "Identifies the extension",
            "definition": "The URL of the extension's definition (for a part: its name).",
            "min": 1, "max": "1", "base": {"path": "Extension.url", "min": 1, "max": "1"},
            "type": [{"extension": [{"url": FHIR_TYPE, "valueUrl": "uri"}],
                      "code": "http://hl7.org/fhirpath/System.String"}],
            "fixedUri": url, "isModifier": False}


def _value(element_id: str, path: str, types: tuple[str, ...], minimum: int, binding: Binding | None,
           definition: str, max_: str = "1") -> dict[str, Any]:
    element: dict[str, Any] = {"id": element_id, "path": path, "short": "Value of extension",
                               "definition": definition, "min": minimum, "max": max_,
                               "base": {"path": "Extension.value[x]", "min": 0, "max": "1"}}
    if types:
        element["type"] = [{"code": code} for code in types]
    element["constraint"] = [ELE_1]
    element["isModifier"] = False
    if binding is not None:
        element["binding"] = {"strength": binding.strength, "description": binding.description,
                              "valueSet": binding.value_set}
    return element


def _differential(spec: ExtensionSpec, url: str) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = [{"id": "Extension", "path": "Extension", "short": spec.title,
                                       "definition": spec.description}]
    if spec.parts:
        elements.append({"id": "Extension.extension", "path": "Extension.extension", "min": 1})
        for part in spec.parts:
            slice_id = f"Extension.extension:{part.name}"
            elements += [
                {"id": slice_id, "path": "Extension.extension", "sliceName": part.name, "short": part.short,
                 "definition": part.definition, "min": part.min, "max": part.max},
                {"id": f"{slice_id}.extension", "path": "Extension.extension.extension", "max": "0"},
                {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": part.name},
                {"id": f"{slice_id}.value[x]", "path": "Extension.extension.value[x]", "min": 1,
                 "type": [{"code": code} for code in part.types]},
            ]
        elements.append({"id": "Extension.url", "path": "Extension.url", "fixedUri": url})
        elements.append({"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"})
        return elements
    elements.append({"id": "Extension.extension", "path": "Extension.extension", "max": "0"})
    elements.append({"id": "Extension.url", "path": "Extension.url", "fixedUri": url})
    value: dict[str, Any] = {"id": "Extension.value[x]", "path": "Extension.value[x]",
                             "type": [{"code": code} for code in spec.value_types]}
    if spec.value_binding is not None:
        value["binding"] = {"strength": spec.value_binding.strength, "description": spec.value_binding.description,
                            "valueSet": spec.value_binding.value_set}
    elements.append(value)
    return elements
