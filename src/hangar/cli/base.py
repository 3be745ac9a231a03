"""`hangar base build`: build the Python base images from Debian packages (no Docker Hub),
by running scripts/build-base-image.sh for each Python version.
"""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, dry_run_option, log_dir, python_option
from hangar.errors import BadInput, NotFound, StepFailed
from hangar.image.building.plan import resolve_pythons
from hangar.image.building.platforms import ensure_runnable
from hangar.ports import cmd, last_line
from hangar.values import DEBIAN_PYTHON, split_list

SCRIPT = Path("scripts/build-base-image.sh")


@click.group(name="base")
def group() -> None:
    """Python base images built from Debian packages."""


@group.command(name="build")
@python_option("Python version (repeatable); default: every configured one.")
@click.option("--push", is_flag=True, help="Push each image to the registry.")
@click.option("--mirror", help="Debian mirror (default: the script's, deb.debian.org).")
@click.option(
    "--platform",
    "platforms",
    default=None,
    metavar="LIST",
    help="Platforms, comma-separated, e.g. linux/amd64,linux/arm64: one image index holding "
    "them all (a foreign platform needs emulation: `hangar env status`). Default: the "
    "engine's own.",
)
@dry_run_option
def build(
    *,
    pythons: tuple[str, ...],
    push: bool,
    mirror: str | None,
    platforms: str | None,
    dry_run: bool,
) -> None:
    """Build `python:X.Y-slim-<debian>` look-alikes from Debian packages.

    debootstrap and Debian's python3, current with the release's -updates and -security
    suites (the security updates taken are listed), tagged as the config's base_image pattern
    (e.g. 127.0.0.1:5000/python:3.11-slim-bookworm). Debian ships one Python per release:
    3.11 in bookworm, 3.13 in trixie, 3.14 in forky (the testing release). The image's labels
    name its Debian release (dev.hangar.base.debian-codename, -suite).
    """
    app = current_app().dry(dry_run=dry_run)
    wanted = split_list((platforms,)) if platforms else ()
    config = app.config()
    script = app.cwd / SCRIPT
    if not script.is_file():
        raise NotFound(
            f"{SCRIPT} not found in {app.cwd}", hint="run hangar from the repository root"
        )
    versions = resolve_pythons(pythons or ("all",), config)
    runner = app.runner
    if not dry_run:
        app.engine().ensure_available()
        ensure_runnable(app.probe(), wanted, host_platform=app.host_platform)
    console = render.err_console()
    rows = []
    if len(wanted) > 1 and not push:
        raise BadInput(
            f"a base image for several platforms ({', '.join(wanted)}) is an index in a "
            "registry: it needs --push",
            hint="add --push, or build one platform",
        )
    for python in versions:
        ensure_debian_ships(python, config.debian_for(python))
    for python in versions:
        ref = config.base_image_for(python)
        args = script_args(
            script, python=python, codename=config.debian_for(python), tag=ref,
            mirror=mirror, platforms=wanted, push=push,
        )  # fmt: skip
        log_path = log_dir(app, config) / f"base-{python}.log"
        if dry_run:
            runner.run(cmd(*args))
            continue
        with (
            console.status(f"building {ref} (log {log_path})"),
            app.files().open_log(log_path) as log,
        ):
            result = runner.run(cmd(*args), stream_to=log)
        if not result.ok:
            raise StepFailed(
                f"base image {ref} failed: "
                f"{last_line(result.stdout) or f'exit code {result.returncode}'}",
                hint=f"see {log_path}",
            )
        updates = security_updates(result.stdout)
        for update in updates:
            render.note(f"{ref}: security update: {update}")
        taken = f"{len(updates)} security update(s)" if updates else "none pending"
        rows.append((python, ref, "pushed" if push else "built", taken, str(log_path)))
    if rows:
        render.table("hangar base build", ("python", "image", "result", "security", "log"), rows)


def ensure_debian_ships(python: str, debian: str) -> None:
    """A base image from Debian packages has the one Python its release ships."""
    if DEBIAN_PYTHON.get(debian) != python:
        ships = ", ".join(f"{py} on {codename}" for codename, py in DEBIAN_PYTHON.items())
        raise BadInput(
            f"Debian {debian} does not ship Python {python}, so no base image of it can be "
            "built from Debian packages",
            hint=f"Debian ships {ships}: set `debian` for {python} (hangar config show), or "
            "use the python:X.Y-slim-<debian> images of Docker Hub",
        )


def script_args(
    script: Path,
    *,
    python: str,
    codename: str,
    tag: str,
    mirror: str | None,
    platforms: tuple[str, ...],
    push: bool,
) -> list[str]:
    """scripts/build-base-image.sh's command line for one base image."""
    args = [str(script), "--python", python, "--codename", codename, "--tag", tag]
    if mirror:
        args += ["--mirror", mirror]
    if platforms:
        args += ["--platform", ",".join(platforms)]
    if push:
        args.append("--push")
    return args


def security_updates(output: str) -> tuple[str, ...]:
    """The security updates the script says it took (`security update: PKG OLD -> NEW`), once
    each (a base of several platforms takes the same ones on each).
    """
    marker = "security update: "
    found = (line.split(marker, 1)[1].strip() for line in output.splitlines() if marker in line)
    return tuple(dict.fromkeys(found))
