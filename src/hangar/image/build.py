"""Orchestration of image builds: check the base images, provide constraints files, run the
jobs. Adapters (engine, probe, constraints source, log files) come in as parameters."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hangar.errors import NotFound, RegistryUnavailable, StepFailed
from hangar.image.jobs import BuildEngine, JobResult, OnLine, OpenLog, failure_summary, run_jobs
from hangar.image.plan import BuildJob
from hangar.ports import ConstraintsSource, ImageProbe


@dataclass(frozen=True, kw_only=True)
class BuildReport:
    results: tuple[JobResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def raise_for_failure(self) -> None:
        summary = failure_summary(self.results)
        if summary is not None:
            raise StepFailed(summary, hint="see the log's last lines above")


def registry_of(ref: str) -> str | None:
    """The registry host of an image reference, or None for Docker Hub's short names."""
    first, sep, _rest = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def check_base_images(jobs: Sequence[BuildJob], probe: ImageProbe) -> tuple[str, ...]:
    """Fail with one line naming the first base image that cannot be reached."""
    notes = []
    for base in dict.fromkeys(job.params.base_image for job in jobs):
        where = probe.image_available(base)
        if where is not None:
            notes.append(f"base image {base}: found in the {where}")
            continue
        registry = registry_of(base)
        if registry is not None and not probe.registry_reachable(registry):
            raise RegistryUnavailable(
                f"registry {registry} is not reachable, so base image {base} cannot be pulled",
                hint="start it with `hangar env up`, or pass --base-image",
            )
        raise NotFound(
            f"base image {base} not found in the registry or the engine",
            hint="build it with `hangar base build --push`, or pass --base-image",
        )
    return tuple(notes)


def provide_constraints(
    jobs: Sequence[BuildJob],
    source: ConstraintsSource,
    *,
    context_files: Path,
    airflow_version: str,
    extras: tuple[str, ...],
) -> tuple[str, ...]:
    """Put `<mode>-<py>.txt` into docker-context-files for the jobs that need one."""
    notes = []
    for job in jobs:
        if job.constraints_file is None:
            continue
        mode = job.constraints_file.removesuffix(f"-{job.python}.txt")
        note = source.provide(
            airflow_version=airflow_version,
            python=job.python,
            extras=extras,
            mode=mode,
            target=context_files / job.constraints_file,
        )
        notes.append(f"{job.name}: {note}")
    return tuple(notes)


def build_images(
    jobs: Sequence[BuildJob],
    *,
    engine: BuildEngine,
    parallelism: int,
    open_log: OpenLog,
    on_line: OnLine,
    on_done: Callable[[JobResult], None] | None = None,
    notes: tuple[str, ...] = (),
    clock: Callable[[], float] = time.monotonic,
) -> BuildReport:
    results = run_jobs(
        jobs,
        engine,
        parallelism=parallelism,
        open_log=open_log,
        on_line=on_line,
        on_done=on_done,
        clock=clock,
    )
    return BuildReport(results=results, notes=notes)
