"""mkdocs hook: the reference pages, generated from the code when the site is built, so they
cannot drift from it. A page line

    <!-- commands: hangar.cli.image:group hangar image -->

(module:attribute, then the command path it is called by) becomes, for that command and every
command under it, its help, its usage and a table of its options with their help and defaults;

    <!-- settings -->

becomes the table of every setting (hangar.config.SETTINGS), its default and its environment
variable; and

    <!-- readme: exit-codes -->

becomes the README's section between `<!-- exit-codes:start -->` and `<!-- exit-codes:end -->`
(a table the README's own test checks against the code), its links into the
README turned into plain text that names it.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import click

MARKER = re.compile(r"^<!-- commands: (?P<target>\S+) (?P<path>[^>]+?) -->$", re.MULTILINE)
SETTINGS_MARKER = "<!-- settings -->"
README_MARKER = re.compile(r"^<!-- readme: (?P<name>[a-z-]+) -->$", re.MULTILINE)
README = Path(__file__).resolve().parents[1] / "README.md"


def on_page_markdown(markdown: str, **_: object) -> str:
    markdown = MARKER.sub(lambda m: reference(m.group("target"), m.group("path")), markdown)
    markdown = README_MARKER.sub(lambda m: readme_section(m.group("name")), markdown)
    return markdown.replace(SETTINGS_MARKER, settings())


def readme_section(name: str) -> str:
    """The README's marked section `name`; a link to a README heading becomes its text."""
    text = README.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise ValueError(f"README.md has no section {name} (between {start} and {end})")
    section = text.split(start, 1)[1].split(end, 1)[0]
    return re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1 (README)", section).strip()


def settings() -> str:
    """Every setting: its name, environment variable, default and what it does."""
    from hangar.config import SETTINGS  # the package, importable where the site is built

    rows = [
        f"| `{name}` | `HANGAR_{name.upper()}` | {_code(default)} | {_cell(what)} |"
        for name, (default, what) in SETTINGS.items()
    ]
    return "\n".join(
        ["| setting | environment | default | what it does |", "|---|---|---|---|", *rows]
    )


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


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
