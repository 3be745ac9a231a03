"""Run a CI flow locally: each stage (one job per Python version for matrix stages) as soon as
the stages it needs have passed, in parallel up to a limit; each step a `hangar` subprocess
through the one process Runner, its output in a log file per job.

The selective-checks stage of each workflow decides the rest (Python versions, which steps
run), exactly as its JSON output does on GitHub.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from hangar.ci.flows import Flow, Stage, Step, expand
from hangar.errors import StepFailed
from hangar.lines import LineTap
from hangar.ports import Command, Files, Runner, last_line

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass(frozen=True, kw_only=True)
class Job:
    stage: Stage
    python: str | None

    @property
    def key(self) -> str:
        return f"{self.stage.id} {self.python}" if self.python else self.stage.id

    @property
    def slug(self) -> str:
        return f"{self.stage.id}-{self.python}" if self.python else self.stage.id


@dataclass(frozen=True, kw_only=True)
class JobOutcome:
    job: Job
    status: str  # ok, failed, skipped
    seconds: float = 0.0
    log: Path | None = None
    steps_run: tuple[str, ...] = ()
    steps_skipped: tuple[str, ...] = ()
    failed_step: str | None = None
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class FlowRun:
    flow: Flow
    outcomes: tuple[JobOutcome, ...]
    decisions: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(o.status != FAILED for o in self.outcomes) and not self.not_run

    @property
    def not_run(self) -> tuple[JobOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == SKIPPED and o.detail)

    def raise_for_failure(self) -> None:
        failed = [o for o in self.outcomes if o.status == FAILED]
        if failed:
            parts = [f"{o.job.key} ({o.failed_step}; log {o.log})" for o in failed]
            raise StepFailed(
                f"CI flow {self.flow.name}: {len(failed)} job(s) failed: " + "; ".join(parts),
                hint="see the summary and the logs",
            )


@dataclass(frozen=True, kw_only=True)
class LocalRun:
    """What a local run needs from the outside: the runner, how to call hangar, where."""

    runner: Runner
    files: Files  # where each job's log is written
    hangar: tuple[str, ...]  # argv that runs the hangar CLI
    cwd: Path
    log_dir: Path
    values: Mapping[str, str]  # placeholder values (sha, base, image, context, ...)
    lists: Mapping[str, Sequence[str]]  # `{*name}` expansions (extras, selective_options)
    parallelism: int = 4
    clock: Callable[[], float] = time.monotonic


OnLine = Callable[[Job, str], None]
OnDone = Callable[[JobOutcome], None]


def _holds(step: Step, decision: Mapping[str, object]) -> bool:
    return all(
        (str(decision.get(name, "false")) == "true") == value for name, value in step.conditions()
    )


def _run_job(
    job: Job,
    run: LocalRun,
    decision: Mapping[str, object] | None,
    on_line: OnLine,
) -> tuple[JobOutcome, dict[str, object] | None]:
    started = run.clock()
    log_path = run.log_dir / f"{job.slug}.log"
    values = dict(run.values)
    if decision is not None:
        values["airflow_version"] = str(decision.get("airflow-version", ""))
        values["upgrade_cutoff"] = str(decision.get("upgrade-cutoff", ""))
    if job.python:
        values["python"] = job.python
    env = {"HANGAR_LOG_DIR": str(run.log_dir / job.slug)}
    ran: list[str] = []
    skipped: list[str] = []
    produced: dict[str, object] | None = None
    with run.files.open_log(log_path) as log:
        for step in job.stage.steps:
            if decision is not None and not _holds(step, decision):
                skipped.append(step.name)
                log.write(f"## {step.name}: skipped ({', '.join(step.when)})\n")
                continue
            argv = expand(step.argv, values, run.lists)
            if step.sets_outputs:
                argv = (*argv, "--output", "json")
            command = Command(
                args=(*run.hangar, *argv), cwd=run.cwd, env=env, changes_state=step.changes_state
            )
            log.write(f"## {step.name}\n$ {command.quoted()}\n")
            log.flush()
            on_line(job, step.name)
            ran.append(step.name)
            if step.sets_outputs:
                result = run.runner.run(command)
                log.write(result.stderr)
                log.write(result.stdout)
            else:
                tap = LineTap(log, lambda line: on_line(job, line))
                result = run.runner.run(command, stream_to=cast("IO[str]", tap))
            if not result.ok:
                return JobOutcome(
                    job=job,
                    status=FAILED,
                    seconds=run.clock() - started,
                    log=log_path,
                    steps_run=tuple(ran),
                    steps_skipped=tuple(skipped),
                    failed_step=step.name,
                    detail=last_line(result.stderr or result.stdout),
                ), None
            if step.sets_outputs:
                produced = _decision(result.stdout, step)
    outcome = JobOutcome(
        job=job,
        status=OK,
        seconds=run.clock() - started,
        log=log_path,
        steps_run=tuple(ran),
        steps_skipped=tuple(skipped),
    )
    return outcome, produced


def _decision(stdout: str, step: Step) -> dict[str, object]:
    if not stdout.strip():  # a dry run printed the command instead of running it
        raise StepFailed(f"{step.name} printed no decision")
    data: dict[str, object] = json.loads(stdout)
    return data


def _pythons(decision: Mapping[str, object] | None) -> tuple[str, ...]:
    if decision is None:
        return ()
    raw = decision.get("python-versions", "[]")
    parsed = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(str(p) for p in cast("list[object]", parsed))


_Result = tuple[JobOutcome, dict[str, object] | None]
_Start = Callable[[Job, Mapping[str, object] | None], None]


@dataclass(kw_only=True)
class _FlowState:
    """What a flow run has come to so far: decisions, stage states, outcomes."""

    on_done: OnDone
    decisions: dict[str, dict[str, object]] = field(default_factory=dict)
    # stage id -> ok / failed / skipped, once all its jobs ended
    status: dict[str, str] = field(default_factory=dict)
    outcomes: list[JobOutcome] = field(default_factory=list)
    left: dict[str, int] = field(default_factory=dict)
    failed_stage: dict[str, bool] = field(default_factory=dict)

    def finish(self, outcome: JobOutcome) -> None:
        self.outcomes.append(outcome)
        self.on_done(outcome)
        stage_id = outcome.job.stage.id
        self.failed_stage[stage_id] = (
            self.failed_stage.get(stage_id, False) or outcome.status == FAILED
        )
        self.left[stage_id] -= 1
        if self.left[stage_id] == 0:
            self.status[stage_id] = FAILED if self.failed_stage[stage_id] else OK


def run_flow(flow: Flow, run: LocalRun, *, on_line: OnLine, on_done: OnDone) -> FlowRun:
    """Run every stage of `flow` once its needs passed; a failed stage skips its dependents."""
    info = {s.workflow: s.id for s in flow.stages if any(st.sets_outputs for st in s.steps)}
    state = _FlowState(on_done=on_done)
    pending = list(flow.stages)
    running: dict[Future[_Result], Job] = {}
    lock = threading.Lock()

    def locked(job: Job, line: str) -> None:
        with lock:
            on_line(job, line)

    with ThreadPoolExecutor(max_workers=max(1, run.parallelism)) as pool:

        def start(job: Job, decision: Mapping[str, object] | None) -> None:
            future = pool.submit(_run_job, job, run, decision, locked)
            running[future] = job

        while pending or running:
            _start_ready(flow, pending, state, info=info, lock=lock, start=start)
            if not running:
                if pending:  # needs that never end: a definition error
                    raise StepFailed(f"stages {[s.id for s in pending]} wait for unknown stages")
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future)
                outcome, produced = future.result()
                with lock:
                    if produced is not None:
                        state.decisions[outcome.job.stage.workflow] = produced
                    state.finish(outcome)
    order = {s.id: i for i, s in enumerate(flow.stages)}
    state.outcomes.sort(key=lambda o: (order[o.job.stage.id], o.job.python or ""))
    return FlowRun(flow=flow, outcomes=tuple(state.outcomes), decisions=state.decisions)


def _start_ready(
    flow: Flow,
    pending: list[Stage],
    state: _FlowState,
    *,
    info: Mapping[str, str],
    lock: threading.Lock,
    start: _Start,
) -> None:
    """Start the jobs of every pending stage whose needs all ended; a stage whose need did
    not pass (or with no Python version to run for) ends at once, its jobs skipped.
    """
    for stage in list(pending):
        waits_for = flow.waits_for(stage)
        states = [state.status.get(n) for n in waits_for]
        if any(s is None for s in states):
            continue
        pending.remove(stage)
        decision = state.decisions.get(stage.workflow)
        is_info = info.get(stage.workflow) == stage.id
        pythons: tuple[str | None, ...] = _pythons(decision) if stage.per_python else (None,)
        jobs = [Job(stage=stage, python=p) for p in pythons]
        state.left[stage.id] = len(jobs)
        blocked = [n for n, s in zip(waits_for, states, strict=True) if s != OK]
        if blocked or not jobs:  # a need failed, or no Python version to run for
            detail = f"needs {', '.join(blocked)}" if blocked else ""
            for job in jobs:
                with lock:
                    state.finish(JobOutcome(job=job, status=SKIPPED, detail=detail))
            state.status[stage.id] = SKIPPED if blocked else OK
            continue
        for job in jobs:
            start(job, None if is_info else decision)
