"""What every command shares: the config, the engine, output helpers. Built once per command
at the CLI edge and passed down."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from hangar import config as config_mod
from hangar.config import Config
from hangar.infra.docker import DockerEngine
from hangar.infra.process import SubprocessRunner
from hangar.ports import Runner


def load_config(options: Mapping[str, str | None] | None = None) -> Config:
    return config_mod.load(Path.cwd(), os.environ, options or {})


def runner() -> Runner:
    return SubprocessRunner()


def engine(run: Runner | None = None, *, check: bool = True) -> DockerEngine:
    """The Docker engine; fails fast with what to do when there is none."""
    docker = DockerEngine(runner=run or runner())
    if check:
        docker.ensure_available()
    return docker


def err_console() -> Console:
    """For people: progress, tables, messages (stderr)."""
    return Console(stderr=True)


def out_console() -> Console:
    """For data: what a script would read (stdout)."""
    return Console()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
