"""`hangar quickstart up|down|status`: the quick-start deployment (quickstart/) run with
docker compose, waited on until every service is healthy, with the URL and login printed.

By default `up` runs the image `make image` / `hangar image build` made (the default tag of
the config) and uses host networking when the config says `quickstart_network = "host"`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import rich_click as click
from rich.table import Table

from hangar.app import App
from hangar.cli import render
from hangar.cli.options import current_app
from hangar.errors import StepFailed
from hangar.quickstart.deployment import Deployment, env_file_values
from hangar.quickstart.settings import (
    ENV_FILE,
    IMAGE_VARIABLE,
    ImageChoice,
    NetworkChoice,
    choice_note,
    choose_image,
    choose_network,
    default_image,
    project_files,
)
from hangar.quickstart.state import ServiceState, judge


@dataclass(frozen=True, kw_only=True)
class ProjectOptions:
    """Where the compose project is and how to run it (the options every subcommand takes)."""

    directory: Path
    hostnet: bool | None  # None: the config's quickstart_network
    kerberos: bool  # add the Kerberos override
    files: tuple[Path, ...]
    project_name: str | None
    image: str | None


_PROJECT_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=Path("quickstart"),
        show_default=True,
        help="Folder holding docker-compose.yaml (and dags/, logs/, config/, plugins/).",
    ),
    click.option(
        "--hostnet/--no-hostnet",
        default=None,
        help="Add docker-compose.hostnet.yaml: host networking, Postgres and Redis on the "
        "host's loopback (machines without bridge networks or Docker Hub). Default: on when "
        'the config says quickstart_network = "host" (`hangar config show`).',
    ),
    click.option(
        "--kerberos",
        is_flag=True,
        help="Add docker-compose.kerberos.yaml: a KDC, the `airflow kerberos` side-car holding "
        "the keytab, and a Celery worker that sees only the ticket cache.",
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
        help="Image to run (sets AIRFLOW_IMAGE_NAME). Default: AIRFLOW_IMAGE_NAME from the "
        "environment or .env, else the image `hangar image build` tags by default.",
    ),
]
_PROJECT_FIELDS = tuple(f.name for f in fields(ProjectOptions))


def project_options(func: Callable[..., None]) -> Callable[..., None]:
    """Add the project options to a command, which receives them as one
    `project: ProjectOptions` (its other options come as its own keyword-only parameters).
    """

    @functools.wraps(func)
    def command(**parsed: object) -> None:
        values: dict[str, Any] = {name: parsed.pop(name) for name in _PROJECT_FIELDS}
        func(project=ProjectOptions(**values), **parsed)

    for option in reversed(_PROJECT_OPTIONS):
        command = option(command)
    return command


def make_deployment(
    app: App,
    project: ProjectOptions,
    *,
    network: NetworkChoice | None = None,
    image: ImageChoice | None = None,
) -> Deployment:
    """The deployment, with the app's compose adapter."""
    if network is None:
        network = choose_network(given=project.hostnet, config=app.config())
    directory = (app.cwd / project.directory).resolve()
    ref = image.ref if image is not None else project.image
    extra_env = {IMAGE_VARIABLE: ref} if ref else {}
    compose = app.compose(
        directory,
        files=project_files(
            directory, hostnet=network.hostnet, kerberos=project.kerberos, extra=project.files
        ),
        name=project.project_name,
        env=extra_env,
    )
    return Deployment(
        compose=compose,
        directory=directory,
        hostnet=network.hostnet,
        engine=app.engine(),
        environ=app.environ,
        extra_env=extra_env,
    )


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
def up(*, project: ProjectOptions, timeout: float) -> None:
    """Start the deployment and wait until every service is healthy; print the URL and login.

    Runs the image `make image` built (see `hangar config show`), or --image.
    """
    app = current_app()
    config = app.config()
    directory = (app.cwd / project.directory).resolve()
    image = choose_image(
        given=project.image,
        env_file=env_file_values(directory),
        environ=app.environ,
        default=default_image(config),
        env_path=directory / ENV_FILE,
    )
    network = choose_network(given=project.hostnet, config=config)
    deployment = make_deployment(app, project, network=network, image=image)
    render.note(choice_note(image, network))
    err = render.err_console()
    with err.status(f"starting the quick start in {directory} (at most {timeout:.0f} s)"):
        result = deployment.up(timeout=timeout, uid=os.getuid(), image=image)
    if result.wrote_env:
        render.note(f"added {result.wrote_env} to {directory / ENV_FILE}")
    err.print(states_table(result.states))
    render.note(f"all services healthy after {result.seconds:.0f} s")
    click.echo(f"url: {result.login.url}")
    click.echo(f"username: {result.login.username}")
    click.echo(f"password: {result.login.password}")


@group.command()
@project_options
@click.option(
    "--volumes", is_flag=True, help="Also delete the database volume (all Airflow state)."
)
def down(*, project: ProjectOptions, volumes: bool) -> None:
    """Stop and remove the deployment's containers (and with --volumes its database)."""
    deployment = make_deployment(current_app(), project)
    deployment.ensure_compose()
    with render.err_console().status("stopping the quick start"):
        deployment.down(volumes=volumes)
    render.note("the quick start is down")


@group.command()
@project_options
def status(*, project: ProjectOptions) -> None:
    """Show each service's state and health; exit 1 unless every service is healthy."""
    deployment = make_deployment(current_app(), project)
    deployment.ensure_compose()
    states = deployment.states()
    if not states:
        raise StepFailed(
            f"the quick start is not running: no containers of it in {deployment.directory}",
            hint="`hangar quickstart up` starts it",
        )
    render.out_console().print(states_table(states))
    verdict = judge(states)
    if not verdict.ready:
        problems = [*verdict.failed, *(f"{name}: not healthy" for name in verdict.waiting)]
        service = verdict.first_problem()
        logs = deployment.compose.shown(*(("logs", service) if service else ("logs",)))
        raise StepFailed(
            f"the quick start is not up: {'; '.join(problems)}",
            hint=f"`{logs}` in {deployment.directory} shows why",
        )
