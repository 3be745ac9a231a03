"""mkdocs hook: the command reference, generated from the click commands themselves when the
site is built, so it cannot drift from the code. A page holds a line

    <!-- commands: hangar.cli.image:group hangar image -->

(module:attribute, then the command path it is called by) and gets, for that command and every
command under it, its help, its usage and a table of its options with their help and defaults.
"""

from __future__ import annotations

import importlib
import re

import click

MARKER = re.compile(r"^<!-- commands: (?P<target>\S+) (?P<path>[^>]+?) -->$", re.MULTILINE)


def on_page_markdown(markdown: str, **_: object) -> str:
    return MARKER.sub(lambda m: reference(m.group("target"), m.group("path")), markdown)


def reference(target: str, path: str) -> str:
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    return "\n".join(_sections(command, path, level=2))


def _sections(command: click.Command, path: str, *, level: int) -> list[str]:
    ctx = click.Context(command, info_name=path)
    lines = [f"{'#' * level} {path}", "", _text(command.help or ""), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += [f"Usage: `{path} {usage}`", ""]
    found = (_row(p, ctx) for p in command.get_params(ctx) if isinstance(p, click.Option))
    rows = [r for r in found if r]
    if rows:
        lines += ["| option | value | what it does | default |", "|---|---|---|---|", *rows, ""]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not sub.hidden:
            lines += _sections(sub, f"{path} {name}", level=min(level + 1, 4))
    return lines


def _row(option: click.Option, ctx: click.Context) -> str | None:
    if option.hidden:
        return None
    names = ", ".join(f"`{o}`" for o in (*option.opts, *option.secondary_opts))
    value = "" if option.is_flag else f"`{option.make_metavar(ctx)}`"
    default = option.default
    shown = (
        ""
        if default in (None, False, (), "") or "UNSET" in repr(default) or option.is_flag
        else f"`{default}`"
    )
    return f"| {names} | {value} | {_cell(option.help or '')} | {shown} |"


def _text(text: str) -> str:
    """The help text as Markdown: paragraphs kept, click's no-rewrap markers dropped."""
    return "\n".join(line.strip() for line in text.replace("\b", "").splitlines())


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
