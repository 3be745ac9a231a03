"""`hangar image release VERSION`: tag the per-Python images of a version as released
(`X.Y.Z-pythonA.B`, `X.Y.Z`, `latest-pythonA.B`, `latest`, or their `slim-` variants), check every
tag's digest; `--refresh-base` rebuilds the version on the current base image first."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import rich_click as click
from rich.table import Table

from hangar.cli import render as common
from hangar.cli.image import build as image_build
from hangar.cli.options import Deps
from hangar.config import Config
from hangar.errors import StepFailed
from hangar.image import plan as build_plan
from hangar.image.plan import BuildJob, BuildRequest
from hangar.image.release import (
    CANDIDATE_SOURCE,
    DEFAULT_SOURCE,
    SOURCE_FIELDS,
    RefreshParams,
    RefreshResult,
    ReleaseParams,
    ReleasePlan,
    ReleaseResult,
    candidate_refs,
    execute_release,
    plan_release,
    refresh_base,
)
from hangar.image.tags import parse_ref, parse_version
from hangar.image.verify import verify_image
from hangar.infra.registry import HttpRegistry, credentials_from_env
from hangar.ports import Runner, cmd, run_checked


@click.command(name="release")
@click.argument("version", required=False)
@click.option(
    "--python",
    "pythons",
    multiple=True,
    metavar="A.B",
    help="Python version(s) to release (repeatable or comma-separated; default: all configured).",
)
@click.option("--slim", is_flag=True, help="Release the slim images (no extras): `slim-` tags.")
@click.option(
    "--source",
    default=None,
    metavar="PATTERN",
    help=f"Where each Python's image is now (default `{DEFAULT_SOURCE}`; fields: {SOURCE_FIELDS}).",
)
@click.option(
    "--skip-latest", is_flag=True, help="Never move the `latest` tags (old-branch patch releases)."
)
@click.option(
    "--refresh-base",
    is_flag=True,
    help="Rebuild VERSION on the current base image (no cache, fresh pull), verify it, "
    "and only then move its tags.",
)
@click.option(
    "--registry", default=None, help="Registry to release to (default: config `registry`)."
)
@click.option(
    "--image-name",
    default=None,
    help="Repository name in the registry (default: config `image_name`).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show the plan (tags, sources, digests) and change nothing."
)
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def command(
    version: str | None,
    pythons: tuple[str, ...],
    slim: bool,
    source: str | None,
    skip_latest: bool,
    refresh_base: bool,
    registry: str | None,
    image_name: str | None,
    dry_run: bool,
    output: str,
) -> None:
    """Tag VERSION's per-Python images as a release and check every tag resolves to the digest
    it should. Pre-releases and versions older than the newest release never move `latest`.

    Exit codes: 0 released (or planned), 1 a tag or a check failed, 4 registry unreachable,
    5 bad version or Python, 8 a source image is missing.
    """
    config = common.load_config({"registry": registry, "image_name": image_name})
    version = version or config["airflow_version"]
    parse_version(version)
    params = ReleaseParams(
        repository=config.image_repository(),
        version=version,
        pythons=_pythons(pythons, config),
        default_python=config["default_python"],
        slim=slim,
        source=source or (CANDIDATE_SOURCE if refresh_base else DEFAULT_SOURCE),
        skip_latest=skip_latest,
    )
    reg = HttpRegistry(
        host=parse_ref(params.repository).registry, credentials=credentials_from_env(os.environ)
    )
    if refresh_base:
        _refresh(params, config, reg, dry_run=dry_run, output=output)
        return
    plan = plan_release(params, reg)
    if dry_run:
        render_plan(plan, output)
        return
    result = execute_release(plan, reg)
    render_result(result, output)
    _raise_for(result)


def _pythons(given: tuple[str, ...], config: Config) -> tuple[str, ...]:
    return build_plan.resolve_pythons(given or ("all",), config)


def _refresh(
    params: ReleaseParams, config: Config, reg: HttpRegistry, *, dry_run: bool, output: str
) -> None:
    d = Deps()
    runner = d.effective_runner(dry_run)
    refresh = RefreshParams(release=params, builds=(), candidate=params.source)
    request = BuildRequest(
        airflow_version=params.version,
        extras=() if params.slim else None,
        no_cache=True,
        pull=True,  # the point of a security refresh: the current base image
        context=d.cwd.resolve(),
    )
    refresh = dataclasses.replace(refresh, builds=_jobs(refresh, request, config, d))
    builder = ImageBuilder(request=request, config=config, d=d, runner=runner, dry_run=dry_run)
    if dry_run:
        reg.ensure_available()
        builder.build(refresh.builds)
        for ref in candidate_refs(refresh):
            builder.push(ref)
        common.err_console().print(
            "# then: `hangar image verify` each candidate and, only if all pass, "
            f"`hangar image release {params.version} --source '{params.source}'`"
        )
        return
    engine = d.engine(runner)
    console = common.err_console()
    result = refresh_base(
        refresh,
        builder=builder,
        verify=lambda ref: verify_image(engine, ref),
        registry=reg,
        on_step=lambda step: console.print(f"[bold]refresh:[/] {step}"),
    )
    render_refresh(result, output)
    if result.release is None:
        failed = "; ".join(
            f"{img}: {', '.join(names)}" for img, names in result.failed_checks.items()
        )
        raise StepFailed(
            f"the rebuilt image failed its checks, no tag moved ({failed})",
            hint="run `hangar image verify CANDIDATE` for details",
        )
    _raise_for(result.release)


def _jobs(
    refresh: RefreshParams, request: BuildRequest, config: Config, d: Deps
) -> tuple[BuildJob, ...]:
    """One build per Python version, tagged with its candidate reference."""
    stamp = d.stamp(None)
    jobs: list[BuildJob] = []
    for python, ref in zip(refresh.release.pythons, candidate_refs(refresh), strict=True):
        jobs += build_plan.plan(
            dataclasses.replace(request, pythons=(python,), tags=(ref,)),
            config=config,
            stamp=stamp,
            host_platform=d.host_platform,
            log_dir=d.cwd / config["log_dir"],
        )
    return tuple(jobs)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImageBuilder:
    """Builds refresh candidates with `hangar image build`'s machinery, then pushes them."""

    request: BuildRequest
    config: Config
    d: Deps
    runner: Runner
    dry_run: bool = False

    def build(self, jobs: Sequence[BuildJob]) -> None:
        extras = image_build.extras_of(self.request, self.request.context)
        report = image_build.run_build_jobs(
            jobs,
            request=self.request,
            config=self.config,
            d=self.d,
            dry_run=self.dry_run,
            parallelism=len(jobs),
            extras=extras,
        )
        if report is not None:
            report.raise_for_failure()

    def push(self, ref: str) -> None:
        what = f"docker push {ref}"
        run_checked(self.runner, cmd("docker", "push", ref), error=StepFailed, what=what)


def _raise_for(result: ReleaseResult) -> None:
    bad = [c for c in result.checks if not c.ok]
    if bad:
        raise StepFailed(
            f"{len(bad)} tag(s) do not resolve to the digest they should: "
            + ", ".join(c.tag for c in bad),
            hint="re-run the release; if it persists, check nothing else pushes these tags",
        )


# -- rendering ---------------------------------------------------------------------------------


def _short(digest: str | None) -> str:
    return digest[:19] if digest else "-"


def plan_json(plan: ReleasePlan) -> dict[str, object]:
    return {
        "version": plan.params.version,
        "repository": plan.params.repository,
        "slim": plan.params.slim,
        "latest": {"moves": plan.latest.move, "reason": plan.latest.reason},
        "tags": [
            {**dataclasses.asdict(t), "kind": str(t.kind), "action": str(t.action)}
            for t in plan.tags
        ],
    }


def render_plan(plan: ReleasePlan, output: str) -> None:
    if output == "json":
        common.print_json({"dry_run": True, "plan": plan_json(plan)})
        return
    table = Table(title=f"release plan: {plan.params.repository} {plan.params.version} (dry run)")
    for column in ("tag", "from", "digest", "change"):
        table.add_column(column)
    for t in plan.tags:
        change = (
            "unchanged"
            if t.current == t.digest
            else "new"
            if t.current is None
            else f"moves from {_short(t.current)}"
        )
        table.add_row(t.tag, t.source, _short(t.digest), change)
    common.out_console().print(table)
    common.err_console().print(
        f"latest: {'moves' if plan.latest.move else 'stays'} ({plan.latest.reason})"
    )


def render_result(result: ReleaseResult, output: str) -> None:
    if output == "json":
        common.print_json(result_json(result))
        return
    table = Table(title=f"released {result.plan.params.repository} {result.plan.params.version}")
    for column in ("tag", "digest", "check"):
        table.add_column(column)
    for c in result.checks:
        verdict = "[green]ok[/]" if c.ok else f"[red]points at {_short(c.actual)}[/]"
        table.add_row(c.tag, _short(c.expected), verdict)
    common.out_console().print(table)
    latest = result.plan.latest
    moved = "moved" if latest.move else "not moved"
    common.err_console().print(f"latest: {moved} ({latest.reason})")


def result_json(result: ReleaseResult) -> dict[str, object]:
    return {
        "ok": result.ok,
        "plan": plan_json(result.plan),
        "checks": [{**dataclasses.asdict(c), "ok": c.ok} for c in result.checks],
    }


def render_refresh(result: RefreshResult, output: str) -> None:
    if output == "json":
        common.print_json(
            {
                "ok": result.ok,
                "candidates": list(result.candidates),
                "failed_checks": {k: list(v) for k, v in result.failed_checks.items()},
                "release": result_json(result.release) if result.release else None,
            }
        )
        return
    for report in result.reports:
        state = "[green]passed[/]" if report.passed else "[red]FAILED[/]"
        common.err_console().print(f"checks of {report.image}: {state}")
    if result.release is not None:
        render_result(result.release, output)
