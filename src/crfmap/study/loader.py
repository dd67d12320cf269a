"""Load a mapping folder into a StudyMapping, reporting every problem with its file and line.

Nothing is read from a workbook before the mapping has loaded and linted cleanly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from crfmap.issues import FatalIssue, Issue, Severity, make_issue
from crfmap.study.lint import lint_study
from crfmap.study.locations import MappingSource
from crfmap.study.model_errors import describe_error
from crfmap.study.models import Codelist, Concepts, Form, Study, StudyMapping
from crfmap.study.targets import TargetModels, check_targets
from crfmap.study.yaml_lines import YamlError, line_of, load_yaml_with_lines

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_MAPPING_FILE_BYTES = 5 * 1024 * 1024  # a mapping file is hand-written YAML; anything bigger is a mistake


class _Loaded(Generic[ModelT]):
    """One parsed YAML file: the model (if valid), and its line table for later lint messages."""

    def __init__(self, relative: str, model: ModelT | None, lines: dict[tuple[Any, ...], int]) -> None:
        self.relative = relative
        self.model = model
        self.lines = lines


def load_study(folder: Path) -> StudyMapping:
    """Load and lint `folder`; raise FatalIssue with every error found (warnings are kept on the result)."""
    mapping, issues = load_study_with_issues(folder)
    errors = [issue for issue in issues if issue.severity is Severity.ERROR]
    if errors or mapping is None:
        raise FatalIssue(*(errors or issues))
    return mapping


def load_study_with_issues(folder: Path, targets: Mapping[str, TargetModels] | None = None,
                           ) -> tuple[StudyMapping | None, list[Issue]]:
    """Load and lint `folder`, returning the mapping (None when it cannot be built) and all issues.

    `targets` are the output targets a study and its concepts may name (`fhir:`, `sdtm:` …), with the models
    their content must match; they come from the output registry (see `crfmap.api.load_mapping`). Any other
    key is an unknown key.
    """
    folder = Path(folder)
    if not (folder / "study.yaml").is_file():
        expected = "a folder with study.yaml, forms/, codelists/ and concepts.yaml"
        return None, [make_issue("P001", value=str(folder.name or folder), expected=expected, file=folder.name)]
    issues: list[Issue] = []
    name = folder.resolve().name
    study = _load_file(folder, "study.yaml", Study, issues, name)
    forms = [_load_file(folder, relative, Form, issues, name) for relative in _yaml_files(folder, "forms")]
    codelists = [_load_file(folder, relative, Codelist, issues, name)
                 for relative in _yaml_files(folder, "codelists")]
    concepts = _load_file(folder, "concepts.yaml", Concepts, issues, name)
    if not forms:
        issues.append(make_issue("P003", file=f"{name}/forms", detail="forms/ holds no *.yaml form"))
    if not codelists:
        issues.append(make_issue("P003", file=f"{name}/codelists", detail="codelists/ holds no *.yaml code list"))
    loaded: list[_Loaded[Any]] = [item for item in (study, concepts, *forms, *codelists) if item is not None]
    if issues or any(item.model is None for item in loaded) or study is None or concepts is None:
        return None, issues
    assert study.model is not None and concepts.model is not None  # checked just above, for the type checker
    form_map = _unique_by(forms, "name", issues, name)
    codelist_map = _unique_by(codelists, "id", issues, name)
    origins: dict[tuple[str, ...], str] = {("study",): study.relative, ("concepts",): concepts.relative}
    origins.update({("form", item.model.name): item.relative for item in forms if item and item.model})
    origins.update({("codelist", item.model.id): item.relative for item in codelists if item and item.model})
    lines = {item.relative: item.lines for item in loaded}
    concept_index = {concept.id: index for index, concept in enumerate(concepts.model.concepts)}
    locations = MappingSource(name, origins, lines, concept_index)
    mapping = StudyMapping(
        folder=name, study=study.model, forms=form_map, codelists=codelist_map,
        concepts=list(concepts.model.concepts), sha256=hash_folder(folder), locations=locations,
    )
    issues.extend(check_targets(mapping, targets or {}))
    issues.extend(lint_study(mapping, locations))
    return mapping, issues


def hash_folder(folder: Path) -> str:
    """SHA-256 over the mapping's YAML files, by relative name and bytes, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.yaml")):
        relative = path.relative_to(folder).as_posix()
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _yaml_files(folder: Path, sub: str) -> list[str]:
    base = folder / sub
    if not base.is_dir():
        return []
    return sorted(path.relative_to(folder).as_posix() for path in base.glob("*.yaml"))


def _load_file(folder: Path, relative: str, model: type[ModelT], issues: list[Issue],
               name: str) -> _Loaded[ModelT] | None:
    shown = f"{name}/{relative}"
    path = folder / relative
    if not path.is_file():
        issues.append(make_issue("P003", file=shown, detail=f"{relative} is missing"))
        return None
    if path.stat().st_size > MAX_MAPPING_FILE_BYTES:
        issues.append(make_issue("P003", file=shown, detail=f"{relative} is larger than 5 MiB"))
        return None
    try:
        text = path.read_text(encoding="utf-8")
        data, lines = load_yaml_with_lines(text)
    except UnicodeDecodeError:
        issues.append(make_issue("P002", file=shown, line=1, detail="the file is not UTF-8 text"))
        return None
    except YamlError as problem:
        issues.append(make_issue("P002", file=shown, line=problem.line, detail=str(problem)))
        return None
    try:
        return _Loaded(relative, model.model_validate(data if data is not None else {}), lines)
    except ValidationError as problem:
        for error in problem.errors(include_url=False):
            location, detail = describe_error(data, error)
            issues.append(make_issue("P003", file=shown, line=line_of(lines, location), detail=detail))
        return _Loaded(relative, None, lines)


def _unique_by(items: list[_Loaded[Any] | None], attribute: str, issues: list[Issue], name: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in items:
        if item is None or item.model is None:
            continue
        key = getattr(item.model, attribute)
        if key in result:
            issues.append(make_issue("P007", value=key, file=f"{name}/{item.relative}", line=1))
            continue
        result[key] = item.model
    return result
