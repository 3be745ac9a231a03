"""`hangar dags check FOLDER`: import a DAG folder inside the image it will run in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.dags.check import check_dags
from hangar.errors import StepFailed
from hangar.image.plan import default_tag


@click.group(name="dags")
def group() -> None:
    """Check DAG files against the exact image they will run in."""


@group.command(name="check")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--image",
    metavar="IMAGE",
    default=None,
    help="The image to import the DAGs with (default: the configured default image, "
    "<registry>/<image_name>:<airflow_version>-python<default_python>).",
)
@output_option
def check(*, folder: Path, image: str | None, output: str) -> None:
    """Import every DAG file of FOLDER inside IMAGE (mounted read-only at /opt/airflow/dags,
    no database): one line per import error with its file, line and exception, and one per
    DAG that has no tasks or has a cycle. Exit 1 when there is any.
    """
    app = current_app()
    config = app.config()
    ref = image or default_tag(
        config, python=config["default_python"], airflow_version=config["airflow_version"]
    )
    engine = app.engine()
    engine.ensure_available()
    report = check_dags(engine, ref, folder)
    if output == "json":
        render.print_json({**dataclasses.asdict(report), "passed": report.passed})
    else:
        if report.problems:
            render.table(
                f"hangar dags check {folder} (Airflow {report.airflow} in {ref})",
                ("file", "line", "problem"),
                [(p.file, str(p.line or "-"), p.message) for p in report.problems],
            )
        click.echo(
            f"{len(report.dags)} DAG(s) imported from {folder} with {ref}, "
            f"{len(report.problems)} problem(s)"
        )
    if not report.passed:
        raise StepFailed(f"{len(report.problems)} DAG problem(s) in {folder}")
