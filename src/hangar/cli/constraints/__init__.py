"""`hangar constraints`: generate, check and repair the pinned dependency sets of Airflow.

The group is here; each subcommand is a small module (generate.py, check.py, update.py) that
builds one request, calls one service of hangar.constraints and renders its result. Their
shared options are in options.py.
"""

from __future__ import annotations

import rich_click as click

from hangar.cli.constraints import check, generate, update


@click.group(name="constraints")
def group() -> None:
    """Generate, check and repair constraints files (pinned dependencies of an Airflow version)."""


group.add_command(generate.generate)
group.add_command(check.check)
group.add_command(update.update)
