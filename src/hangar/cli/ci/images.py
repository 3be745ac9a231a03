"""`hangar ci build-image`, `wait-for-image` and `check-dags`: the image steps of the CI
flows. build-image is `hangar image build` with a Dockerfile target (the `ci` target: the
production image plus test tooling)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import rich_click as click

from hangar.cli import render as common
from hangar.cli.image.build import plan_and_run
from hangar.cli.options import build_options, deps, read_dockerfile_args, request_from
from hangar.errors import NotFound, StepFailed
from hangar.image.plan import plan
from hangar.image.wait import parse_ref
from hangar.image.wait import wait_for_image as wait_until_pushed
from hangar.infra.registry import HttpRegistry, credentials_from_env
from hangar.ports import cmd, last_line

TARGETS = ("ci", "main")


@click.command(name="build-image")
@build_options
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default="ci",
    show_default=True,
    help="Dockerfile target: `ci` (production image + pytest + check-dags) or `main`.",
)
@click.option("--tag", "tags", multiple=True, metavar="PATTERN", help="Image tag (repeatable).")
@click.option("--push", is_flag=True, help="Push the image(s) to the registry.")
@click.option("--cache-from", metavar="REPO", help="Use the registry cache of REPO.")
@click.option("--cache-to", metavar="REPO", help="Export the registry cache to REPO (mode=max).")
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def build_image(**options: Any) -> None:
    """Build an image of a Dockerfile target, one per Python version, in parallel (the build
    options are those of `hangar image build`)."""
    d = deps()
    config = d.config()
    context = (options["context"] or d.cwd).resolve()
    request = request_from(options, context=context, known_args=read_dockerfile_args(context))
    request = replace(
        request,
        tags=tuple(options["tags"]),
        push=options["push"],
        cache_from=options["cache_from"],
        cache_to=options["cache_to"],
    )
    target = options["target"]
    plan_and_run(
        plan,
        replace(request, target=target),
        config=config,
        d=d,
        options=options,
        title=f"hangar ci build-image ({target})",
    )


@click.command(name="wait-for-image")
@click.argument("image")
@click.option("--timeout", type=float, default=1800, show_default=True, help="Seconds.")
@click.option("--interval", type=float, default=5, show_default=True, help="Seconds between polls.")
@click.option("--pull", is_flag=True, help="Pull the image once it is there.")
def wait_for_image(image: str, timeout: float, interval: float, pull: bool) -> None:
    """Wait until IMAGE (REGISTRY/REPOSITORY:TAG) is in the registry, e.g. pushed by another
    workflow; fail with one line after --timeout."""
    ref = parse_ref(image)
    registry = HttpRegistry(host=ref.registry, credentials=credentials_from_env(os.environ))
    console = common.err_console()
    console.print(f"waiting for {ref} (up to {timeout:.0f}s)", highlight=False)
    waited = wait_until_pushed(
        registry,
        ref,
        timeout=timeout,
        interval=interval,
        on_poll=lambda n, s: (
            console.print(f"  not there yet ({s:.0f}s)", highlight=False) if n % 6 == 1 else None
        ),
    )
    console.print(f"{ref} is there ({waited.digest}, after {waited.seconds:.0f}s)")
    if pull:
        result = common.runner().run(cmd("docker", "pull", "--quiet", image))
        if not result.ok:
            raise StepFailed(f"docker pull {image} failed: {last_line(result.stderr)}")
    click.echo(waited.digest)


@click.command(name="check-dags")
@click.argument("image")
@click.option(
    "--dags",
    type=click.Path(file_okay=False, exists=True),
    help="A DAG folder mounted into the container (default: the DAGs embedded in the image).",
)
def check_dags(image: str, dags: str | None) -> None:
    """Import every DAG file in the CI IMAGE (`check-dags` inside it) and fail if one does
    not import."""
    engine = common.engine()
    args: tuple[str, ...] = ()
    command = "check-dags"
    if dags is not None:
        args = ("-v", f"{Path(dags).resolve()}:/dags:ro")
        command = "check-dags /dags"
    result = engine.run_container(image, ("bash", "-c", command), docker_args=args)
    click.echo(result.stdout, nl=False)
    if result.returncode == 125 and "Unable to find image" in result.stderr:
        raise NotFound(f"image {image} not found", hint="build it, or wait for it first")
    if not result.ok:
        click.echo(result.stderr, err=True, nl=False)
        raise StepFailed(f"DAG import check failed in {image}: {last_line(result.stderr)}")
