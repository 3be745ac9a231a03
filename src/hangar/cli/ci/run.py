"""`hangar ci run`: run a CI flow locally, stage by stage, in parallel where the flow allows,
against the configured (local) registry and a local git remote for constraints; a live line
per job, a log per job under .hangar/logs/ci/, and a summary of every stage.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import rich_click as click
from rich.markup import escape
from rich.progress import TaskID

from hangar.ci.flows import EVENTS, flow_for
from hangar.ci.runner import FAILED, OK, FlowRun, Job, JobOutcome, LocalRun, run_flow
from hangar.cli import render
from hangar.cli.options import current_app, dry_run_option, output_option, python_option
from hangar.errors import GitError


def hangar_argv() -> tuple[str, ...]:
    """How to run this very hangar: its console script, or the interpreter with the CLI."""
    script = Path(sys.executable).with_name("hangar")
    if script.is_file():
        return (str(script),)
    found = shutil.which("hangar")
    if found:
        return (found,)
    return (sys.executable, "-c", "from hangar.cli.main import main; main()")


@click.command(name="run")
@click.option("--event", type=click.Choice(EVENTS), required=True, help="Which flow to run.")
@python_option("Python versions (instead of decided).")
@click.option("--extras", help="Airflow extras of every image (e.g. celery,postgres).")
@click.option("--base", default="HEAD~1", show_default=True, help="Base commit for changed files.")
@click.option("--upgrade-cutoff", help="--exclude-newer of upgraded constraints (default: now).")
@click.option(
    "--constraints-repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="A clone whose remote holds the constraints branch.",
)
@click.option("--constraints-remote", default="origin", show_default=True)
@click.option("--constraints-branch", default="constraints-main", show_default=True)
@click.option(
    "--dags",
    default="tests/image/dags",
    show_default=True,
    help="DAG folder (in the repository) the CI image must import.",
)
@click.option("--wait-timeout", type=int, default=1800, show_default=True, help="Seconds.")
@click.option("--parallelism", type=click.IntRange(1, 16), default=4, show_default=True)
@dry_run_option
@output_option
def run(
    *,
    event: str,
    pythons: tuple[str, ...],
    extras: str | None,
    base: str,
    upgrade_cutoff: str | None,
    constraints_repo: Path,
    constraints_remote: str,
    constraints_branch: str,
    dags: str,
    wait_timeout: int,
    parallelism: int,
    dry_run: bool,
    output: str,
) -> None:
    """Run the flow of EVENT locally: pull_request (from this repository),
    pull_request_fork (from a fork: images built into archives, pushed after the builds),
    push (canary), schedule or refresh. Every step is a `hangar` command, as on GitHub.
    """
    flow = flow_for(event)
    app = current_app()
    config = app.config()
    cwd = app.cwd
    sha = app.git(cwd).head_commit()
    if not sha:
        raise GitError(f"{cwd} is not a git work tree with a commit", hint="run it in the repo")
    now = app.utc_now()
    cutoff = upgrade_cutoff or now.strftime("%Y-%m-%dT%H:%M:%SZ")
    selective = ["--upgrade-cutoff", cutoff]
    for python in pythons:
        selective += ["--python", python]
    stamp = now.strftime("%Y%m%dT%H%M%S")
    log_dir = cwd / config["log_dir"] / "ci" / f"{flow.name}-{stamp}"
    world = app.dry(dry_run=dry_run)
    local = LocalRun(
        runner=world.runner,
        files=world.files(),
        hangar=hangar_argv(),
        cwd=cwd,
        log_dir=log_dir,
        values={
            "sha": sha,
            "base": base,
            "event": event,
            "image": config.image_repository(),
            "context": ".",
            # a fork's images, handed over as OCI archives from the builds to the push
            "archives": str(log_dir / "archives"),
            "wait_timeout": str(wait_timeout),
            "dags": dags,
            "constraints_repo": str(constraints_repo.resolve()),
            "constraints_remote": constraints_remote,
            "constraints_branch": constraints_branch,
        },
        lists={"extras": ["--extras", extras] if extras else [], "selective_options": selective},
        parallelism=parallelism,
    )
    render.note(f"{flow.title} at {sha[:12]}; logs in {log_dir}")
    with render.progress() as progress:
        tasks: dict[str, TaskID] = {}

        def task(job: Job) -> TaskID:
            if job.key not in tasks:
                tasks[job.key] = progress.add_task(f"[bold]{job.key}[/] starting", total=1)
            return tasks[job.key]

        def on_line(job: Job, line: str) -> None:
            progress.update(task(job), description=f"[bold]{job.key}[/] {escape(line)}")

        def on_done(outcome: JobOutcome) -> None:
            colour = {OK: "green", FAILED: "red"}.get(outcome.status, "yellow")
            state = f"[{colour}]{outcome.status}[/]"
            if outcome.failed_step:
                state += f" at {escape(outcome.failed_step)}: {escape(outcome.detail)}"
            progress.update(
                task(outcome.job), description=f"[bold]{outcome.job.key}[/] {state}", completed=1
            )

        result = run_flow(flow, local, on_line=on_line, on_done=on_done)
    show(result, output, cwd)
    result.raise_for_failure()


def show(result: FlowRun, output: str, cwd: Path) -> None:
    def shown(path: Path | None) -> str:
        if path is None:
            return ""
        return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)

    if output == "json":
        render.print_json(
            {
                "flow": result.flow.name,
                "ok": result.ok,
                "jobs": [
                    {
                        "stage": o.job.stage.id,
                        "workflow": o.job.stage.workflow,
                        "python": o.job.python,
                        "status": o.status,
                        "seconds": round(o.seconds, 1),
                        "steps_run": list(o.steps_run),
                        "steps_skipped": list(o.steps_skipped),
                        "failed_step": o.failed_step,
                        "detail": o.detail,
                        "log": shown(o.log),
                    }
                    for o in result.outcomes
                ],
            }
        )
        return

    def status(o: JobOutcome) -> str:
        colour = {OK: "green", FAILED: "red"}.get(o.status, "yellow")
        text = f"[{colour}]{o.status}[/]"
        if o.failed_step or o.detail:
            text += f" {escape(o.failed_step or '')} {escape(o.detail)}"
        return text

    render.table(
        f"hangar ci run: {result.flow.title}",
        ("stage", "python", "result", "steps run", "time", "log"),
        (
            (
                o.job.stage.id,
                o.job.python or "",
                status(o),
                f"{len(o.steps_run)} of {len(o.steps_run) + len(o.steps_skipped)}",
                f"{round(o.seconds, 1)}s",
                o.log.name if o.log else "",
            )
            for o in result.outcomes
        ),
    )
    logs = sorted({shown(o.log.parent) for o in result.outcomes if o.log})
    if logs:
        render.note(f"logs in {', '.join(logs)}")
