"""YAML written for people: block style, short lists and maps inline, and comments above the entries they
explain (PyYAML writes no comments, so the layout is ours and every scalar is quoted by PyYAML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

INDENT = "  "
INLINE_WIDTH = 100


@dataclass(frozen=True)
class Note:
    """A value with a comment written on the line(s) above its key or list item."""

    value: Any
    comment: str


def dump_document(data: dict[str, Any], header: str = "") -> str:
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    lines.extend(mapping_lines(data, 0))
    return "\n".join(lines) + "\n"


def scalar(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000, sort_keys=False)
    return text.strip().removesuffix("...").strip()


def inline(value: Any) -> str | None:
    """A list or map as one short flow-style line, if it is short and flat enough."""
    if isinstance(value, Note):
        return None
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            text = inline(item) if isinstance(item, (dict, list)) else scalar(item)
            if text is None:
                return None
            parts.append(f"{scalar(key)}: {text}")
        text = "{" + ", ".join(parts) + "}"
    elif isinstance(value, list):
        if any(isinstance(item, (dict, list, Note)) for item in value):
            return None
        text = "[" + ", ".join(scalar(item) for item in value) + "]"
    else:
        return scalar(value)
    return text if len(text) <= INLINE_WIDTH else None


def comment_lines(comment: str, depth: int) -> list[str]:
    return [f"{INDENT * depth}# {line}".rstrip() for line in comment.splitlines()]


def mapping_lines(data: dict[str, Any], depth: int) -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, Note):
            lines.extend(comment_lines(value.comment, depth))
            value = value.value
        lines.extend(entry_lines(f"{INDENT * depth}{scalar(key)}:", value, depth))
    return lines


def entry_lines(prefix: str, value: Any, depth: int) -> list[str]:
    if isinstance(value, (dict, list)) and value:
        short = inline(value) if not (isinstance(value, dict) and depth == 0) else None
        if short is not None and (not isinstance(value, dict) or len(value) <= 4):
            return [f"{prefix} {short}"]
        if isinstance(value, dict):
            return [prefix, *mapping_lines(value, depth + 1)]
        return [prefix, *list_lines(value, depth + 1)]
    return [f"{prefix} {scalar(value)}"]


def list_lines(items: list[Any], depth: int) -> list[str]:
    lines: list[str] = []
    for item in items:
        if isinstance(item, Note):
            lines.extend(comment_lines(item.comment, depth))
            item = item.value
        if isinstance(item, dict) and item:
            body = mapping_lines(item, depth + 1)
            first = body[0].lstrip()
            if first.startswith("#"):  # a comment on the first key goes above the dash
                comments = []
                while body and body[0].lstrip().startswith("#"):
                    comments.append(f"{INDENT * depth}{body.pop(0).lstrip()}")
                lines.extend(comments)
                first = body[0].lstrip()
            lines.append(f"{INDENT * depth}- {first}")
            lines.extend(body[1:])
        else:
            lines.extend(entry_lines(f"{INDENT * depth}-", item, depth))
    return lines
