"""`docker compose` on one project, through the one process Runner: every compose command
line hangar runs is built here. Each call is bounded (`timeout --kill-after`), queries are
marked read-only (a dry run still runs them), and results come back as they are: the quick
start explains failures from compose's own stderr (hangar.quickstart.failures).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hangar.ports import Command, ProcessResult, Runner, cmd

KILL_GRACE_SECONDS = 10
QUERY_SECONDS = 60  # ps, logs, config
DOWN_SECONDS = 120
STOP_SECONDS = 30  # what `down` gives each container to stop
UP_MARGIN_SECONDS = 30  # beyond --wait-timeout, for pulling and creating


@dataclass(frozen=True, kw_only=True)
class DockerCompose:
    runner: Runner
    directory: Path
    files: tuple[Path, ...]
    name: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)  # added to compose's environment
    docker: str = "docker"

    def _project(self) -> tuple[str, ...]:
        args = ["--project-directory", str(self.directory)]
        for path in self.files:
            args += ["-f", str(path)]
        if self.name:
            args += ["-p", self.name]
        return tuple(args)

    def _command(self, *args: str, timeout: float, changes_state: bool = True) -> Command:
        """`docker compose` with this project's files, killed after `timeout` seconds."""
        bound = ("timeout", f"--kill-after={KILL_GRACE_SECONDS}", str(int(timeout)))
        return Command(
            args=(*bound, self.docker, "compose", *self._project(), *args),
            cwd=self.directory,
            env=dict(self.env),
            changes_state=changes_state,
        )

    def version(self) -> ProcessResult:
        return self.runner.run(cmd(self.docker, "compose", "version", changes_state=False))

    def up(self, *, wait_timeout: float) -> ProcessResult:
        seconds = str(int(wait_timeout))
        return self.runner.run(
            self._command(
                "up",
                "--detach",
                "--wait",
                "--wait-timeout",
                seconds,
                timeout=wait_timeout + UP_MARGIN_SECONDS,
            )
        )

    def ps(self) -> ProcessResult:
        return self.runner.run(
            self._command(
                "ps", "--all", "--format", "json", timeout=QUERY_SECONDS, changes_state=False
            )
        )

    def down(self, *, volumes: bool) -> ProcessResult:
        args = ["down", "--remove-orphans", "--timeout", str(STOP_SECONDS)]
        if volumes:
            args.append("--volumes")
        return self.runner.run(self._command(*args, timeout=DOWN_SECONDS))

    def logs(self, service: str, *, tail: int) -> ProcessResult:
        return self.runner.run(
            self._command(
                "logs",
                "--no-color",
                "--no-log-prefix",
                "--tail",
                str(tail),
                service,
                timeout=QUERY_SECONDS,
                changes_state=False,
            )
        )

    def config(self) -> ProcessResult:
        return self.runner.run(
            self._command("config", "--format", "json", timeout=QUERY_SECONDS, changes_state=False)
        )

    def shown(self, *args: str) -> str:
        """Short: in the project's folder compose finds its files; the name is what matters."""
        name = ("-p", self.name) if self.name else ()
        return shlex.join(("docker", "compose", *name, *args))
