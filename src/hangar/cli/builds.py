"""Running planned builds from a command: a dry run prints them; a real run shows a live line
per job, then the last lines of any failed job's log, then a summary (shared by `image build`,
`cache refresh`, `ci build-image` and `image refresh-base`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rich.markup import escape
from rich.progress import TaskID

from hangar.app import App
from hangar.cli import render
from hangar.cli.options import BuildOptions, log_dir, read_dockerfile_defaults, stamp
from hangar.config import Config
from hangar.constraints.cache import release_extras, release_requires_python
from hangar.constraints.resolve import DEFAULT_INDEX_URL
from hangar.errors import StepFailed
from hangar.image.building.build import BuildReport, BuildWorld, print_builds, run_builds
from hangar.image.building.extras import check_extras, check_providers, provider_names
from hangar.image.building.jobs import JobResult
from hangar.image.building.plan import cache_jobs, plan, resolve
from hangar.image.building.platforms import ensure_cache_exportable, ensure_runnable
from hangar.image.building.request import Build, BuildJob, BuildRequest, Stamp
from hangar.image.building.tags import bare_tag_python
from hangar.values import SUPPORTED_PYTHONS, validate_airflow_version, without_credentials

# image.building.plan's plan or cache_jobs
Planner = Callable[..., tuple[BuildJob, ...]]


def prepare(
    app: App,
    config: Config,
    request: BuildRequest,
    *,
    build_id: str | None = None,
    planner: Planner = plan,
) -> tuple[Build, tuple[BuildJob, ...]]:
    """Resolve the request's defaults once and plan its jobs."""
    resolved = resolve(
        request,
        config=config,
        dockerfile_defaults=read_dockerfile_defaults(request.context, request.dockerfile),
        host_platform=app.host_platform,
        requires_python=requires_python(app, config, request),
    )
    check_what_airflow_provides(app, config, resolved)
    run_stamp: Stamp = stamp(app, build_id, request.source_date_epoch)
    return resolved, planner(resolved, config=config, stamp=run_stamp, log_dir=log_dir(app, config))


def requires_python(app: App, config: Config, request: BuildRequest) -> str:
    """The Requires-Python of the Airflow release a request installs from the index; empty
    when Airflow comes from docker-context-files.
    """
    if request.installation_method not in (None, "apache-airflow"):
        return ""
    version = validate_airflow_version(request.airflow_version or config["airflow_version"])
    return release_requirement(app, config, version, request.index_url)


def check_what_airflow_provides(app: App, config: Config, build: Build) -> None:
    """The extras and provider names of a build that installs Airflow from the index, checked
    against that release (BadInput, exit 5, naming the closest known ones), in a dry run too.
    Nothing to check against when Airflow comes from docker-context-files or the index cannot
    be read (the build then finds out itself).
    """
    request = build.request
    if request.installation_method not in (None, "apache-airflow"):
        return
    url = index_url(config, request.index_url)
    index = app.index(url)
    cache = app.cwd / config["cache_dir"]
    try:
        provided = release_extras(index, build.airflow_version, cache, keep=not app.dry_run)
        if provided is None:
            return
        check_extras(build.extras, provided, airflow_version=build.airflow_version)
        check_providers(
            provider_names(request.additional_python_deps),
            exists=index.has_project,
            extras=provided,
            index=without_credentials(url),
        )
    except StepFailed:
        return


def index_url(config: Config, given: str | None = None) -> str:
    """The index a build installs from: `given`, else the config's, else PyPI."""
    return (given if given is not None else config["index_url"]) or DEFAULT_INDEX_URL


def release_requirement(
    app: App, config: Config, version: str, given: str | None = None, *, keep: bool = True
) -> str:
    """apache-airflow `version`'s Requires-Python from the index (`given`, else the
    config's, else PyPI), cached in the cache folder (not under --dry-run, nor without `keep`);
    empty when the index cannot be read: a build then finds out itself.
    """
    try:
        return release_requires_python(
            app.index(index_url(config, given)),
            version,
            app.cwd / config["cache_dir"],
            keep=keep and not app.dry_run,
        )
    except StepFailed:
        return ""


def release_bare_python(app: App, config: Config, version: str) -> str:
    """The Python of `version`'s un-suffixed tags: the `bare_tag_python` setting, else what
    Airflow's release process uses (image.building.tags.bare_tag_python).
    """
    setting = config["bare_tag_python"]
    return bare_tag_python(
        version,
        setting=setting,
        requires_python="" if setting else release_requirement(app, config, version),
        known=SUPPORTED_PYTHONS,
    )


def build_world(app: App, build: Build, config: Config) -> BuildWorld:
    index_url = build.index_url or DEFAULT_INDEX_URL
    return BuildWorld(
        engine=app.engine(build.secret_env),
        probe=app.probe(),
        constraints=app.constraints(
            cache_dir=app.cwd / config["cache_dir"] / "constraints", index_url=index_url
        ),
        open_log=app.files().open_log,
    )


def run_jobs(
    app: App,
    jobs: Sequence[BuildJob],
    *,
    build: Build,
    config: Config,
    parallelism: int,
    dry_run: bool,
) -> BuildReport | None:
    """Run the jobs (None after a dry run, which only prints them)."""
    if dry_run:
        engine = app.dry().engine(build.secret_env)
        print_builds(jobs, build=build, engine=engine, on_note=render.note)
        return None
    with render.progress() as progress:
        tasks: dict[str, TaskID] = {
            job.name: progress.add_task(f"[bold]{job.name}[/] waiting", total=1) for job in jobs
        }

        def on_line(job: BuildJob, line: str) -> None:
            progress.update(tasks[job.name], description=f"[bold]{job.name}[/] {escape(line)}")

        def on_done(result: JobResult) -> None:
            state = render.ok_or_failed(
                ok=result.ok, failed=f"FAILED {escape(result.shown_failure)}"
            )
            progress.update(
                tasks[result.job.name],
                description=f"[bold]{result.job.name}[/] {state}",
                completed=1,
            )

        report = run_builds(
            jobs,
            build=build,
            world=build_world(app, build, config),
            parallelism=parallelism,
            on_note=lambda text: render.note(text, dim=True),
            on_line=on_line,
            on_done=on_done,
        )
    for result in report.results:
        if not result.ok:
            render.note(
                f"{result.job.name} failed: {result.shown_failure}; "
                f"last lines of {result.job.log_path}:"
            )
            for line in result.tail:
                render.note(f"  {line}")
    return report


def show_report(report: BuildReport, output: str, *, title: str, cwd: Path) -> None:
    rows = [
        {
            "name": r.job.name,
            "python": r.job.python,
            "tags": list(r.job.params.tags),
            "cache_to": r.job.params.cache_to,
            "result": "ok" if r.ok else "failed",
            "failing_step": r.failing_step,
            "error": r.error,
            "seconds": round(r.seconds, 1),
            "log": _shown_path(r.job.log_path, cwd),
        }
        for r in report.results
    ]
    if output == "json":
        render.print_json({"ok": report.ok, "builds": rows})
        return
    render.table(
        title,
        ("python", "tag", "result", "time", "log"),
        (
            (
                r.job.name,
                ", ".join(r.job.params.tags) or f"(cache {r.job.params.cache_to})",
                render.ok_or_failed(ok=r.ok, failed=f"FAILED {r.shown_failure}"),
                f"{round(r.seconds, 1)}s",
                _shown_path(r.job.log_path, cwd),
            )
            for r in report.results
        ),
    )


def _shown_path(path: Path, cwd: Path) -> str:
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


def build_and_show(
    app: App,
    config: Config,
    request: BuildRequest,
    *,
    options: BuildOptions,
    output: str,
    title: str,
    planner: Planner = plan,
    check: Callable[[Build], None] | None = None,
) -> None:
    """Plan the request, check that the builder runs its platforms and `check` the plan (not
    in a dry run), run its jobs, show the summary and fail (one
    line, exit 1) if a job failed: the body of every command that builds images.
    """
    resolved, jobs = prepare(app, config, request, build_id=options.build_id, planner=planner)
    builder = request.builder or request.docker_context
    if not options.dry_run and (builder or resolved.platforms != (app.host_platform,)):
        app.engine().ensure_available()
        ensure_runnable(
            app.probe(), resolved.platforms, host_platform=app.host_platform, builder=builder
        )
    if request.cache_to is not None or planner is cache_jobs:
        ensure_cache_exportable(
            resolved.platforms, host_platform=app.host_platform, builder=builder
        )
    if check is not None and not options.dry_run:
        check(resolved)
    report = run_jobs(
        app,
        jobs,
        build=resolved,
        config=config,
        parallelism=options.parallelism,
        dry_run=options.dry_run,
    )
    if report is not None:
        show_report(report, output, title=title, cwd=app.cwd)
        report.raise_for_failure()
