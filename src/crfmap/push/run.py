"""`crfmap push`: plan the units, skip what the push log says was accepted, send the rest wave by wave.

Lanes of a wave run in a thread pool of `concurrency` workers (httpx.Client is thread-safe); a wave starts
when the previous one has finished, so study-level resources exist before the bundles that share them, and
referenced resource types before the types referring to them. When the server cannot be reached at all, the
units not yet started are not sent (W107) and the run ends with exit status 2; so when it refuses the credentials.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from crfmap.issues import ExitStatus, Issue, Report, make_issue
from crfmap.push.auth import BearerAuth, SmartBackendAuth, SmartClient
from crfmap.push.client import RetryPolicy, post_unit
from crfmap.push.log import PushLog
from crfmap.push.outcomes import UnitOutcome, judge
from crfmap.push.units import Lane, Payload, Plan, Unit, find_inputs, plan_bundles, plan_ndjson


@dataclass(frozen=True)
class Credentials:
    """At most one way to authenticate; secrets already read (from env or file, never the command line)."""

    bearer: str | None = None
    basic: tuple[str, str] | None = None
    smart: SmartClient | None = None


@dataclass(frozen=True)
class PushOptions:
    server: str
    ndjson: bool = False
    max_entries: int = 100
    concurrency: int = 4
    timeout: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    credentials: Credentials = field(default_factory=Credentials)
    ca_bundle: Path | None = None
    dry_run: bool = False


@dataclass
class PushResult:
    folder: Path
    outcomes: list[UnitOutcome] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    plan_lines: list[str] = field(default_factory=list)  # --dry-run: what would be sent

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def exit_status(self) -> ExitStatus:
        if any(outcome.status in ("unreachable", "unavailable", "unauthorised") for outcome in self.outcomes):
            return ExitStatus.CANNOT_RUN
        return self.report.exit_status

    def summary(self) -> dict[str, int]:
        statuses = ("accepted", "skipped", "rejected", "refused", "unavailable", "unreachable", "unauthorised",
                    "not-sent")
        return {status: self.count(status) for status in statuses}


def push_output(out: Path, options: PushOptions, *, on_outcome: Callable[[UnitOutcome], None] | None = None
                ) -> PushResult:
    """Send the FHIR output in `out` (a convert --out folder, or its fhir/ folder) to `options.server`."""
    folder, files = find_inputs(Path(out), options.ndjson)
    plan = (plan_ndjson if options.ndjson else plan_bundles)(files, options.max_entries)
    result = PushResult(folder)
    for name, why in plan.refused:
        result.report.add(make_issue("W103", file=name, value=name, detail=why))
        result.outcomes.append(UnitOutcome(Unit(name, name, "-", 0, "", _nothing), "refused", detail=why))
    log = PushLog.open(folder, options.server)
    for line in log.damaged:
        result.report.add(make_issue("W110", file=log.path.name, value=f"line {line}", detail="not JSON"))
    if options.dry_run:
        result.plan_lines = describe_plan(plan, log)
        return result
    with _make_client(options) as client:
        Sender(client, options, log, result, on_outcome).run(plan)
    log.close()
    return result


def _nothing() -> Payload:  # the load of a unit that is never sent
    raise AssertionError("a refused file is never loaded")


def describe_plan(plan: Plan, log: PushLog) -> list[str]:
    lines = []
    for number, wave in enumerate(plan.waves, start=1):
        for lane in wave:
            for unit in lane:
                done = log.is_accepted(unit.name, unit.digest)
                if done:
                    lines.append(f"wave {number}: skip {unit.name}: accepted by {log.server} at {done.get('at')}")
                else:
                    methods = sorted(set(unit.load().methods))
                    lines.append(f"wave {number}: send {unit.name}: {unit.kind} of {unit.size} entries "
                                 f"({', '.join(methods)})")
    return lines


def _make_client(options: PushOptions) -> httpx.Client:
    verify: bool | ssl.SSLContext = ssl.create_default_context(cafile=str(options.ca_bundle)) \
        if options.ca_bundle else True
    # idle connections are dropped before common servers drop them (Node 5 s), so a reused one is never stale
    limits = httpx.Limits(max_connections=options.concurrency + 1, max_keepalive_connections=options.concurrency,
                          keepalive_expiry=2.0)
    client = httpx.Client(timeout=httpx.Timeout(options.timeout), verify=verify, limits=limits,
                          follow_redirects=False, headers={"User-Agent": "crfmap-push"})
    credentials = options.credentials
    if credentials.bearer:
        client.auth = BearerAuth(credentials.bearer)
    elif credentials.basic:
        client.auth = httpx.BasicAuth(*credentials.basic)
    elif credentials.smart:
        token_client = httpx.Client(timeout=httpx.Timeout(options.timeout), verify=verify)
        client.auth = SmartBackendAuth(credentials.smart, options.server, token_client)
    return client


class Sender:
    def __init__(self, client: httpx.Client, options: PushOptions, log: PushLog, result: PushResult,
                 on_outcome: Callable[[UnitOutcome], None] | None) -> None:
        self.client = client
        self.options = options
        self.log = log
        self.result = result
        self.on_outcome = on_outcome
        self.lock = threading.Lock()
        self.stopped = False  # the server could not be reached: start nothing new

    def run(self, plan: Plan) -> None:
        with ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="crfmap-push") as pool:
            for wave in plan.waves:
                for future in [pool.submit(self.send_lane, lane) for lane in wave]:
                    future.result()

    def send_lane(self, lane: Lane) -> None:
        for unit in lane:
            self.record(self.send(unit))

    def send(self, unit: Unit) -> UnitOutcome:
        done = self.log.is_accepted(unit.name, unit.digest)
        if done:
            return UnitOutcome(unit, "skipped", done.get("http"), detail=f"accepted at {done.get('at')}")
        if self.stopped:
            issue = make_issue("W107", file=unit.origin, value=unit.name,
                               detail="the server could not be reached, or refused the credentials")
            return UnitOutcome(unit, "not-sent", issues=[issue])
        payload = unit.load()
        answer = post_unit(self.client, self.options.server.rstrip("/"), payload.body, self.options.retry)
        outcome = judge(unit, payload, answer, self.options.server)
        if outcome.status in ("unreachable", "unauthorised"):  # every other request would fare the same
            self.stopped = True
        self.log.write({**outcome.log_record(), "at": _now()})
        return outcome

    def record(self, outcome: UnitOutcome) -> None:
        with self.lock:
            self.result.outcomes.append(outcome)
            self.result.report.extend(outcome.issues)
        if self.on_outcome is not None:
            self.on_outcome(outcome)


def _now() -> str:
    """When a unit's outcome was logged (the push log is a record of a run, not an output: the clock is fine)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["Credentials", "Issue", "PushOptions", "PushResult", "describe_plan", "push_output"]
