"""`hangar constraints check FILE`: syntax, duplicates, forbidden entries, order, and whether
Airflow with the chosen extras resolves against the file for a Python version.
"""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.constraints.options import index_options
from hangar.cli.options import current_app, output_option
from hangar.constraints.check import CheckReport, CheckRequest, check_constraints
from hangar.constraints.resolve import validate_extras
from hangar.values import split_list, validate_airflow_version, validate_python


@click.command(name="check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--python", required=True, help="The Python version the file is for (A.B).")
@click.option(
    "--airflow-version",
    help="Airflow version to resolve. Default: the one the file's header names.",
)
@click.option(
    "--extras", multiple=True, help="Airflow extras to resolve with. Default: the header's."
)
@click.option("--no-resolve", is_flag=True, help="Only check the file's text; skip the resolution.")
@index_options
@output_option
def check(
    *,
    file: Path,
    python: str,
    airflow_version: str | None,
    extras: tuple[str, ...],
    no_resolve: bool,
    index_url: str,
    platform: str,
    output: str,
) -> None:
    """Check a constraints file and report what is wrong with it, line by line."""
    app = current_app()
    request = CheckRequest(
        path=file,
        python=validate_python(python),
        airflow_version=validate_airflow_version(airflow_version) if airflow_version else None,
        extras=validate_extras(split_list(extras)) if extras else None,
        index_url=index_url,
        platform=platform,
        resolve=not no_resolve,
    )
    with render.err_console().status(f"Checking {file} for Python {python}"):
        report = check_constraints(request, resolver=app.resolver())
    _show(report, output)
    if report.ok:
        render.note(f"{file}: OK")
    report.raise_for_problems()


def _show(report: CheckReport, output: str) -> None:
    """The problems on stdout: one `FILE:LINE: message: text` line each, or JSON."""
    if output == "json":
        render.print_json(
            {
                "file": str(report.path),
                "ok": report.ok,
                "problems": [
                    {"line": p.line_no, "text": p.text, "message": p.message}
                    for p in report.problems
                ],
            }
        )
        return
    for problem in report.problems:
        click.echo(problem.render(str(report.path)))
