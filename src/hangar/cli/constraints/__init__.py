"""`hangar constraints`: generate, check and repair the pinned dependency sets of Airflow.

The group and its shared options live here; each subcommand is a small module
(constraints_generate.py, constraints_check.py, constraints_update.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import rich_click as click

from hangar.constraints.resolve import DEFAULT_INDEX_URL, DEFAULT_PLATFORM

F = TypeVar("F", bound=Callable[..., object])


def index_options(func: F) -> F:
    """--index-url and --platform, shared by generate and check."""
    func = click.option(
        "--platform",
        default=DEFAULT_PLATFORM,
        show_default=True,
        help="Target platform to resolve for (uv's --python-platform).",
    )(func)
    func = click.option(
        "--index-url",
        default=DEFAULT_INDEX_URL,
        show_default=True,
        help="The only package index used (pip and uv configuration files are ignored).",
    )(func)
    return func


def output_option(func: F) -> F:
    return click.option(
        "--output",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="What to print on stdout: text for people, json for machines.",
    )(func)


def split_list(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--x a,b --x c` -> (a, b, c)."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@click.group(name="constraints")
def group() -> None:
    """Generate, check and repair constraints files (pinned dependencies of an Airflow version)."""


def _register() -> None:
    from hangar.cli.constraints import check as constraints_check
    from hangar.cli.constraints import generate as constraints_generate
    from hangar.cli.constraints import update as constraints_update

    group.add_command(constraints_generate.generate)
    group.add_command(constraints_check.check)
    group.add_command(constraints_update.update)


_register()
