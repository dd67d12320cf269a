"""A tiny in-memory FHIR server applying R4 transaction semantics, for the reload tests.

POST with ifNoneExist: if a resource of the type has the identifier (system|value), nothing is created and
the entry's fullUrl resolves to the existing resource; else it is created under a server-assigned id.
PUT Type/id: update when it exists, else create with that id. References to fullUrls are rewritten to
Type/id after all entries are resolved (http://hl7.org/fhir/R4/http.html#trules).
"""

from __future__ import annotations

import copy
import itertools
from typing import Any
from urllib.parse import unquote


def parse_token(encoded: str) -> tuple[str, str]:
    """system|value from a percent-encoded token with FHIR backslash escapes."""
    text = unquote(encoded)
    parts, current, escaped = [], "", False
    for character in text:
        if escaped:
            current += character
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == "|" and not parts:
            parts.append(current)
            current = ""
        else:
            current += character
    parts.append(current)
    assert len(parts) == 2, encoded
    return parts[0], parts[1]


class MemoryServer:
    def __init__(self) -> None:
        self.store: dict[tuple[str, str], dict[str, Any]] = {}
        self.creates = 0
        self.updates = 0
        self._ids = itertools.count(1)

    def find_by_identifier(self, resource_type: str, system: str, value: str) -> str | None:
        for (stored_type, stored_id), resource in self.store.items():
            identifiers = resource.get("identifier", [])
            identifiers = identifiers if isinstance(identifiers, list) else [identifiers]
            if stored_type == resource_type and any(
                    item.get("system") == system and item.get("value") == value for item in identifiers):
                return stored_id
        return None

    def transaction(self, bundle: dict[str, Any]) -> None:
        assert bundle["type"] == "transaction"
        resolved: dict[str, str] = {}
        pending: list[tuple[str, str, dict[str, Any]]] = []
        for entry in bundle["entry"]:
            request, resource = entry["request"], copy.deepcopy(entry["resource"])
            resource_type = resource["resourceType"]
            if request["method"] == "POST":
                assert request["url"] == resource_type
                query = request["ifNoneExist"]
                assert query.startswith("identifier=")
                system, value = parse_token(query[len("identifier="):])
                existing = self.find_by_identifier(resource_type, system, value)
                if existing is not None:
                    resolved[entry["fullUrl"]] = f"{resource_type}/{existing}"
                    continue
                new_id = f"server-{next(self._ids)}"
                resolved[entry["fullUrl"]] = f"{resource_type}/{new_id}"
                pending.append((resource_type, new_id, resource))
            elif request["method"] == "PUT":
                url_type, url_id = request["url"].split("/")
                assert url_type == resource_type
                resolved[entry["fullUrl"]] = request["url"]
                pending.append((url_type, url_id, resource))
            else:
                raise AssertionError(f"unexpected method {request['method']}")
        for resource_type, resource_id, resource in pending:
            resource["id"] = resource_id
            self._rewrite(resource, resolved)
            key = (resource_type, resource_id)
            if key in self.store:
                self.updates += 1
            else:
                self.creates += 1
            self.store[key] = resource

    def _rewrite(self, data: Any, resolved: dict[str, str]) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if key == "reference" and isinstance(value, str) and value.startswith("urn:uuid:"):
                    assert value in resolved, f"unresolved reference {value}"
                    data[key] = resolved[value]
                else:
                    self._rewrite(value, resolved)
        elif isinstance(data, list):
            for item in data:
                self._rewrite(item, resolved)
