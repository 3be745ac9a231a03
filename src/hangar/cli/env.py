"""`hangar env status` and `hangar env up`: is everything a build needs there, and set it up."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, dry_run_option, output_option
from hangar.env.status import first_failure, status_checks
from hangar.errors import NotFound, StepFailed
from hangar.ports import cmd, last_line

SETUP_SCRIPT = Path("scripts/setup-env.sh")


@click.group(name="env")
def group() -> None:
    """The engine, registry and base images hangar needs."""


@group.command(name="status")
@output_option
def status(*, output: str) -> None:
    """Say whether an engine with buildx, the registry and the base image of each configured
    Python version are available, and what to run if not (non-zero exit if one is missing).
    """
    app = current_app()
    checks = status_checks(
        app.config(), engine=app.engine(), probe=app.probe(), host_platform=app.host_platform
    )
    if output == "json":
        render.print_json([{k: v for k, v in asdict(c).items() if k != "error"} for c in checks])
    else:
        render.table(
            "hangar env status",
            ("what", "state", "detail", "to fix, run"),
            (
                (c.what, "[green]ok[/]" if c.ok else "[red]missing[/]", c.detail, c.fix)
                for c in checks
            ),
        )
    failure = first_failure(checks)
    if failure is not None:
        raise failure


@group.command(name="up")
@click.option(
    "--test",
    is_flag=True,
    help="Also start what the test suite needs: the registry, PostgreSQL and Redis.",
)
@click.option("--no-services", is_flag=True, help="With --test: not PostgreSQL and Redis.")
@click.option("--no-bases", is_flag=True, help="Do not build or pull the base images.")
@click.option("--no-venv", is_flag=True, help="Do not set up .venv.")
@dry_run_option
def up(*, test: bool, no_services: bool, no_bases: bool, no_venv: bool, dry_run: bool) -> None:
    """Set up what builds need (scripts/setup-env.sh; safe to run again).

    Uses a running Docker engine as it is; installs one only on Debian 12 or 13 without any;
    builds local base images (and writes the environment overlay) only without Docker Hub.
    """
    app = current_app().dry(dry_run=dry_run)
    script = app.cwd / SETUP_SCRIPT
    if not script.is_file():
        raise NotFound(
            f"{SETUP_SCRIPT} not found in {app.cwd}", hint="run hangar from the repository root"
        )
    flags = [
        f
        for f, on in (
            ("--test", test),
            ("--no-services", no_services),
            ("--no-bases", no_bases),
            ("--no-venv", no_venv),
        )
        if on
    ]
    result = app.runner.run(cmd(str(script), *flags), stream_to=sys.stderr)
    if not result.ok:
        raise StepFailed(
            f"set-up failed: {last_line(result.stdout) or f'exit code {result.returncode}'}",
            hint="fix what the line above says and run `hangar env up` again",
        )
