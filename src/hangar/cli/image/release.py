"""`hangar image release VERSION`: tag the per-Python images of a version as released
(`X.Y.Z-pythonA.B`, `X.Y.Z`, `latest-pythonA.B`, `latest`, or their `slim-` variants), check every
tag's digest; `--refresh-base` rebuilds the version on the current base image first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import rich_click as click

from hangar.app import App
from hangar.cli import render
from hangar.cli.builds import prepare, run_jobs
from hangar.cli.options import current_app, output_option
from hangar.config import Config
from hangar.errors import BadInput, StepFailed
from hangar.image.plan import resolve_pythons
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
from hangar.image.request import Build, BuildJob, BuildRequest
from hangar.image.verify import verify_image
from hangar.ports import Registry
from hangar.values import parse_ref, validate_airflow_version


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
@output_option
def command(
    *,
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
    app = current_app()
    config = app.config({"registry": registry, "image_name": image_name})
    version = validate_airflow_version(version or config["airflow_version"])
    params = ReleaseParams(
        repository=config.image_repository(),
        version=version,
        pythons=resolve_pythons(pythons or ("all",), config),
        default_python=config["default_python"],
        slim=slim,
        source=source or (CANDIDATE_SOURCE if refresh_base else DEFAULT_SOURCE),
        skip_latest=skip_latest,
    )
    host = parse_ref(params.repository).registry
    if not host:
        raise BadInput(
            f"{params.repository} names no registry to release to",
            hint="set `registry` in hangar.toml or pass --registry",
        )
    reg = app.registry(host)
    if refresh_base:
        _refresh(app, params, config, reg, dry_run=dry_run, output=output)
        return
    plan = plan_release(params, reg)
    if dry_run:
        render_plan(plan, output)
        return
    result = execute_release(plan, reg)
    render_result(result, output)
    _raise_for(result)


def _refresh(
    app: App, params: ReleaseParams, config: Config, reg: Registry, *, dry_run: bool, output: str
) -> None:
    request = BuildRequest(
        airflow_version=params.version,
        extras=() if params.slim else None,
        no_cache=True,
        pull=True,  # the point of a security refresh: the current base image
        context=app.cwd.resolve(),
    )
    refresh = RefreshParams(release=params, builds=(), candidate=params.source)
    jobs: list[BuildJob] = []
    build: Build | None = None
    for python, ref in zip(params.pythons, candidate_refs(refresh), strict=True):
        one = dataclasses.replace(request, pythons=(python,), tags=(ref,))
        build, planned = prepare(app, config, one)
        jobs += planned
    if build is None:
        raise BadInput("no Python version to release", hint="pass --python")
    refresh = dataclasses.replace(refresh, builds=tuple(jobs))
    builder = ImageBuilder(
        app=app.dry(dry_run=dry_run), resolved=build, config=config, dry_run=dry_run
    )
    if dry_run:
        reg.ensure_available()
        builder.build(refresh.builds)
        for ref in candidate_refs(refresh):
            builder.push(ref)
        render.note(
            "# then: `hangar image verify` each candidate and, only if all pass, "
            f"`hangar image release {params.version} --source '{params.source}'`"
        )
        return
    engine = app.engine()
    result = refresh_base(
        refresh,
        builder=builder,
        verify=lambda ref: verify_image(engine, ref),
        registry=reg,
        on_step=lambda step: render.note(f"refresh: {step}"),
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


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImageBuilder:
    """Builds refresh candidates with `hangar image build`'s machinery, then pushes them."""

    app: App
    resolved: Build
    config: Config
    dry_run: bool = False

    def build(self, jobs: Sequence[BuildJob]) -> None:
        report = run_jobs(
            self.app,
            jobs,
            build=self.resolved,
            config=self.config,
            parallelism=len(jobs),
            dry_run=self.dry_run,
        )
        if report is not None:
            report.raise_for_failure()

    def push(self, ref: str) -> None:
        self.app.engine().push(ref)


def _raise_for(result: ReleaseResult) -> None:
    bad = [c for c in result.checks if not c.ok]
    if bad:
        raise StepFailed(
            f"{len(bad)} tag(s) do not resolve to the digest they should: "
            + ", ".join(c.tag for c in bad),
            hint="re-run the release; if it persists, check nothing else pushes these tags",
        )


# -- rendering ---------------------------------------------------------------------------------


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


def _change(current: str | None, digest: str) -> str:
    if current == digest:
        return "unchanged"
    return "new" if current is None else f"moves from {current}"


def render_plan(plan: ReleasePlan, output: str) -> None:
    if output == "json":
        render.print_json({"dry_run": True, "plan": plan_json(plan)})
        return
    render.table(
        f"release plan: {plan.params.repository} {plan.params.version} (dry run)",
        ("tag", "from", "digest", "change"),
        ((t.tag, t.source, t.digest, _change(t.current, t.digest)) for t in plan.tags),
    )
    render.note(f"latest: {'moves' if plan.latest.move else 'stays'} ({plan.latest.reason})")


def render_result(result: ReleaseResult, output: str) -> None:
    if output == "json":
        render.print_json(result_json(result))
        return
    render.table(
        f"released {result.plan.params.repository} {result.plan.params.version}",
        ("tag", "digest", "check"),
        (
            (c.tag, c.expected, render.ok_or_failed(ok=c.ok, failed=f"points at {c.actual or '-'}"))
            for c in result.checks
        ),
    )
    latest = result.plan.latest
    render.note(f"latest: {'moved' if latest.move else 'not moved'} ({latest.reason})")


def result_json(result: ReleaseResult) -> dict[str, object]:
    return {
        "ok": result.ok,
        "plan": plan_json(result.plan),
        "checks": [{**dataclasses.asdict(c), "ok": c.ok} for c in result.checks],
    }


def render_refresh(result: RefreshResult, output: str) -> None:
    if output == "json":
        render.print_json(
            {
                "ok": result.ok,
                "candidates": list(result.candidates),
                "failed_checks": {k: list(v) for k, v in result.failed_checks.items()},
                "release": result_json(result.release) if result.release else None,
            }
        )
        return
    for report in result.reports:
        render.note(f"checks of {report.image}: {'passed' if report.passed else 'FAILED'}")
    if result.release is not None:
        render_result(result.release, output)
