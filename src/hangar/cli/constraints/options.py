"""The options `constraints generate` and `constraints check` share (`--output` is the common
one from hangar.cli.options).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import rich_click as click

from hangar.constraints.resolve import DEFAULT_INDEX_URL, DEFAULT_PLATFORM

F = TypeVar("F", bound=Callable[..., object])


def index_options(func: F) -> F:
    """--index-url and --platform: where and for which platform to resolve."""
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
