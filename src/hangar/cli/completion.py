"""`hangar completion bash|zsh|fish`: the shell completion script, from click's own
mechanism (commands, options and choices complete as you type).
"""

from __future__ import annotations

import click as plain_click
import rich_click as click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_HANGAR_COMPLETE"


@click.command(name="completion")
@click.argument("shell", type=click.Choice(SHELLS))
def command(*, shell: str) -> None:
    """Print the shell completion script for SHELL.

    Load it in each shell session, e.g. from ~/.bashrc: `eval "$(hangar completion bash)"`;
    zsh: `eval "$(hangar completion zsh)"`; fish: `hangar completion fish | source`.
    """
    ctx = plain_click.get_current_context()
    root = ctx.find_root().command
    completion = get_completion_class(shell)
    if completion is None:  # pragma: no cover - click ships all three
        raise click.BadParameter(f"no completion for {shell}")
    script = completion(root, {}, "hangar", COMPLETE_VAR).source()
    click.echo(script)
