"""`hangar config show`: the effective settings and where each one came from."""

from __future__ import annotations

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.config import find_config_file, shown_settings


@click.group(name="config")
def group() -> None:
    """Hangar's settings and where each comes from.

    defaults < environment overlay < hangar.toml / [tool.hangar] < HANGAR_* env < options.
    """


@group.command(name="show")
@output_option
def show(*, output: str) -> None:
    """Print every setting's effective value and its source; secrets are masked."""
    app = current_app()
    rows = shown_settings(app.config())
    if output == "json":
        render.print_json(
            {name: {"value": value, "source": source} for name, value, source, _ in rows}
        )
        return
    path = find_config_file(app.cwd)
    overlay = app.environment_file()
    files = [str(p) for p in (overlay, path) if p is not None and p.is_file()]
    render.table(
        f"hangar config ({', '.join(files) if files else 'no config file'})",
        ("setting", "value", "source", "meaning"),
        rows,
    )
