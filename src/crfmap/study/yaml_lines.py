"""YAML loading that remembers the line of every key and list item, so mapping errors can name a line."""

from __future__ import annotations

import re
from typing import Any

import yaml

Path_ = tuple[Any, ...]


class MappingLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars: only true/false are booleans (so a synonym `no`, `yes`, `on`
    stays text) and dates stay text (the models parse what they need)."""


# The same loader on libyaml's parser, when PyYAML was built with it: composing a mapping folder in C takes a
# fraction of the pure-Python parser's time (most of a small study's load). Same nodes, same marks; an error is
# re-parsed with the Python parser so that its message is the same whichever parser found it.
FastLoader: Any = MappingLoader
if hasattr(yaml, "CSafeLoader"):
    class FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """MappingLoader's scalars on libyaml's parser."""

for _loader in (MappingLoader, FastLoader) if FastLoader is not MappingLoader else (MappingLoader,):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class YamlError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_yaml_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML safely (no tags, no custom objects); return the data and {path: 1-based line}."""
    try:
        node = yaml.compose(text, Loader=FastLoader)
    except yaml.YAMLError:
        node = _compose_slowly(text)
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    constructor = yaml.constructor.SafeConstructor()
    data = _construct(node, (), lines, constructor)
    return data, lines


def _compose_slowly(text: str) -> yaml.Node | None:
    """The pure-Python parser: its messages are the ones users see (and tests expect) for broken YAML."""
    try:
        return yaml.compose(text, Loader=MappingLoader)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        reason = getattr(problem, "problem", None) or str(problem)
        raise YamlError(str(reason), mark.line + 1 if mark else None) from None


def _construct(node: yaml.Node, path: Path_, lines: dict[Path_, int], constructor: Any) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, constructor)
            if key in result:
                raise YamlError(f"key {key!r} is given twice", key_node.start_mark.line + 1)
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, path + (key,), lines, constructor)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (index,), lines, constructor) for index, item in enumerate(node.value)]
    return _scalar(node, constructor)


def _scalar(node: yaml.Node, constructor: Any) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlError("a key must be a plain value", node.start_mark.line + 1)
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as problem:
        raise YamlError(str(problem.problem), node.start_mark.line + 1) from None


def line_of(lines: dict[Path_, int], location: Path_) -> int | None:
    """The line of the deepest known prefix of `location` (pydantic error locations may go deeper)."""
    for end in range(len(location), -1, -1):
        line = lines.get(tuple(location[:end]))
        if line is not None:
            return line
    return None
