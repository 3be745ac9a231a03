"""`hangar ci build-image`, `push-archive`, `wait-for-image` and `check-dags`: the image steps
of the CI flows. build-image is `hangar image build` with a Dockerfile target (the `ci` target: the
production image plus test tooling).
"""

from __future__ import annotations

import sys
from pathlib import Path

import rich_click as click

from hangar.ci.archive import check_archive, read_archive
from hangar.ci.archive import push_archive as push_archive_to
from hangar.cli import render
from hangar.cli.builds import build_and_show
from hangar.cli.options import (
    BuildOptions,
    build_options,
    current_app,
    dry_run_option,
    output_option,
)
from hangar.errors import NotFound, StepFailed
from hangar.image.wait import wait_for_image as wait_until_pushed
from hangar.ports import last_line, no_such_image
from hangar.values import parse_pushed_ref

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
@output_option
def build_image(
    *,
    build: BuildOptions,
    target: str,
    tags: tuple[str, ...],
    push: bool,
    cache_from: str | None,
    cache_to: str | None,
    output: str,
) -> None:
    """Build an image of a Dockerfile target, one per Python version, in parallel (the build
    options are those of `hangar image build`).
    """
    app = build.app()
    config = app.config()
    request = build.request(
        app, tags=tags, push=push, cache_from=cache_from, cache_to=cache_to, target=target
    )
    title = f"hangar ci build-image ({target})"
    build_and_show(app, config, request, options=build, output=output, title=title)


@click.command(name="push-archive")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--image", required=True, metavar="REF", help="REGISTRY/REPOSITORY:TAG to push to.")
@click.option("--commit", required=True, help="The commit the image must be built from.")
@click.option("--python", "python", required=True, help="The Python version it must have.")
@dry_run_option
def push_archive(*, archive: Path, image: str, commit: str, python: str, dry_run: bool) -> None:
    """Check an image handed over as an OCI archive and push it: every blob hashes to its name,
    and the image's labels name COMMIT and PYTHON. Nothing of the archive is run or extracted.

    Exit codes: 0 pushed (or planned), 1 the image is not the one asked for, 4 registry
    unreachable, 5 not an OCI archive of one image.
    """
    app = current_app().dry(dry_run=dry_run, out=sys.stderr)
    ref = parse_pushed_ref(image)
    found = read_archive(archive)
    problems = check_archive(found, commit=commit, python=python)
    if problems:
        raise StepFailed(
            f"{archive} is not the image of {commit} on Python {python}: {'; '.join(problems)}",
            hint="push only what the build of that commit archived",
        )
    digest = push_archive_to(found, app.registry(ref.registry), ref.repository, ref.reference)
    render.note(f"{'would push' if dry_run else 'pushed'} {ref} ({digest})")
    click.echo(digest)


@click.command(name="wait-for-image")
@click.argument("image")
@click.option("--timeout", type=float, default=1800, show_default=True, help="Seconds.")
@click.option("--interval", type=float, default=5, show_default=True, help="Seconds between polls.")
@click.option("--pull", is_flag=True, help="Pull the image once it is there.")
def wait_for_image(*, image: str, timeout: float, interval: float, pull: bool) -> None:
    """Wait until IMAGE (REGISTRY/REPOSITORY:TAG) is in the registry, e.g. pushed by another
    workflow; fail with one line after --timeout.
    """
    app = current_app()
    ref = parse_pushed_ref(image)
    render.note(f"waiting for {ref} (up to {timeout:.0f}s)")
    waited = wait_until_pushed(
        app.registry(ref.registry),
        ref,
        timeout=timeout,
        interval=interval,
        on_poll=lambda n, s: render.note(f"  not there yet ({s:.0f}s)") if n % 6 == 1 else None,
    )
    render.note(f"{ref} is there ({waited.digest}, after {waited.seconds:.0f}s)")
    if pull:
        app.engine().pull(image)
    click.echo(waited.digest)


@click.command(name="check-dags")
@click.argument("image")
@click.option(
    "--dags",
    type=click.Path(file_okay=False, exists=True),
    help="A DAG folder mounted into the container (default: the DAGs embedded in the image).",
)
def check_dags(*, image: str, dags: str | None) -> None:
    """Import every DAG file in the CI IMAGE (`check-dags` inside it) and fail if one does
    not import.
    """
    engine = current_app().engine()
    engine.ensure_available()
    args: tuple[str, ...] = ()
    command = "check-dags"
    if dags is not None:
        args = ("-v", f"{Path(dags).resolve()}:/dags:ro")
        command = "check-dags /dags"
    result = engine.run_container(image, ("bash", "-c", command), docker_args=args)
    click.echo(result.stdout, nl=False)
    if no_such_image(result):
        raise NotFound(f"image {image} not found", hint="build it, or wait for it first")
    if not result.ok:
        click.echo(result.stderr, err=True, nl=False)
        raise StepFailed(f"DAG import check failed in {image}: {last_line(result.stderr)}")
