"""How commands show results: stdout for data (tables or JSON), stderr for people (progress,
notes). The only module that knows about rich's consoles, tables and progress lines.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

PIPED_WIDTH = 1000


def err_console() -> Console:
    """For people: progress, notes, messages (stderr)."""
    return Console(stderr=True)


def out_console() -> Console:
    """For data: what a script would read (stdout). Piped, it is as wide as its content, so
    a script or grep reads every line whole.
    """
    console = Console()
    return console if console.is_terminal else Console(width=PIPED_WIDTH)


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def note(text: str, *, dim: bool = False) -> None:
    """One line for people on stderr, taken literally (no markup)."""
    err_console().print(f"[dim]{escape(text)}[/]" if dim else escape(text), soft_wrap=True)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table on stdout. Cells wrap and never cut: a tag, digest or path stays whole
    (folded over lines on a narrow terminal or when piped).
    """
    shown = Table(title=title)
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*row)
    out_console().print(shown)


def progress() -> Progress:
    """Live lines on stderr, one per job: a spinner, the job's latest line, time elapsed."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console(),
        transient=False,
    )


def ok_or_failed(*, ok: bool, failed: str = "FAILED") -> str:
    return "[green]ok[/]" if ok else f"[red]{failed}[/]"
