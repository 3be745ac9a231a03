"""`hangar config show`: the effective settings and where each one came from."""

from __future__ import annotations

import rich_click as click
from rich.table import Table

from hangar.cli import render as common
from hangar.cli.options import deps
from hangar.config import find_config_file, shown_settings


@click.group(name="config")
def group() -> None:
    """hangar's settings (defaults < hangar.toml / [tool.hangar] < HANGAR_* env < options)."""


@group.command(name="show")
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def show(output: str) -> None:
    """Print every setting's effective value and its source; secrets are masked."""
    d = deps()
    rows = shown_settings(d.config())
    if output == "json":
        common.print_json(
            {name: {"value": value, "source": source} for name, value, source, _ in rows}
        )
        return
    path = find_config_file(d.cwd)
    table = Table(title=f"hangar config ({path if path else 'no config file'})")
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", no_wrap=True)
    table.add_column("meaning", ratio=1)
    for name, value, source, help_ in rows:
        table.add_row(name, value, source, help_)
    common.out_console().print(table)
