"""`hangar ci workflows`: render the CI flows into .github/workflows (or check the committed
files are what the flows give).
"""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.ci.workflows import FOLDER, workflow_files
from hangar.cli import render as common
from hangar.errors import StepFailed


@click.command(name="workflows")
@click.option("--write", is_flag=True, help="Write the files (default: print their names).")
@click.option("--check", is_flag=True, help="Fail if a committed file differs.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="The repository root.",
)
def workflows(*, write: bool, check: bool, root: Path) -> None:
    """Render .github/workflows/ci-*.yml from the flows in hangar.ci.flows."""
    folder = root / FOLDER
    stale = []
    for name, text in workflow_files().items():
        path = folder / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            stale.append(name)
            if write:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")
        click.echo(str(path))
    console = common.err_console()
    if write:
        console.print(f"{len(stale)} file(s) rewritten" if stale else "all files up to date")
    elif check and stale:
        raise StepFailed(
            f"{', '.join(stale)} differ from the flows", hint="run `hangar ci workflows --write`"
        )
