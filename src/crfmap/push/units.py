"""What `crfmap push` sends, in which order: units (one HTTP request each) grouped into waves and lanes.

A wave runs after the previous one has finished; its lanes run side by side (up to the concurrency limit);
the units of one lane run one after another. So:
- transaction bundles: wave 1 holds the study-level entries every bundle shares (the ResearchStudy, PUT with its
  deterministic id) in one transaction of their own, so that bundles posted in parallel never race to create
  them; wave 2 holds one lane per bundle, sent as written. A bundle with more entries than `max_entries` is
  split only when every entry is a PUT of its own id: references to fullUrls become `Type/id`, the entries are
  ordered so that a resource comes after those it refers to, and the chunks go one after another in its lane.
  A bigger bundle with conditional creates cannot be split without breaking its references: it is refused.
- Bulk NDJSON: every resource is PUT with its id (references in NDJSON are already `Type/id`), in batches of
  at most `max_entries`; the resource types are sent in waves so that referenced types come first (studies and
  patients before their observations, Provenance last).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCE_CELLS = "/StructureDefinition/source-cells"


@dataclass(frozen=True, slots=True)
class EntryInfo:
    """What a report about one entry needs: where it is and which cells it came from."""

    position: str  # "entry 4" of a bundle, "line 12" of an NDJSON file
    reference: str  # Type/id
    cells: tuple[str, ...] = ()  # "Sheet!A1", from the resource's source-cells extensions
    source_file: str | None = None  # the input workbook those cells are in


@dataclass(frozen=True, slots=True)
class Payload:
    """The request body of a unit and what a report needs about each of its entries."""

    body: bytes
    entries: tuple[EntryInfo, ...]
    methods: tuple[str, ...]  # each entry's request: "PUT", "POST if none exists", …


@dataclass(frozen=True, slots=True)
class Unit:
    """One request (a transaction or batch Bundle). The body is made when the unit is sent, not before, so that a
    large NDJSON output is never held in memory at once; `digest` identifies the content in the push log."""

    name: str  # stable across runs (the push log's key): "bundle-01-001.json", "Observation.ndjson lines 1-100"
    origin: str  # the output file it came from
    kind: str  # "transaction" or "batch"
    size: int  # entries
    digest: str  # SHA-256 of the content it sends
    load: Callable[[], Payload]


Lane = list[Unit]
Wave = list[Lane]


@dataclass
class Plan:
    waves: list[Wave] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, why) for what cannot be sent

    def units(self) -> Iterator[Unit]:
        for wave in self.waves:
            for lane in wave:
                yield from lane


class PlanError(ValueError):
    """The output folder holds nothing that can be pushed."""


def find_inputs(out: Path, ndjson: bool) -> tuple[Path, list[Path]]:
    """The folder holding the FHIR files (OUT/fhir when OUT is a convert output) and the files to send."""
    folder = out / "fhir" if (out / "fhir").is_dir() else out
    if not folder.is_dir():
        raise PlanError(f"{out.name or out} is not a folder of FHIR output")
    pattern = "*.ndjson" if ndjson else "*.json"
    files = sorted(path for path in folder.glob(pattern) if path.is_file())
    if not files:
        what = "Bulk NDJSON files (*.ndjson)" if ndjson else "bundles (*.json)"
        raise PlanError(f"{folder.name} holds no {what}; run crfmap convert with --to fhir"
                        f"{' --ndjson' if ndjson else ''} first")
    return folder, files


@dataclass(frozen=True, slots=True)
class _BundleFile:
    path: Path
    kind: str
    size: int
    digest: str
    all_own_puts: bool


def plan_bundles(files: Iterable[Path], max_entries: int) -> Plan:
    """One pass over the files (each parsed, then let go: only their fullUrls are kept), then the plan."""
    plan = Plan()
    bundles: list[_BundleFile] = []
    first_seen: dict[str, Path] = {}  # fullUrl -> the file that had it first
    counts: dict[str, int] = {}
    for path in files:
        try:
            data = path.read_bytes()
            bundle = json.loads(data)
        except (OSError, ValueError) as problem:
            plan.refused.append((path.name, f"it is not readable JSON ({problem})"))
            continue
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            continue  # not a bundle: not ours to send
        if bundle.get("type") not in ("transaction", "batch"):
            why = (f"it is a {bundle.get('type')} bundle; only transaction and batch bundles can be posted "
                   "(convert with --bundle transaction)")
            plan.refused.append((path.name, why))
            continue
        entries = bundle.get("entry", [])
        for entry in entries:
            url = entry.get("fullUrl")
            if isinstance(url, str):
                first_seen.setdefault(url, path)
                counts[url] = counts.get(url, 0) + 1
        bundles.append(_BundleFile(path, bundle["type"], len(entries), hashlib.sha256(data).hexdigest(),
                                   all(_is_own_put(entry) for entry in entries)))
    shared = _shared_entries([url for url in first_seen if counts[url] > 1], first_seen)
    if shared:
        plan.waves.append([[make_unit("study-level entries", shared[0][0], "transaction",
                                      [entry for _, entry in shared])]])
    lanes: Wave = []
    for item in bundles:
        if item.size <= max_entries:
            lanes.append([Unit(item.path.name, item.path.name, item.kind, item.size, item.digest,
                               _bundle_loader(item.path))])
        elif item.all_own_puts:
            lanes.append(_split(item.path.name, json.loads(item.path.read_bytes()).get("entry", []), max_entries))
        else:
            why = (f"it has {item.size} entries, more than --max-entries {max_entries}, and conditional creates, "
                   "which cannot be split without breaking its references; write one bundle per subject (the "
                   "default), or convert with --request put, or raise --max-entries")
            plan.refused.append((item.path.name, why))
    if lanes:
        plan.waves.append(lanes)
    return plan


def _bundle_loader(path: Path) -> Callable[[], Payload]:
    def load() -> Payload:
        body = path.read_bytes()
        return _payload(body, json.loads(body).get("entry", []))

    return load


def _shared_entries(urls: list[str], first_seen: dict[str, Path]) -> list[tuple[str, dict[str, Any]]]:
    """The entries of `urls` (carried by more than one bundle), in the order first seen, with their file."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in dict.fromkeys(first_seen[url] for url in urls):
        wanted = {url for url in urls if first_seen[url] == path}
        for entry in json.loads(path.read_bytes()).get("entry", []):
            if entry.get("fullUrl") in wanted:
                found[entry["fullUrl"]] = (path.name, entry)
    return [found[url] for url in urls]


def _is_own_put(entry: dict[str, Any]) -> bool:
    resource, request = entry.get("resource") or {}, entry.get("request") or {}
    own = f"{resource.get('resourceType')}/{resource.get('id')}"
    return request.get("method") == "PUT" and request.get("url") == own and entry.get("fullUrl") in (
        None, f"urn:uuid:{resource.get('id')}")


def _split(name: str, entries: list[dict[str, Any]], max_entries: int) -> Lane:
    """A PUT-only bundle as chunks in reference order, fullUrl references rewritten to Type/id."""
    targets = {entry["fullUrl"]: f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
               for entry in entries if entry.get("fullUrl")}
    rewritten = [{"resource": _rewrite(entry["resource"], targets), "request": entry["request"]} for entry in entries]
    ordered = order_by_references(rewritten)
    lane: Lane = []
    for start in range(0, len(ordered), max_entries):
        chunk = ordered[start:start + max_entries]
        lane.append(make_unit(f"{name} entries {start + 1}-{start + len(chunk)}", name, "transaction", chunk))
    return lane


def _rewrite(data: Any, targets: dict[str, str]) -> Any:
    if isinstance(data, dict):
        return {key: (targets.get(value, value) if key == "reference" and isinstance(value, str)
                      else _rewrite(value, targets)) for key, value in data.items()}
    if isinstance(data, list):
        return [_rewrite(item, targets) for item in data]
    return data


def order_by_references(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries so that each comes after the entries it refers to (`Type/id`); stable; cycles keep their order."""
    keys = [f"{entry['resource']['resourceType']}/{entry['resource']['id']}" for entry in entries]
    index = {key: position for position, key in enumerate(keys)}
    needs = [{index[target] for target in references_of(entry["resource"]) if target in index} - {position}
             for position, entry in enumerate(entries)]
    done: set[int] = set()
    ordered: list[int] = []
    while len(ordered) < len(entries):
        ready = [position for position in range(len(entries)) if position not in done and needs[position] <= done]
        if not ready:  # a cycle: take the first left, as written
            ready = [next(position for position in range(len(entries)) if position not in done)]
        for position in ready:
            done.add(position)
            ordered.append(position)
    return [entries[position] for position in ordered]


def references_of(data: Any) -> Iterator[str]:
    """Every Reference.reference in a resource (contained `#` references and urls included)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references_of(value)
    elif isinstance(data, list):
        for item in data:
            yield from references_of(item)


@dataclass(frozen=True, slots=True)
class _Chunk:
    path: Path
    first_line: int
    last_line: int
    start: int  # byte offsets of the lines in the file
    end: int
    size: int
    digest: str


def plan_ndjson(files: Iterable[Path], max_entries: int) -> Plan:
    """Batches of PUTs per resource type, in waves by the types' references to one another."""
    plan = Plan()
    depends: dict[str, set[str]] = {}
    chunks: dict[str, list[_Chunk]] = {}
    for path in files:
        try:
            chunks[path.stem] = _scan_ndjson(path, max_entries, depends.setdefault(path.stem, set()))
        except (OSError, ValueError) as problem:
            plan.refused.append((path.name, f"it is not readable NDJSON ({problem})"))
            del depends[path.stem]
    for types in _type_waves(depends):
        plan.waves.append([[_ndjson_unit(chunk)] for name in types for chunk in chunks[name]])
    return plan


def _scan_ndjson(path: Path, max_entries: int, depends: set[str]) -> list[_Chunk]:
    """One pass: the chunks' line and byte ranges and digests, and the types the resources refer to."""
    chunks: list[_Chunk] = []
    digest = hashlib.sha256()
    first = size = start = offset = 0
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if raw.strip():
                resource = json.loads(raw)
                depends.update(target.split("/", 1)[0] for target in references_of(resource)
                               if "/" in target and not target.startswith(("#", "urn:", "http")))
                if size == 0:
                    first, start, digest = number, offset, hashlib.sha256()
                digest.update(raw)
                size += 1
                if size == max_entries:
                    chunks.append(_Chunk(path, first, number, start, offset + len(raw), size, digest.hexdigest()))
                    size = 0
            offset += len(raw)
            last = number
    if size:
        chunks.append(_Chunk(path, first, last, start, offset, size, digest.hexdigest()))
    return chunks


def _ndjson_unit(chunk: _Chunk) -> Unit:
    def load() -> Payload:
        with open(chunk.path, "rb") as stream:
            stream.seek(chunk.start)
            lines = stream.read(chunk.end - chunk.start).splitlines()
        resources = [json.loads(line) for line in lines if line.strip()]
        entries = [{"resource": resource,
                    "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}}
                   for resource in resources]
        numbers = [number for number, line in zip(range(chunk.first_line, chunk.last_line + 1), lines, strict=False)
                   if line.strip()]
        return _payload(_dump({"resourceType": "Bundle", "type": "batch", "entry": entries}), entries,
                        [f"line {number}" for number in numbers])

    name = f"{chunk.path.name} lines {chunk.first_line}-{chunk.last_line}"
    return Unit(name, chunk.path.name, "batch", chunk.size, chunk.digest, load)


def _type_waves(depends: dict[str, set[str]]) -> list[list[str]]:
    """Resource types in levels: a type after the types it refers to (Provenance, referring to all, comes last)."""
    remaining = {name: {target for target in targets if target in depends and target != name}
                 for name, targets in depends.items()}
    waves: list[list[str]] = []
    placed: set[str] = set()
    while remaining:
        ready = sorted(name for name, targets in remaining.items() if targets <= placed)
        if not ready:  # types referring to each other: sent together
            ready = sorted(remaining)
        waves.append(ready)
        placed.update(ready)
        for name in ready:
            del remaining[name]
    return waves


def make_unit(name: str, origin: str, kind: str, entries: list[dict[str, Any]]) -> Unit:
    """A unit made here from entries (held in memory; small: shared entries, chunks of a split bundle)."""
    body = _dump({"resourceType": "Bundle", "type": kind, "entry": entries})
    payload = _payload(body, entries)
    return Unit(name, origin, kind, len(entries), hashlib.sha256(body).hexdigest(), lambda: payload)


def _dump(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _payload(body: bytes, entries: list[dict[str, Any]], positions: list[str] | None = None) -> Payload:
    infos = tuple(_entry_info(entry.get("resource") or {}, positions[i] if positions else f"entry {i + 1}")
                  for i, entry in enumerate(entries))
    return Payload(body, infos, tuple(_method(entry.get("request") or {}) for entry in entries))


def _method(request: dict[str, Any]) -> str:
    if request.get("method") == "POST" and request.get("ifNoneExist"):
        return "POST if none exists"
    return str(request.get("method", "?"))


def _entry_info(resource: dict[str, Any], position: str) -> EntryInfo:
    cells: list[str] = []
    source_file = None
    for extension in (resource.get("meta") or {}).get("extension", []):
        if not str(extension.get("url", "")).endswith(SOURCE_CELLS):
            continue
        for part in extension.get("extension", []):
            if part.get("url") == "cell" and part.get("valueString") not in cells:
                cells.append(part["valueString"])
            elif part.get("url") == "file" and source_file is None:
                source_file = part.get("valueString")
    return EntryInfo(position=position, reference=f"{resource.get('resourceType')}/{resource.get('id')}",
                     cells=tuple(cells), source_file=source_file)
