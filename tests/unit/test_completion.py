"""`hangar completion SHELL` and the completion it drives, as a shell would call it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hangar.cli.main import cli

HANGAR = Path(sys.executable).with_name("hangar")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script_for_each_shell(shell: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert "_HANGAR_COMPLETE" in result.output


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["completion", "tcsh"])
    assert result.exit_code == 2


def _complete(*words: str) -> list[str]:
    env = {
        **os.environ,
        "COMP_WORDS": " ".join(("hangar", *words)),
        "COMP_CWORD": str(len(words)),
        "_HANGAR_COMPLETE": "bash_complete",
    }
    done = subprocess.run([HANGAR], env=env, capture_output=True, text=True, check=True)
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_bash_completes_commands_options_and_choices() -> None:
    assert _complete("ima") == ["image"]
    assert "--installer" in _complete("image", "build", "--inst")
    assert _complete("image", "build", "--installer", "") == ["uv", "pip"]
