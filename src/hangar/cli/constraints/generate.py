"""`hangar constraints generate`: resolve and write constraints files, all Python versions
in parallel, with one live progress line per file and a summary of what changed.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import rich_click as click
from rich.markup import escape
from rich.progress import Progress, TaskID

from hangar.cli import render
from hangar.cli.constraints.options import index_options
from hangar.cli.options import current_app, output_option
from hangar.constraints.cache import release_requires_python
from hangar.constraints.files import summarize
from hangar.constraints.generate import (
    ALL_MODES,
    FileResult,
    GenerateReport,
    GenerateRequest,
    chosen_modes,
    chosen_pythons,
    generate_constraints,
)
from hangar.constraints.resolve import Mode, format_time, parse_time, validate_extras
from hangar.errors import HangarError
from hangar.values import SUPPORTED_PYTHONS, split_list, validate_airflow_version


@click.command(name="generate")
@click.option("--airflow-version", required=True, help="The Airflow version, X.Y.Z.")
@click.option(
    "--python",
    "pythons",
    multiple=True,
    help="Python version (repeatable, or comma-separated). Default: those of "
    f"{', '.join(SUPPORTED_PYTHONS)} the Airflow version supports (its Requires-Python).",
)
@click.option(
    "--mode",
    "modes",
    multiple=True,
    default=(Mode.CONSTRAINTS.value,),
    show_default=True,
    type=click.Choice([*(m.value for m in Mode), ALL_MODES]),
    help="Which constraints to generate (repeatable; `all` for the three).",
)
@click.option(
    "--extras",
    multiple=True,
    help="Airflow extras (comma-separated). Default: `all` for mode constraints, none otherwise.",
)
@click.option(
    "--providers-dir",
    type=click.Path(file_okay=False),
    help="Folder of provider wheels, sdists or source trees (constraints-source-providers).",
)
@click.option(
    "--exclude-newer",
    help="Resolve as the index stood at this time (RFC 3339). "
    "Default: the Airflow release's upload time plus one hour.",
)
@index_options
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Where constraints-X.Y.Z/ is written.",
)
@click.option(
    "--parallelism", type=int, default=0, help="How many resolutions run at once (default: all)."
)
@output_option
def generate(
    *,
    airflow_version: str,
    pythons: tuple[str, ...],
    modes: tuple[str, ...],
    extras: tuple[str, ...],
    providers_dir: str | None,
    exclude_newer: str | None,
    index_url: str,
    platform: str,
    output_dir: Path,
    parallelism: int,
    output: str,
) -> None:
    """Resolve and write `constraints-X.Y.Z/<mode>-<python>.txt` per Python version and mode."""
    app = current_app()
    version = validate_airflow_version(airflow_version)
    requires_python = release_requires_python(
        app.index(index_url), version, app.cwd / app.config()["cache_dir"]
    )
    request = GenerateRequest(
        airflow_version=version,
        pythons=chosen_pythons(
            split_list(pythons), airflow_version=version, requires_python=requires_python
        ),
        modes=chosen_modes(modes),
        extras=validate_extras(split_list(extras)) if extras else None,
        providers_dir=providers_dir,
        exclude_newer=parse_time(exclude_newer) if exclude_newer else None,
        index_url=index_url,
        platform=platform,
        output_dir=output_dir,
        parallelism=parallelism,
    )
    with ExitStack() as stack:
        lines = _LiveLines(request.airflow_version, stack)
        report = generate_constraints(
            request,
            resolver=app.resolver(),
            index=app.index(index_url),
            on_start=lines.start,
            on_done=lines.done,
        )
    _show(report, output)
    for failure in report.failures:
        render.err_console().print(
            f"[red]{escape(failure.name)}:[/] {escape(failure.error.line())}", soft_wrap=True
        )
    report.raise_for_failure()


class _LiveLines:
    """One live line per file, from the moment the files are known (after the cut-off line)
    until the last one ends.
    """

    def __init__(self, airflow_version: str, stack: ExitStack) -> None:
        self._airflow_version = airflow_version
        self._stack = stack
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def start(self, cutoff: datetime, names: tuple[str, ...]) -> None:
        render.note(
            f"Resolving Airflow {self._airflow_version} as the index stood at {format_time(cutoff)}"
        )
        self._progress = self._stack.enter_context(render.progress())
        self._tasks = {
            name: self._progress.add_task(f"{escape(name)}: resolving", total=1) for name in names
        }

    def done(self, name: str, outcome: FileResult | HangarError) -> None:
        if self._progress is None:
            raise RuntimeError("done() called before start()")
        shown = (
            f"[green]{escape(name)}: {outcome.pins} pins"
            if isinstance(outcome, FileResult)
            else f"[red]{escape(name)}: failed"
        )
        self._progress.update(self._tasks[name], description=shown, completed=1)


def _show(report: GenerateReport, output: str) -> None:
    """What changed per file on stderr; the files (or JSON) on stdout."""
    for result in report.results:
        if not result.existed:
            render.note(f"{result.path}: new, {result.pins} pins ({result.seconds:.1f}s)")
            continue
        summary = ", ".join(f"{n} {kind}" for kind, n in summarize(result.changes).items())
        render.note(f"{result.path}: {summary} ({result.seconds:.1f}s)")
        for change in result.changes:
            render.note(f"    {change.describe()}")
    if output == "json":
        render.print_json(
            [
                {
                    "file": str(r.path),
                    "python": r.python,
                    "mode": r.mode.value,
                    "pins": r.pins,
                    "seconds": round(r.seconds, 2),
                    "changes": [
                        {"kind": c.kind.value, "name": c.name, "old": c.old, "new": c.new}
                        for c in r.changes
                    ],
                }
                for r in report.results
            ]
        )
        return
    for result in report.results:
        click.echo(str(result.path))
