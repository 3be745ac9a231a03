"""Run build jobs in parallel: a log file per job, one live "last meaningful line" per job for
the progress display, and a result per job (time, failing step, last lines of the log).

The engine and the log files are parameters (adapters); this module spawns nothing itself.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, cast

from hangar.errors import HangarError
from hangar.image.building.request import BuildJob
from hangar.lines import LineTap
from hangar.ports import ProcessResult

TAIL_LINES = 15
# buildx --progress=plain: "#12 [build 5/7] RUN ...", "#12 CACHED", "#12 DONE 3.2s", "#12 ERROR"
_STEP = re.compile(r"^#(?P<id>\d+) (?P<rest>.*)$")
_STEP_NAME = re.compile(r"^\[(?P<stage>[^\]]+)\] (?P<what>.*)$")
_CACHE_IMPORT = "importing cache manifest"
# what a step printed: "#12 3.456 text"
_OUTPUT = re.compile(r"^#(?P<id>\d+) \d+\.\d+ (?P<text>.*)$")
# the line an install script prints as its error (scripts/docker/*.sh, `die`), marked so it
# can be told from everything else a step prints
ERROR_MARK = "hangar-error: "
STEP_SHOWN = 60  # characters of a failing step's name shown where its error is not known
_NOISE = re.compile(r"^(#\d+ (sha256:|transferring|extracting|resolve|\.\.\.)|#\d+ \d+\.\d+ *$)")
# the registry's own failure (5xx) while BuildKit pushes, e.g. a registry that answers 500 when
# it reads a tag another request of the same push is writing (distribution's filesystem store)
_REGISTRY_SERVER_ERROR = re.compile(r"unexpected status from \w+ request to \S+: 5\d\d ")
RETRY_NOTE = "hangar: the registry failed during the push (a server error); building it again\n"


class BuildEngine(Protocol):
    def build(self, args: Sequence[str], *, log: IO[str] | None = None) -> ProcessResult: ...
    def load(self, archive: Path) -> None: ...
    def push(self, ref: str) -> None: ...


OpenLog = Callable[[Path], AbstractContextManager[IO[str]]]
OnLine = Callable[[BuildJob, str], None]


@dataclass(frozen=True, kw_only=True)
class JobResult:
    job: BuildJob
    ok: bool
    returncode: int
    seconds: float
    failing_step: str | None = None
    # what the failing step said as its error (see step_error); None: it said nothing
    error: str | None = None
    tail: tuple[str, ...] = ()

    @property
    def shown_failure(self) -> str:
        """What a user reads first about the failure: the step's own error, else the step."""
        if self.error:
            return self.error
        step = self.failing_step or f"exit code {self.returncode}"
        return step if len(step) <= STEP_SHOWN else step[: STEP_SHOWN - 1] + "…"

    @property
    def cached_steps(self) -> int:
        return sum(1 for line in self.tail if line.endswith(" CACHED"))


def meaningful_line(line: str) -> str | None:
    """What the live progress line shows for this log line, or None to keep the previous one."""
    text = line.strip()
    if not text or _NOISE.match(text):
        return None
    step = _STEP.match(text)
    if step:
        rest = step.group("rest")
        return rest[:160] if not rest.startswith("DONE") else None
    return text[:160]


def failing_step(log_text: str) -> str | None:
    """The name of the step that failed (`[build 5/7] RUN ...`), from buildx's plain output.

    BuildKit also prints ERROR for a cache it could not import (a first build with
    `--cache-from` of a tag not pushed yet), and goes on: that is not the failure.
    """
    names: dict[str, str] = {}
    for line in log_text.splitlines():
        match = _STEP.match(line.strip())
        if not match:
            continue
        step_id, rest = match.group("id"), match.group("rest")
        if step_id not in names and not rest.startswith("ERROR"):
            names[step_id] = rest
        elif rest.startswith("ERROR") and not names.get(step_id, "").startswith(_CACHE_IMPORT):
            return names[step_id] if _STEP_NAME.match(names.get(step_id, "")) else rest
    return None


def step_error(log_text: str) -> str | None:
    """What the failing step said as its error: the last line an install script marked with
    ERROR_MARK, else the last line the failing step printed before BuildKit's ERROR for it.
    """
    marked = None
    last: dict[str, str] = {}
    for line in log_text.splitlines():
        output = _OUTPUT.match(line.strip())
        if output:
            text = output.group("text").strip()
            if text.startswith(ERROR_MARK):
                marked = text.removeprefix(ERROR_MARK).strip()
            elif text:
                last[output.group("id")] = text
            continue
        step = _STEP.match(line.strip())
        if marked is None and step and step.group("rest").startswith("ERROR"):
            found = last.get(step.group("id"))
            if found and not found.startswith(_CACHE_IMPORT):
                marked = found
    return marked


def tail(text: str, lines: int = TAIL_LINES) -> tuple[str, ...]:
    return tuple(line for line in text.rstrip().splitlines()[-lines:])


def run_one(
    job: BuildJob,
    engine: BuildEngine,
    *,
    open_log: OpenLog,
    on_line: OnLine,
    clock: Callable[[], float] = time.monotonic,
) -> JobResult:
    started = clock()
    with open_log(job.log_path) as log:
        tap = LineTap(log, lambda shown: on_line(job, shown), keep=meaningful_line)
        result = engine.build(job.args(), log=cast("IO[str]", tap))
        if registry_failed_the_push(job, result):
            # once more: every step is cached by now, so this is the export and the push
            tap.write(RETRY_NOTE)
            result = engine.build(job.args(), log=cast("IO[str]", tap))
    output = result.stdout or result.stderr
    archive = job.params.oci_archive
    if result.ok and archive is not None and not job.params.archive_only:
        try:
            deliver_archive(job, engine, archive)
        except HangarError as exc:
            return JobResult(
                job=job,
                ok=False,
                returncode=1,
                seconds=clock() - started,
                failing_step=exc.message,
                tail=(exc.line(),),
            )
    return JobResult(
        job=job,
        ok=result.ok,
        returncode=result.returncode,
        seconds=clock() - started,
        failing_step=None if result.ok else failing_step(output),
        error=None if result.ok else step_error(output),
        tail=tail(output),
    )


def registry_failed_the_push(job: BuildJob, result: ProcessResult) -> bool:
    """The build failed because the registry answered a push request with a server error."""
    output = result.stdout or result.stderr
    return job.params.push and not result.ok and bool(_REGISTRY_SERVER_ERROR.search(output))


def deliver_archive(job: BuildJob, engine: BuildEngine, archive: Path) -> None:
    """A reproducible build's OCI archive into the engine (its digest kept), then pushed."""
    try:
        engine.load(archive)
    finally:
        archive.unlink(missing_ok=True)
    if job.params.push:
        for tag in job.params.tags:
            engine.push(tag)


def run_jobs(
    jobs: Sequence[BuildJob],
    engine: BuildEngine,
    *,
    parallelism: int,
    open_log: OpenLog,
    on_line: OnLine,
    on_done: Callable[[JobResult], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[JobResult, ...]:
    """Run every job, at most `parallelism` at once; results in the jobs' order."""
    lock = threading.Lock()

    def locked_line(job: BuildJob, shown: str) -> None:
        with lock:
            on_line(job, shown)

    def one(job: BuildJob) -> JobResult:
        result = run_one(job, engine, open_log=open_log, on_line=locked_line, clock=clock)
        if on_done is not None:
            with lock:
                on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        return tuple(pool.map(one, jobs))


def failure_summary(results: Sequence[JobResult]) -> str | None:
    """One line naming every failed job and its failing step, or None if all passed."""
    failed = [r for r in results if not r.ok]
    if not failed:
        return None
    parts = [f"{r.job.name}: {r.shown_failure} (log {r.job.log_path})" for r in failed]
    return f"{len(failed)} of {len(results)} build(s) failed: " + "; ".join(parts)
