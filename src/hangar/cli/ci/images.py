"""`hangar ci build-image`, `push-archive`, `wait-for-image` and `check-dags`: the image steps
of the CI flows. build-image is `hangar image build` with a Dockerfile target (the `ci` target: the
production image plus test tooling).
"""

from __future__ import annotations

import sys
from pathlib import Path

import rich_click as click

from hangar.ci.archive import OciArchive, archives_in, check_archive, read_archive
from hangar.ci.archive import push_archive as push_archive_to
from hangar.ci.flows import SHA_TAG
from hangar.cli import render
from hangar.cli.builds import build_and_show
from hangar.cli.options import (
    BuildOptions,
    build_options,
    current_app,
    dry_run_option,
    output_option,
)
from hangar.errors import BadInput, NotFound, StepFailed
from hangar.image.releasing.wait import wait_for_image as wait_until_pushed
from hangar.ports import last_line, no_such_image
from hangar.values import parse_pushed_ref, parse_ref

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
@click.option(
    "--archive",
    "archive_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write each image to DIR/<python>.oci.tar (an OCI archive) and leave it there: "
    "neither loaded nor pushed. `hangar ci push-archive` pushes it from another job.",
)
@click.option("--cache-from", metavar="REPO", help="Use the registry cache of REPO.")
@click.option("--cache-to", metavar="REPO", help="Export the registry cache to REPO (mode=max).")
@output_option
def build_image(
    *,
    build: BuildOptions,
    target: str,
    tags: tuple[str, ...],
    push: bool,
    archive_dir: Path | None,
    cache_from: str | None,
    cache_to: str | None,
    output: str,
) -> None:
    """Build an image of a Dockerfile target, one per Python version, in parallel (the build
    options are those of `hangar image build`).
    """
    if archive_dir is not None and (push or cache_to):
        raise BadInput(
            "--archive leaves each image in an archive, so it cannot go with --push or --cache-to",
            hint="push the archive with `hangar ci push-archive`, or build with --push alone",
        )
    app = build.app()
    config = app.config()
    if archive_dir is not None:
        archive_dir = app.files().make_folder(app.cwd / archive_dir)
    request = build.request(
        app,
        tags=tags,
        push=push,
        archive_dir=archive_dir,
        cache_from=cache_from,
        cache_to=cache_to,
        target=target,
    )
    title = f"hangar ci build-image ({target})"
    build_and_show(app, config, request, options=build, output=output, title=title)


@click.command(name="push-archive")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option(
    "--image",
    required=True,
    metavar="REF",
    help="REGISTRY/REPOSITORY:TAG to push one archive to; with a folder, REGISTRY/REPOSITORY: "
    "each of its archives is tagged <COMMIT>-python<X.Y>.",
)
@click.option("--commit", required=True, help="The commit the image must be built from.")
@click.option(
    "--python",
    "python",
    help="The Python version the one archive's image must have; a folder's archives are "
    "named by theirs (<X.Y>.oci.tar).",
)
@dry_run_option
def push_archive(
    *, archive: Path, image: str, commit: str, python: str | None, dry_run: bool
) -> None:
    """Check images handed over as OCI archives and push them: every blob hashes to its name,
    and each image's labels name COMMIT and its Python. Nothing of an archive is run or
    extracted. ARCHIVE is one archive (with --python), or the folder `hangar ci build-image
    --archive` wrote (without): every archive in it is checked before any is pushed, and a
    folder that is not there means nothing was handed over.

    Exit codes: 0 pushed (or planned, or nothing to push), 1 an image is not the one asked
    for, 4 registry unreachable, 5 not an OCI archive of one image.
    """
    app = current_app().dry(dry_run=dry_run, out=sys.stderr)
    if python is not None:
        ref = parse_pushed_ref(image)
        pushes = [(ref, python, archive)]
    else:
        repo = parse_ref(image)
        if not repo.registry or repo.tag or repo.digest:
            raise BadInput(
                f"{image}: a folder of archives is pushed to REGISTRY/REPOSITORY, without a tag",
                hint="each archive is tagged <COMMIT>-python<X.Y>; give --python for one file",
            )
        pushes = [
            (repo.with_tag(SHA_TAG.format(sha=commit, python=py)), py, path)
            for py, path in archives_in(archive)
        ]
        if not pushes:
            render.note(f"nothing to push: no archives were handed over in {archive}")
            return
    # every archive checked before any is pushed, each read again to push it: one archive in
    # memory at a time (a CI image's archive is gigabytes)
    for _ref, py, path in pushes:
        _checked(path, commit=commit, python=py)
    for ref, py, path in pushes:
        found = _checked(path, commit=commit, python=py)
        digest = push_archive_to(found, app.registry(ref.registry), ref.repository, ref.reference)
        render.note(f"{'would push' if dry_run else 'pushed'} {ref} ({digest})")
        click.echo(digest)


def _checked(path: Path, *, commit: str, python: str) -> OciArchive:
    found = read_archive(path)
    problems = check_archive(found, commit=commit, python=python)
    if problems:
        raise StepFailed(
            f"{path} is not the image of {commit} on Python {python}: {'; '.join(problems)}",
            hint="push only what the build of that commit archived; nothing was pushed",
        )
    return found


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
