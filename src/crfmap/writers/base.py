"""The output registry's contract: what every writer declares and the one signature it is called with.

A writer is one entry of `crfmap.writers.WRITERS`. It declares its name (the `--to` choice and the mapping key
of its targets: `fhir:`, `sdtm:`), its command-line options, the pydantic models of its mapping targets (a
concept's `<name>:` and study.yaml's `<name>:`), a lint for what those models alone cannot check, and `write`.
`write` receives the sorted canonical records and the study and fills an empty folder; the orchestrator
makes that folder appear in OUT atomically, together with the other writers' folders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from crfmap.issues import Issue
from crfmap.model import Record
from crfmap.sources import SourceInfo

__all__ = ["OptionSpec", "PartRequest", "Records", "SourceInfo", "SubjectParts", "WriteRequest", "WriteResult",
           "Writer"]
from crfmap.study.models import StudyMapping


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One command-line option of a writer; `name` is also the key of its value in the options mapping."""

    name: str
    flag: str  # e.g. "--bundle"
    help: str
    kind: Literal["flag", "choice", "text", "file"] = "flag"
    default: Any = None
    choices: tuple[str, ...] = ()
    multiple: bool = False  # a choice given several times (e.g. --sdtm-format xpt --sdtm-format json)
    metavar: str | None = None


class Records(Protocol):
    """Records a writer may iterate as often as it needs, and count: a list, or a RecordSpool (model/spool.py)
    that reads them back from disk each time."""

    def __iter__(self) -> Iterator[Record]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """What a writer is given: records sorted by (subject, concept, key), the study, an empty folder to fill,
    the input's provenance, and the writer's own option values (by OptionSpec name, defaults filled in)."""

    records: Records
    study: StudyMapping
    folder: Path
    source: SourceInfo
    options: Mapping[str, Any]


@dataclass(slots=True)
class WriteResult:
    """Files written (relative to the writer's folder, sorted), counts to show (resources or rows by name),
    and issues that did not stop the writing (warnings). Errors that stop it are raised as FatalIssue."""

    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PartRequest:
    """What a writer is given to make the output of some subjects apart (a convert-many partition's share): their
    records sorted by (subject, concept, key), the study, the run's provenance and the writer's option values."""

    records: Iterable[Record]
    study: StudyMapping
    source: SourceInfo
    options: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SubjectParts:
    """How a writer whose output is made one subject at a time makes it where a partition runs, and writes it.

    `applies(options)`: with these option values the output is per subject (FHIR's one bundle for all subjects
    is not). `make` gives one picklable part per subject, each with a `subject_id`, in subject order, as it
    makes them (it raises FatalIssue before the first when it cannot start). `write`
    fills the folder from every partition's parts, merged in subject order (some left out: a subject in two
    exports, R055), and gives what `write` gives for the same records: the same files, byte for byte. A
    convert-many whose every target has parts sends parts, not records, back from its partitions: the writing
    runs on all cores (or machines) and only bytes travel.

    `on_this_machine`: whether making the parts apart pays where the partitions run on the driver's own machine
    (FHIR: the partitions write the bytes and the driver only puts them together). False for SDTM: the driver
    sets every row aside until the datasets are made, and pickling the rows both ways costs more than the build
    they save, so there the partitions leave their records in files and the writer builds from them as `convert`
    does; partitions on other machines (a cluster at --scheduler) make the parts, which takes the per-subject
    build off the driver."""

    applies: Callable[[Mapping[str, Any]], bool]
    make: Callable[[PartRequest], Iterator[Any]]
    write: Callable[[WriteRequest, Iterable[Any]], WriteResult]
    on_this_machine: bool = True


@dataclass(frozen=True, slots=True)
class Writer:
    name: str
    summary: str  # one line for --help, e.g. "HL7 FHIR R4 bundles and Bulk Data NDJSON"
    options: tuple[OptionSpec, ...]
    concept_target: type[BaseModel]  # a concept's `<name>:` mapping
    study_settings: type[BaseModel]  # study.yaml's `<name>:` mapping
    lint: Callable[[StudyMapping], list[Issue]]  # checks beyond the models (P011 …), before any data is read
    write: Callable[[WriteRequest], WriteResult]
    # True when `write` holds no more than a bounded block of records at a time (FHIR: one subject's; SDTM: a block
    # of whole subjects, about 4,096 records, its rows going to disk): then a run whose every target streams
    # sets its records aside on disk as they are made (model/spool.py), and its memory does not grow with them.
    streams_records: bool = False
    parts: SubjectParts | None = None  # per-subject output made apart (convert-many), when the writer can

    def default_options(self) -> dict[str, Any]:
        """Each option's value when not given: a flag's is False (what the command line gives), not None."""
        return {option.name: False if option.kind == "flag" and option.default is None else option.default
                for option in self.options}
