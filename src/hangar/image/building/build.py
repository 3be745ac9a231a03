"""Orchestration of image builds: check the base images, provide constraints files, run the
jobs. Adapters (engine, probe, constraints source, log files) come in as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hangar.errors import NotFound, RegistryUnavailable, StepFailed
from hangar.image.building.jobs import JobResult, OnLine, OpenLog, failure_summary, run_jobs
from hangar.image.building.platforms import ensure_base_platforms, resolves_from_engine
from hangar.image.building.request import Build, BuildJob
from hangar.ports import ConstraintsSource, Engine, ImageProbe
from hangar.values import parse_ref


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


def check_base_images(jobs: Sequence[BuildJob], probe: ImageProbe) -> tuple[str, ...]:
    """Fail with one line naming the first base image that cannot be reached, or that lacks
    a platform a job asks for, as the job's builder will resolve it.
    """
    notes = []
    for base in dict.fromkeys(job.params.base_image for job in jobs):
        where = probe.image_available(base)
        if where is not None:
            notes.append(f"base image {base}: found in the {where}")
            for job in jobs:
                if job.params.base_image == base and job.params.platform:
                    ensure_base_platforms(
                        probe,
                        base,
                        job.params.platform.split(","),
                        from_engine=resolves_from_engine(
                            probe,
                            builder=job.params.builder,
                            docker_context=job.params.docker_context,
                        ),
                    )
            continue
        registry = parse_ref(base).registry or None
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


@dataclass(frozen=True, kw_only=True)
class BuildWorld:
    """The outside world of a build: the engine (holding the build's secret values), the
    probe of base images, the constraints source and the job logs.
    """

    engine: Engine
    probe: ImageProbe
    constraints: ConstraintsSource
    open_log: OpenLog


def print_builds(
    jobs: Sequence[BuildJob], *, build: Build, engine: Engine, on_note: Callable[[str], None]
) -> None:
    """A dry run: what would be prepared, and each build command (the engine's runner prints
    it instead of running it).
    """
    for name in sorted(build.secret_env):
        on_note(f"# export {name}=... first: it carries a secret, not shown here")
    for job in jobs:
        if job.constraints_file:
            on_note(
                f"# would provide docker-context-files/{job.constraints_file} "
                "(hangar constraints, cached)"
            )
        engine.build(job.args())


def run_builds(
    jobs: Sequence[BuildJob],
    *,
    build: Build,
    world: BuildWorld,
    parallelism: int,
    on_note: Callable[[str], None],
    on_line: OnLine,
    on_done: Callable[[JobResult], None] | None = None,
) -> BuildReport:
    """Check the engine and the base images, provide the constraints files, then run the
    jobs in parallel (shared by `image build`, `cache refresh`, `ci build-image` and the
    release refresh).
    """
    world.engine.ensure_available()
    notes = check_base_images(jobs, world.probe)
    notes += provide_constraints(
        jobs,
        world.constraints,
        context_files=build.request.context / "docker-context-files",
        airflow_version=build.airflow_version,
        extras=build.extras,
    )
    for note in notes:
        on_note(note)
    results = run_jobs(
        jobs,
        world.engine,
        parallelism=parallelism,
        open_log=world.open_log,
        on_line=on_line,
        on_done=on_done,
    )
    return BuildReport(results=results, notes=notes)
