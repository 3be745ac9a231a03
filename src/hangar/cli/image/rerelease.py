"""`hangar image release X.Y.Z --patch | --refresh-base | --rollback DATE`: keep a released
version patched (the logic is hangar.image.releasing.rerelease; this wires its makers to the engine,
the builds and the checks, and renders the outcome).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

from hangar.app import App
from hangar.cli import render
from hangar.cli.builds import prepare, release_bare_python, run_jobs
from hangar.config import Config
from hangar.errors import StepFailed
from hangar.image.building.buildx import BuildParams, buildx_command
from hangar.image.building.request import BuildRequest
from hangar.image.building.tags import released_versions
from hangar.image.releasing.candidates import (
    CandidateChecks,
    PatchMaker,
    Rebuild,
    RebuildMaker,
)
from hangar.image.releasing.release import ReleaseParams, ReleaseResult
from hangar.image.releasing.rerelease import (
    CandidateMaker,
    Floating,
    RereleaseResult,
    created_day,
    rerelease,
    rollback,
)
from hangar.image.verifying.verify import verify_image
from hangar.infra.files import assemble_context, open_log, recipe_dir
from hangar.ports import Registry, last_line
from hangar.values import parse_ref

MODES = ("patch", "refresh")


def date_of(app: App, registry: Registry) -> Callable[[Floating], str]:
    """The day an already released image was made (its `created` label, read from the
    registry: nothing is pulled), else today, for its dated tag.
    """
    return lambda item: created_day(registry, item) or today(app)


def today(app: App) -> str:
    return app.utc_now().strftime("%Y%m%d")


def _build_one(app: App, config: Config, params: BuildParams, name: str) -> None:
    """One buildx build into the engine, its output in a log; one line when it fails."""
    log_path = app.cwd / config["log_dir"] / f"{name}.log"
    with (
        render.err_console().status(f"building {name} (log {log_path})"),
        open_log(log_path) as log,
    ):
        result = app.engine().build(buildx_command(params), log=log)
    if not result.ok:
        raise StepFailed(
            f"building {name} failed: {last_line(result.stdout) or result.returncode}",
            hint=f"see {log_path}",
        )


def _rebuild(app: App, config: Config, scratch: Path, rebuild: Rebuild) -> None:
    """A no-cache build on a freshly pulled base image from the released inputs."""
    context = assemble_context(
        recipe_dir(), scratch / "empty", scratch / f"context-{rebuild.python}"
    )
    name = f"released-constraints-{rebuild.python}.txt"
    (context / "docker-context-files" / name).write_bytes(rebuild.constraints)
    request = BuildRequest(
        pythons=(rebuild.python,),
        airflow_version=rebuild.airflow_version,
        extras=rebuild.extras,
        uid=int(rebuild.uid),
        constraints_location=name,
        tags=(rebuild.tag,),
        no_cache=True,
        pull=True,
        context=context,
    )
    build, jobs = prepare(app, config, request)
    report = run_jobs(app, jobs, build=build, config=config, parallelism=1, dry_run=False)
    if report is not None:
        report.raise_for_failure()


def maker(app: App, config: Config, *, mode: str, date: str) -> CandidateMaker:
    scratch = app.cwd / ".hangar" / "rerelease"
    if scratch.exists():
        shutil.rmtree(scratch)
    (scratch / "empty").mkdir(parents=True)
    engine = app.engine()
    engine.ensure_available()
    index = app.security_index(config["debian_security_mirror"])
    checks = CandidateChecks(
        engine=engine, index=index, verify=lambda ref: verify_image(engine, ref)
    )
    if mode == "patch":
        return PatchMaker(
            engine=engine,
            index=index,
            checks=checks,
            build=lambda params: _build_one(app, config, params, f"patch-{params.python}"),
            recipe=recipe_dir(),
            scratch=scratch / "empty",
            security_mirror=config["debian_security_mirror"],
            date=date,
        )
    return RebuildMaker(
        engine=engine,
        index=index,
        checks=checks,
        rebuild=lambda rebuild: _rebuild(app, config, scratch, rebuild),
        date=date,
    )


def run_rerelease(
    app: App, params: ReleaseParams, config: Config, registry: Registry, *, mode: str, date: str
) -> RereleaseResult:
    return rerelease(
        params,
        date=date,
        registry=registry,
        maker=maker(app, config, mode=mode, date=date),
        date_of=date_of(app, registry),
        on_step=render.note,
    )


def run_every_released(
    app: App, params: ReleaseParams, config: Config, registry: Registry, *, mode: str, date: str
) -> list[tuple[str, RereleaseResult]]:
    """Re-release every final version the repository holds, for the Pythons it was released
    for, in turn (newest first); versions with nothing pending change nothing.
    """
    existing = set(registry.list_tags(parse_ref(params.repository).repository))
    done = []
    for version in released_versions(existing):
        pythons = tuple(
            p for p in params.pythons if f"{params.prefix}{version}-python{p}" in existing
        )
        if not pythons:
            continue
        render.note(f"{params.repository} {version}: scanning Python {', '.join(pythons)}")
        one = dataclasses.replace(
            params,
            version=str(version),
            pythons=pythons,
            default_python=release_bare_python(app, config, str(version)),
        )
        done.append((str(version), run_rerelease(app, one, config, registry, mode=mode, date=date)))
    return done


def show_every_released(done: list[tuple[str, RereleaseResult]], output: str, *, mode: str) -> None:
    if output == "json":
        render.print_json(
            {
                "mode": mode,
                "ok": all(r.ok for _v, r in done),
                "versions": [
                    {"version": v, "skipped": list(r.skipped), "published": dict(r.published)}
                    for v, r in done
                ],
            }
        )
        return
    rows = [
        (version, python, "nothing pending", "")
        for version, result in done
        for python in result.skipped
    ] + [
        (version, python, mode, ref)
        for version, result in done
        for python, ref in result.published.items()
    ]
    render.table(
        f"{mode}: every released version", ("version", "python", "action", "published"), rows
    )


def run_rollback(
    app: App, params: ReleaseParams, registry: Registry, *, date: str
) -> ReleaseResult:
    return rollback(params, date=date, registry=registry, date_of=date_of(app, registry))


def show_rerelease(result: RereleaseResult, output: str, *, mode: str) -> None:
    if output == "json":
        render.print_json(
            {
                "ok": result.ok,
                "mode": mode,
                "skipped": list(result.skipped),
                "published": dict(result.published),
                "moved": [
                    {"tag": c.tag, "digest": c.expected, "ok": c.ok}
                    for c in (result.release.checks if result.release else ())
                ],
            }
        )
        return
    for python in result.skipped:
        render.note(f"Python {python}: nothing pending, nothing to do")
    if result.release is not None:
        plan = result.release.plan
        render.table(
            f"{mode}: {plan.params.repository} {plan.params.version}",
            ("tag", "now points at", "check"),
            (
                (c.tag, c.expected, render.ok_or_failed(ok=c.ok, failed=f"points at {c.actual}"))
                for c in result.release.checks
            ),
        )
        for python, ref in result.published.items():
            render.note(f"Python {python}: published {ref}")
