"""The `hangar` command: one click group per noun, errors turned into one line and an exit code."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click as plain_click
import rich_click as click

from hangar import __version__
from hangar.errors import ExitCode, HangarError

click.rich_click.TEXT_MARKUP = "markdown"
click.rich_click.SHOW_ARGUMENTS = True
click.rich_click.GROUP_ARGUMENTS_OPTIONS = True
click.rich_click.COMMAND_GROUPS = {
    "hangar": [
        {"name": "Images", "commands": ["image", "cache", "base"]},
        {"name": "Dependencies", "commands": ["constraints"]},
        {"name": "CI and local runs", "commands": ["ci", "quickstart"]},
        {"name": "Environment", "commands": ["env", "config", "completion"]},
    ]
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hangar")
@click.option("-v", "--verbose", is_flag=True, help="Print every command hangar runs.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a debug log of this run to FILE.",
)
def cli(*, verbose: bool, log_file: Path | None) -> None:
    """Build, verify, tag, cache and release production images of Apache Airflow."""
    handlers: list[logging.Handler] = []
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file))
    if handlers:
        logging.basicConfig(
            level=logging.DEBUG,
            handlers=handlers,
            format="%(asctime)s %(name)s %(message)s",
        )


def _register() -> None:
    from hangar.cli import (
        base,
        cache,
        ci,
        completion,
        config,
        constraints,
        dags,
        env,
        image,
        panels,
        quickstart,
    )

    cli.add_command(constraints.group)
    cli.add_command(image.group)
    cli.add_command(dags.group)
    cli.add_command(cache.group)
    cli.add_command(base.group)
    cli.add_command(env.group)
    cli.add_command(config.group)
    cli.add_command(quickstart.group)
    cli.add_command(ci.group)
    cli.add_command(completion.command)
    panels.arrange(cli)


_register()


def main() -> None:
    try:
        code = cli.main(standalone_mode=False)
        if isinstance(code, int):  # --help and --version return their exit code
            sys.exit(code)
    except HangarError as exc:
        click.echo(f"hangar: error: {exc.line()}", err=True)
        sys.exit(int(exc.exit_code))
    except plain_click.exceptions.Abort:
        click.echo("hangar: aborted", err=True)
        sys.exit(int(ExitCode.ABORTED))
    except plain_click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("hangar: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except plain_click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
