"""Where each part of a mapping was written, so that any check (the study's own, or a writer's) can name the
file and line of what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crfmap.study.yaml_lines import line_of

# The file a part lives in when the mapping was built in code rather than loaded (no lines then).
DEFAULT_FILES = {"study": "study.yaml", "concepts": "concepts.yaml", "form": "forms", "codelist": "codelists"}


@dataclass(frozen=True)
class MappingSource:
    """Folder name, part → file (relative), file → line table. Parts: ("study",), ("concepts",),
    ("form", name), ("codelist", id)."""

    folder: str
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)
    lines: dict[str, dict[tuple[Any, ...], int]] = field(default_factory=dict)
    concept_index: dict[str, int] = field(default_factory=dict)  # concept id → its position in concepts.yaml

    def at(self, part: tuple[str, ...], path: tuple[Any, ...] = ()) -> dict[str, Any]:
        """`file` and `line` keywords for make_issue."""
        relative = self.origins.get(part)
        if relative is None:
            return {"file": DEFAULT_FILES.get(part[0], self.folder) if not self.origins else self.folder}
        return {"file": f"{self.folder}/{relative}", "line": line_of(self.lines.get(relative, {}), path)}

    def at_concept(self, concept_id: str, path: tuple[Any, ...] = ()) -> dict[str, Any]:
        """Where a key of one concept was written, e.g. at_concept("ae", ("fhir", "resource"))."""
        index = self.concept_index.get(concept_id)
        if index is None:
            return self.at(("concepts",))
        return self.at(("concepts",), ("concepts", index, *path))

    def at_study(self, path: tuple[Any, ...] = ()) -> dict[str, Any]:
        return self.at(("study",), path)
