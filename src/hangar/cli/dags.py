"""`hangar dags check FOLDER`: import a DAG folder inside the image it will run in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.dags.check import TestRun, check_dags, run_dag_tests
from hangar.errors import StepFailed
from hangar.image.building.plan import default_tag


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
@click.option(
    "--pytest",
    "with_pytest",
    is_flag=True,
    help="Also run the folder's own tests with pytest inside IMAGE (its `ci` target has "
    "pytest: `hangar image build --target ci`).",
)
@click.option(
    "--tests",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    metavar="DIR",
    help="With --pytest: the tests folder (mounted read-only at /opt/airflow/tests); "
    "default: test files inside FOLDER.",
)
@output_option
def check(
    *, folder: Path, image: str | None, with_pytest: bool, tests: Path | None, output: str
) -> None:
    """Import every DAG file of FOLDER inside IMAGE (mounted read-only at /opt/airflow/dags,
    no database): one line per import error with its file, line and exception, and one per
    DAG that has no tasks or has a cycle. With --pytest, then run the folder's tests there
    (the DAG folder on PYTHONPATH, no database). Exit 1 when there is any problem or a test
    fails.
    """
    app = current_app()
    config = app.config()
    ref = image or default_tag(
        config, python=config["default_python"], airflow_version=config["airflow_version"]
    )
    engine = app.engine()
    engine.ensure_available()
    report = check_dags(engine, ref, folder)
    run = run_dag_tests(engine, ref, folder, tests or folder) if with_pytest else None
    if output == "json":
        render.print_json(
            {
                **dataclasses.asdict(report),
                "passed": report.passed and (run is None or run.passed),
                "pytest": None
                if run is None
                else {**dataclasses.asdict(run), "passed": run.passed},
            }
        )
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
        if run is not None:
            show_tests(run)
    if not report.passed:
        raise StepFailed(f"{len(report.problems)} DAG problem(s) in {folder}")
    if run is not None and not run.passed:
        raise StepFailed(
            f"the tests in {run.folder} failed in {ref}: {run.summary}",
            hint="the pytest output above names each failing test",
        )


def show_tests(run: TestRun) -> None:
    if not run.collected:
        render.note(f"pytest found no tests in {run.folder}")
        return
    if not run.passed:
        click.echo(run.output, nl=False)
    click.echo(f"pytest in {run.image}: {run.summary}")
