"""`hangar image build`: build the production image for one or more Python versions, in
parallel, with a live line per build, a log file per build and a summary table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import rich_click as click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from hangar.cli import render as common
from hangar.cli.options import (
    Deps,
    build_options,
    deps,
    read_dockerfile_args,
    request_from,
    split,
)
from hangar.config import Config
from hangar.image.build import BuildReport, build_images, check_base_images, provide_constraints
from hangar.image.jobs import JobResult
from hangar.image.plan import BuildJob, BuildRequest, plan, secrets_of
from hangar.infra.build_inputs import open_log
from hangar.ports import Runner

_CACHE_HELP = (
    "Registry cache per Python version and platform (<repo>:cache-python<py>-<platform>); "
    "REPO defaults to the image repository."
)


@click.command(name="build")
@build_options
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="PATTERN",
    help="Image tag (repeatable); {python} and {airflow_version} are filled in. "
    "Default: <registry>/<image_name>:<airflow_version>-python<py>.",
)
@click.option("--push", is_flag=True, help="Push the image(s) to the registry.")
@click.option(
    "--cache-from",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[REPO]",
    help="Use the registry cache. " + _CACHE_HELP,
)
@click.option(
    "--cache-to",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[REPO]",
    help="Export the registry cache (mode=max). " + _CACHE_HELP,
)
@click.option(
    "--cache",
    type=click.Choice(["registry", "none"]),
    default="none",
    show_default=True,
    help="`registry`: both --cache-from and --cache-to the default cache.",
)
@click.option("--no-cache", is_flag=True, help="Build every step again (buildx --no-cache).")
@click.option(
    "--target",
    type=click.Choice(["main", "ci"]),
    default="main",
    show_default=True,
    help="Dockerfile target: main (the production image) or ci (main + pytest + check-dags).",
)
@click.option(
    "--compression",
    type=click.Choice(["auto", "gzip", "zstd"]),
    default="auto",
    show_default=True,
    help="Layer compression. auto: zstd for images loaded into the engine (several times "
    "faster to export), gzip for pushed images (what every client reads).",
)
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def command(**options: Any) -> None:
    """Build the production image, one per Python version, in parallel.

    Examples: `hangar image build --python 3.11 --extras celery,postgres`;
    `hangar image build --python all --push --cache registry`;
    `hangar image build --dry-run` prints the commands and runs nothing.
    """
    d = deps()
    config = d.config()
    context = (options["context"] or d.cwd).resolve()
    request = request_from(options, context=context, known_args=read_dockerfile_args(context))
    cache = options["cache"] == "registry"
    request = replace(
        request,
        tags=tuple(options["tags"]),
        push=options["push"],
        cache_from="" if cache and options["cache_from"] is None else options["cache_from"],
        cache_to="" if cache and options["cache_to"] is None else options["cache_to"],
        no_cache=options["no_cache"],
        compression=options["compression"],
        target=options["target"],
    )
    plan_and_run(plan, request, config=config, d=d, options=options, title="hangar image build")


# build_plan.plan or build_plan.cache_jobs
Planner = Callable[..., tuple[BuildJob, ...]]


def plan_and_run(
    planner: Planner,
    request: BuildRequest,
    *,
    config: Config,
    d: Deps,
    options: Mapping[str, Any],
    title: str,
) -> None:
    """Plan the jobs, run them (or print them with --dry-run), render the summary and fail
    when a job failed; shared by `image build` and `cache refresh`."""
    jobs = planner(
        request,
        config=config,
        stamp=d.stamp(options["build_id"]),
        host_platform=d.host_platform,
        log_dir=d.cwd / config["log_dir"],
    )
    report = run_build_jobs(
        jobs,
        request=request,
        config=config,
        d=d,
        dry_run=options["dry_run"],
        parallelism=options["parallelism"],
        extras=extras_of(request, request.context),
    )
    if report is not None:
        render(report, options["output"], title=title, cwd=d.cwd)
        report.raise_for_failure()


def extras_of(request: BuildRequest, context: Path) -> tuple[str, ...]:
    """The extras actually installed (for the constraints that go with them)."""
    base = request.extras
    if base is None:
        base = split((read_dockerfile_args(context).get("AIRFLOW_EXTRAS", ""),))
    return tuple(dict.fromkeys((*base, *request.additional_extras)))


def run_build_jobs(
    jobs: Sequence[BuildJob],
    *,
    request: BuildRequest,
    config: Config,
    d: Deps,
    dry_run: bool,
    parallelism: int,
    extras: tuple[str, ...],
) -> BuildReport | None:
    """Check, prepare and run build jobs (shared with `hangar cache refresh`). Dry run: print
    the commands and return None."""
    console = common.err_console()
    runner: Runner = d.effective_runner(dry_run)
    _secrets, secret_env = secrets_of(request, config)
    engine = d.engine(runner, secret_env)
    airflow_version = request.airflow_version or config["airflow_version"]
    if dry_run:
        for name in sorted(secret_env):
            console.print(
                f"# export {name}=... first: it carries a secret, not shown here", soft_wrap=True
            )
        for job in jobs:
            if job.constraints_file:
                console.print(
                    f"# would provide docker-context-files/{job.constraints_file} "
                    "(hangar constraints, cached)",
                    soft_wrap=True,
                )
            engine.build(job.args())
        return None
    engine.ensure_available()
    notes = check_base_images(jobs, d.probe(runner))
    notes += provide_constraints(
        jobs,
        d.constraints(
            runner,
            d.cwd / config["cache_dir"] / "constraints",
            request.index_url or config["index_url"] or None,
        ),
        context_files=request.context / "docker-context-files",
        airflow_version=airflow_version,
        extras=extras,
    )
    for note in notes:
        console.print(f"[dim]{note}[/]")
    with _progress(console) as progress:
        tasks: dict[str, TaskID] = {
            job.name: progress.add_task(f"[bold]{job.name}[/] waiting", total=1) for job in jobs
        }

        def on_line(job: BuildJob, line: str) -> None:
            progress.update(tasks[job.name], description=f"[bold]{job.name}[/] {_escape(line)}")

        def on_done(result: JobResult) -> None:
            state = (
                "[green]done[/]"
                if result.ok
                else f"[red]FAILED[/] {_escape(result.failing_step or '')}"
            )
            progress.update(
                tasks[result.job.name],
                description=f"[bold]{result.job.name}[/] {state}",
                completed=1,
            )

        report = build_images(
            jobs,
            engine=engine,
            parallelism=parallelism,
            open_log=open_log,
            on_line=on_line,
            on_done=on_done,
            notes=notes,
        )
    for result in report.results:
        if not result.ok:
            console.print(
                f"[red]{result.job.name} failed[/] at {result.failing_step or '?'}; "
                f"last lines of {result.job.log_path}:"
            )
            for line in result.tail:
                console.print(f"  {_escape(line)}", highlight=False)
    return report


def _shown_path(path: Path, cwd: Path | None) -> str:
    if cwd is not None and path.is_relative_to(cwd):
        return str(path.relative_to(cwd))
    return str(path)


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def render(report: BuildReport, output: str, *, title: str, cwd: Path | None = None) -> None:
    rows = [
        {
            "name": r.job.name,
            "python": r.job.python,
            "tags": list(r.job.params.tags),
            "cache_to": r.job.params.cache_to,
            "result": "ok" if r.ok else "failed",
            "failing_step": r.failing_step,
            "seconds": round(r.seconds, 1),
            "log": _shown_path(r.job.log_path, cwd),
        }
        for r in report.results
    ]
    if output == "json":
        common.print_json({"ok": report.ok, "builds": rows})
        return
    table = Table(title=title)
    table.add_column("python", no_wrap=True)
    table.add_column("tag", overflow="fold")
    table.add_column("result")
    table.add_column("time", no_wrap=True)
    table.add_column("log", overflow="fold")
    for row in rows:
        tag = ", ".join(row["tags"]) or f"(cache {row['cache_to']})"  # type: ignore[arg-type]
        result = (
            "[green]ok[/]"
            if row["result"] == "ok"
            else f"[red]FAILED[/] {row['failing_step'] or ''}"
        )
        table.add_row(str(row["name"]), tag, result, f"{row['seconds']}s", str(row["log"]))
    common.out_console().print(table)
