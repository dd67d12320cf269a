"""A pydantic validation error as a mapping author reads it: where in the YAML, and what is wrong in words."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails


def describe_error(data: Any, error: ErrorDetails, prefix: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], str]:
    """(path into the YAML, "path.to.key: what is wrong"); `prefix` is where `data` sits in its file."""
    location = (*prefix, *data_location(data, error["loc"]))
    where = ".".join(str(part) for part in location) or "(top level)"
    return location, f"{where}: {plain_message(error)}"


def data_location(data: Any, location: tuple[Any, ...]) -> tuple[Any, ...]:
    """The error location as a path into the YAML data, dropping the union tags pydantic inserts."""
    path: list[Any] = []
    node = data
    for part in location:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, (dict, list)) and not path_continues(node, part):
            continue  # a union tag such as 'copy' or 'date_order'
        else:
            path.append(part)  # a missing key: name it, its line is its parent's
            break
    return tuple(path)


def path_continues(node: Any, part: Any) -> bool:
    """Whether `part` could be a real key of `node` that is absent (pydantic reports missing keys so)."""
    return isinstance(node, dict) and isinstance(part, str) and part not in ("function-after", "function-before")


def plain_message(error: ErrorDetails) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; `crfmap schema` lists the allowed keys)"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        allowed = error.get("ctx", {}).get("expected_tags", "")
        return f"unknown kind {error.get('input')!r}; expected one of {allowed}"
    return message


