"""`hangar quickstart up|down|status`: the quick-start deployment (quickstart/) run with
docker compose, waited on until every service is healthy, with the URL and login printed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import rich_click as click
from rich.table import Table

from hangar.cli import render as common
from hangar.cli.options import current_app
from hangar.errors import StepFailed
from hangar.quickstart.deployment import Deployment, Project, ServiceState, judge, project_files

F = TypeVar("F", bound=Callable[..., object])


def project_options(func: F) -> F:
    """Where the compose project is and how to run it, shared by every subcommand."""
    for option in reversed(
        (
            click.option(
                "--dir",
                "directory",
                type=click.Path(file_okay=False, exists=True, path_type=Path),
                default=Path("quickstart"),
                show_default=True,
                help="Folder holding docker-compose.yaml (and dags/, logs/, config/, plugins/).",
            ),
            click.option(
                "--hostnet",
                is_flag=True,
                help="Add docker-compose.hostnet.yaml: host networking, Postgres and Redis on "
                "the host's loopback (machines without bridge networks or Docker Hub).",
            ),
            click.option(
                "-f",
                "--file",
                "files",
                multiple=True,
                type=click.Path(dir_okay=False, path_type=Path),
                help="Another compose override file (repeatable).",
            ),
            click.option("-p", "--project-name", default=None, help="Compose project name."),
            click.option(
                "--image",
                default=None,
                help="Image to run (sets AIRFLOW_IMAGE_NAME; default from .env).",
            ),
        )
    ):
        func = option(func)
    return func


def make_deployment(
    directory: Path,
    hostnet: bool,
    files: tuple[Path, ...],
    project_name: str | None,
    image: str | None,
) -> Deployment:
    directory = directory.resolve()
    project = Project(
        directory=directory,
        files=project_files(directory, hostnet=hostnet, extra=files),
        name=project_name,
        env={"AIRFLOW_IMAGE_NAME": image} if image else {},
    )
    return Deployment(project=project, runner=current_app().runner)


def states_table(states: tuple[ServiceState, ...]) -> Table:
    table = Table("service", "state", box=None, pad_edge=False)
    for state in states:
        table.add_row(state.service, state.summary)
    return table


@click.group(name="quickstart")
def group() -> None:
    """Run a whole Airflow deployment from the image with docker compose (quickstart/)."""


@group.command()
@project_options
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600,
    show_default=True,
    help="Seconds to wait for every service to be healthy.",
)
def up(
    directory: Path,
    hostnet: bool,
    files: tuple[Path, ...],
    project_name: str | None,
    image: str | None,
    timeout: float,
) -> None:
    """Start the deployment and wait until every service is healthy; print the URL and login."""
    deployment = make_deployment(directory, hostnet, files, project_name, image)
    err = common.err_console()
    where = deployment.project.directory
    with err.status(f"starting the quick start in {where} (at most {timeout:.0f} s)"):
        result = deployment.up(timeout=timeout, uid=os.getuid())
    if result.wrote_env:
        err.print(f"added {result.wrote_env} to {deployment.project.directory / '.env'}")
    err.print(states_table(result.states))
    err.print(f"all services healthy after {result.seconds:.0f} s")
    click.echo(f"url: {result.login.url}")
    click.echo(f"username: {result.login.username}")
    click.echo(f"password: {result.login.password}")


@group.command()
@project_options
@click.option(
    "--volumes", is_flag=True, help="Also delete the database volume (all Airflow state)."
)
def down(
    directory: Path,
    hostnet: bool,
    files: tuple[Path, ...],
    project_name: str | None,
    image: str | None,
    volumes: bool,
) -> None:
    """Stop and remove the deployment's containers (and with --volumes its database)."""
    deployment = make_deployment(directory, hostnet, files, project_name, image)
    deployment.ensure_compose()
    with common.err_console().status("stopping the quick start"):
        deployment.down(volumes=volumes)
    common.err_console().print("the quick start is down")


@group.command()
@project_options
def status(
    directory: Path,
    hostnet: bool,
    files: tuple[Path, ...],
    project_name: str | None,
    image: str | None,
) -> None:
    """Show each service's state and health; exit 1 unless every service is healthy."""
    deployment = make_deployment(directory, hostnet, files, project_name, image)
    deployment.ensure_compose()
    states = deployment.states()
    common.out_console().print(states_table(states))
    verdict = judge(states)
    if not verdict.ready:
        problems = [*verdict.failed, *(f"{name}: not healthy" for name in verdict.waiting)]
        raise StepFailed(
            f"the quick start is not up: {'; '.join(problems)}",
            hint="`hangar quickstart up` starts it; `docker compose logs SERVICE` shows why",
        )
