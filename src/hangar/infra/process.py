"""The one place that spawns subprocesses.

Every external program (docker, git, uv, ...) runs through a `Runner`. The real runner logs the
quoted command, never uses a shell, and returns a typed result; the dry-run runner prints the
command instead of running it. Adapters take a Runner, so tests can swap in a fake.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, cast

from hangar.ports import Command, ProcessResult, Runner

log = logging.getLogger("hangar.process")


class SubprocessRunner:
    """Runs commands for real."""

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        log.debug("run: %s", command.quoted())
        extra = {**command.env, **command.secret_env}
        env = {**os.environ, **extra} if extra else None
        try:
            if stream_to is None:
                done = subprocess.run(
                    command.args,
                    cwd=command.cwd,
                    env=env,
                    input=command.input,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                return ProcessResult(
                    args=command.args,
                    returncode=done.returncode,
                    stdout=done.stdout,
                    stderr=done.stderr,
                )
            return self._stream(command, env, stream_to)
        except FileNotFoundError:
            return ProcessResult(
                args=command.args, returncode=127, stderr=f"{command.args[0]}: command not found"
            )

    @staticmethod
    def _stream(command: Command, env: Mapping[str, str] | None, sink: IO[str]) -> ProcessResult:
        lines: list[str] = []
        with subprocess.Popen(
            command.args,
            cwd=command.cwd,
            env=env,
            stdin=subprocess.PIPE if command.input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as proc:
            if command.input is not None and proc.stdin is not None:
                proc.stdin.write(command.input)
                proc.stdin.close()
            for line in cast("IO[str]", proc.stdout):  # stdout=PIPE: never None
                lines.append(line)
                sink.write(line)
                sink.flush()
            returncode = proc.wait()
        output = "".join(lines)
        return ProcessResult(args=command.args, returncode=returncode, stdout=output, stderr=output)


@dataclass
class DryRunRunner:
    """Prints each state-changing command instead of running it; read-only queries still run
    through `reader` so a dry run can show a faithful plan.
    """

    out: IO[str]
    reader: Runner = field(default_factory=SubprocessRunner)
    printed: list[str] = field(default_factory=list)

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        if not command.changes_state:
            return self.reader.run(command, stream_to=stream_to)
        line = command.quoted()
        self.printed.append(line)
        self.out.write(line + "\n")
        self.out.flush()
        return ProcessResult(args=command.args, returncode=0)
