"""Every command with more than ten options shows them in named panels, so `--help` of
`hangar image build` reads as groups, not as one list of 45.
"""

from __future__ import annotations

import rich_click as click
from click.testing import CliRunner

from hangar.cli.main import cli
from hangar.cli.panels import PANELLED, commands, panel_of


def test_every_option_of_a_long_command_has_a_panel() -> None:
    long = 0
    for path, command in commands(cli, "hangar"):
        options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
        if len(options) <= PANELLED:
            continue
        long += 1
        unplaced = [
            o.name for o in options if o.name != "help" and not panel_of(path, o.name or "")
        ]
        assert not unplaced, f"{path}: {unplaced} in no panel (cli/panels.py)"
    assert long >= 6  # image build, cache refresh, ci build-image, ci run, release, generate…


def test_image_build_help_reads_as_groups() -> None:
    shown = CliRunner().invoke(cli, ["image", "build", "--help"], terminal_width=120).output
    titles = [
        line.split("─ ", 1)[1].split(" ─", 1)[0] for line in shown.splitlines() if "╭─ " in line
    ]
    assert titles[:3] == ["Airflow and Python", "Debian and the base image", "Constraints"]
    assert "What it makes and where it goes" in titles
    options_panel = shown.split("╭─ Options ")[1]
    assert "--help" in options_panel
    assert "--push" not in options_panel  # in its own panel
