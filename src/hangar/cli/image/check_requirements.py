"""`hangar image check-requirements IMAGE -r FILE`: what extra requirements would add to or
move in an image, resolved against what it holds, before anything is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.constraints.files import Change, ChangeKind
from hangar.constraints.resolve import DEFAULT_INDEX_URL
from hangar.errors import BadInput, ResolutionConflict, StepFailed
from hangar.image.inspecting.requirements import (
    RequirementsReport,
    check_requirements,
    parse_requirements,
    read_installed,
)


@click.command(name="check-requirements")
@click.argument("image")
@click.option(
    "-r",
    "--requirement",
    "requirement_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    metavar="FILE",
    help="The requirements file to check (as for `pip install -r`).",
)
@click.option(
    "--index-url",
    default=None,
    metavar="URL",
    help=f"The package index to resolve from (default: the configured index_url, else "
    f"{DEFAULT_INDEX_URL}).",
)
@output_option
def command(*, image: str, requirement_file: Path, index_url: str | None, output: str) -> None:
    """Resolve the requirements in FILE against IMAGE without building anything: its Python
    version and platform, its installed distributions (preferred: kept where they fit) and its
    constraints (minus the projects FILE names, as in the build), with Airflow and every
    installed provider held at their versions. Lists what would be added, upgraded or
    downgraded. Exit 0 when nothing installed would change, 1 when something installed would
    move, 6 when the requirements conflict with what is held (then also what a plain
    `pip install -r` without the constraints would move, e.g. Airflow itself).
    """
    app = current_app()
    engine = app.engine()
    engine.ensure_available()
    requirements = parse_requirements(
        requirement_file.read_text().splitlines(), origin=str(requirement_file)
    )
    if not requirements:
        raise BadInput(
            f"{requirement_file} names no requirement", hint="give a file with one per line"
        )
    report = check_requirements(
        read_installed(engine, image),
        requirements,
        resolver=app.resolver(),
        index_url=index_url or app.config()["index_url"] or DEFAULT_INDEX_URL,
        from_file=requirement_file,
    )
    show(report, output)
    raise_for(report)


def _rows(found: Sequence[Change]) -> list[tuple[str, str, str, str]]:
    return [(c.name, c.old or "-", c.new or "-", c.kind.value) for c in found]


def show(report: RequirementsReport, output: str) -> None:
    if output == "json":
        render.print_json(dataclasses.asdict(report))
        return
    where = f"{report.source} (Python {report.python}, {report.platform})"
    if report.changes:
        render.table(f"What the requirements change in {where}", COLUMNS, _rows(report.changes))
    if report.unheld:
        render.table(
            "Without holding Airflow and the constraints (a plain `pip install -r`)",
            COLUMNS,
            _rows(report.unheld),
        )
    if report.conflict is None and not report.changes:
        click.echo(f"Nothing to add or change in {where}: everything is installed already.")
    elif report.conflict is None:
        added = sum(1 for c in report.changes if c.kind is ChangeKind.ADDED)
        click.echo(f"{added} to add, {len(report.changes) - added} installed to move in {where}.")


COLUMNS = ("name", "installed", "resolved", "change")


def raise_for(report: RequirementsReport, *, accept: str = "") -> None:
    """The exit: 6 on a conflict, 1 when something installed would move, else 0. `accept`
    names the way to go ahead anyway, where there is one.
    """
    if report.conflict is not None:
        moved = [c for c in report.unheld if c.kind is not ChangeKind.ADDED]
        also = f"; without them, installing would move {_moved(moved)}" if moved else ""
        raise ResolutionConflict(
            f"{report.source}: {report.conflict.rstrip('.')}{also}",
            hint="pin a version of the conflicting requirement that fits the installed Airflow "
            "and providers, or build an image of a newer Airflow" + accept,
        )
    if report.moves_installed:
        moved = [c for c in report.changes if c.kind is not ChangeKind.ADDED]
        raise StepFailed(
            f"{report.source}: the requirements would move {_moved(moved)}",
            hint="pin them at the installed versions to keep the image as tested" + accept,
        )


MOVES_SHOWN = 4


def _moved(found: Sequence[Change]) -> str:
    """The first moves (Airflow and providers come first), then how many more."""
    shown = [f"{c.name} {c.old} -> {c.new}" for c in found[:MOVES_SHOWN]]
    more = len(found) - len(shown)
    return ", ".join(shown) + (f" and {more} more (the table above)" if more else "")
