"""Serialising resources as they are made: bundle files (transaction or collection) and NDJSON files.

orjson, no key sorting: every builder inserts keys in one fixed order (resourceType and id first, as FHIR
JSON is usually read), so the bytes are stable without sorting and stay readable. Decimals keep the digits
the site wrote (12.50), written as JSON number fragments. A bundle is written entry by entry; `pretty` gives
the same layout as indenting the whole bundle with 2 spaces.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import orjson

from crfmap.writers.fhir_r4.datatypes import format_decimal
from crfmap.writers.fhir_r4.ids import ResourceHandle
from crfmap.writers.fhir_r4.options import FhirOptions
from crfmap.writers.fhir_r4.search_parameters import IDENTIFIER_SEARCH_TYPES

# Resources every bundle of a study carries: PUT with their deterministic id, so that bundles posted in
# parallel update one resource instead of racing to create several (a conditional create is a search, then a
# create: two at once both find nothing).
SHARED_TYPES = frozenset({"ResearchStudy"})
PLAIN_SEARCH_TEXT = re.compile(r"[A-Za-z0-9:/._~-]*")  # what escape_search leaves as it is


def encode_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(format_decimal(value).encode("ascii"))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dump_json(data: Any, pretty: bool = False) -> bytes:
    try:
        return orjson.dumps(data, default=encode_default, option=orjson.OPT_INDENT_2 if pretty else 0)
    except orjson.JSONEncodeError as problem:
        # orjson turns any exception of `default` into a TypeError: a Ctrl-C that struck there is still a Ctrl-C
        if isinstance(problem.__cause__, KeyboardInterrupt):
            raise problem.__cause__ from None
        raise


def make_request(handle: ResourceHandle, resource: dict[str, Any], options: FhirOptions) -> dict[str, str]:
    """POST with ifNoneExist on the business identifier, or PUT Type/id.

    Conditional only where R4 defines an `identifier` search parameter for the type (search_parameters.py,
    from HL7's definitions) and the resource has an identifier with a system; study-level resources and
    everything in `put` mode are PUT with the deterministic id.
    """
    identifier = resource.get("identifier")
    if isinstance(identifier, list):
        identifier = identifier[0] if identifier else None
    conditional = (options.request == "conditional" and handle.resource_type in IDENTIFIER_SEARCH_TYPES
                   and handle.resource_type not in SHARED_TYPES)
    if not conditional or not identifier or "system" not in identifier:
        return {"method": "PUT", "url": f"{handle.resource_type}/{handle.id}"}
    token = f"{escape_search(identifier['system'])}|{escape_search(identifier['value'])}"
    return {"method": "POST", "url": handle.resource_type, "ifNoneExist": f"identifier={token}"}


def escape_search(text: str) -> str:
    """A token part for a search URL: FHIR's backslash escapes for , | $ \\, then percent-encoding.

    (http://hl7.org/fhir/R4/search.html#escaping) Letters, digits and : / . - _ ~ stay as they are.
    """
    if PLAIN_SEARCH_TEXT.fullmatch(text):  # ids and most identifier values: nothing to escape
        return text
    for special in ("\\", "|", ",", "$"):
        text = text.replace(special, "\\" + special)
    return quote(text, safe=":/-._~")


class BundleFile:
    """One bundle, written into `stream` as entries arrive. Call `close` to finish it (and close the stream)."""

    def __init__(self, stream: IO[bytes], bundle_id: str, options: FhirOptions) -> None:
        self.options = options
        self.stream = stream
        self.first = True
        header = {"resourceType": "Bundle", "id": bundle_id, "type": options.bundle}
        opening = dump_json(header, options.pretty)[:-1].rstrip(b"\n")  # without the closing brace
        if options.pretty:
            self.stream.write(opening + b',\n  "entry": [\n')
        else:
            self.stream.write(opening + b',"entry":[')

    def add(self, handle: ResourceHandle, resource: dict[str, Any]) -> None:
        entry: dict[str, Any] = {"fullUrl": handle.full_url, "resource": resource}
        if self.options.bundle == "transaction":
            entry["request"] = make_request(handle, resource, self.options)
        data = dump_json(entry, self.options.pretty)
        if self.options.pretty:
            data = b"    " + data.replace(b"\n", b"\n    ")
            separator = b",\n"
        else:
            separator = b","
        if not self.first:
            self.stream.write(separator)
        self.first = False
        self.stream.write(data)

    def close(self) -> None:
        self.stream.write(b"\n  ]\n}\n" if self.options.pretty else b"]}\n")
        if not isinstance(self.stream, io.BytesIO):  # a subject's bundle in memory is read after closing
            self.stream.close()


class NdjsonFiles:
    """One `<Type>.ndjson` per resource type, opened when its first resource arrives."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.streams: dict[str, IO[bytes]] = {}

    def add(self, handle: ResourceHandle, resource: dict[str, Any]) -> None:
        self.add_lines(handle.resource_type, dump_json(resource) + b"\n")

    def add_lines(self, resource_type: str, lines: bytes) -> None:
        """Lines already serialised (a subject's, made apart: writers/fhir_r4/parts.py)."""
        stream = self.streams.get(resource_type)
        if stream is None:
            stream = open(self.folder / f"{resource_type}.ndjson", "wb")  # noqa: SIM115 — closed by close()
            self.streams[resource_type] = stream
        stream.write(lines)

    def close(self) -> list[str]:
        for stream in self.streams.values():
            stream.close()
        return sorted(f"{name}.ndjson" for name in self.streams)


class NdjsonLines:
    """NDJSON lines by resource type, kept in memory: one subject's, until they are written after the others'."""

    def __init__(self) -> None:
        self.lines: dict[str, bytearray] = {}

    def add(self, handle: ResourceHandle, resource: dict[str, Any]) -> None:
        self.lines.setdefault(handle.resource_type, bytearray()).extend(dump_json(resource) + b"\n")
