"""The one place that spawns subprocesses.

Every external program (docker, git, uv, ...) runs through a `Runner`. The real runner logs the
quoted command, never uses a shell, and returns a typed result; the dry-run runner prints the
command instead of running it. Adapters take a Runner, so tests can swap in a fake.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

log = logging.getLogger("hangar.process")


@dataclass(frozen=True, kw_only=True)
class ProcessResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True, kw_only=True)
class Command:
    """A command and how to run it; `env` is added to the inherited environment."""

    args: tuple[str, ...]
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    input: str | None = None
    changes_state: bool = True  # False for read-only queries, which dry-run still runs
    # added to the environment like `env`, but never shown: not by quoted(), not in logs, not in
    # repr (for BuildKit secrets passed as `--secret id=…,env=NAME`)
    secret_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def quoted(self) -> str:
        """The command as a copy-pasteable shell line."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        line = shlex.join(self.args)
        if env:
            line = f"{env} {line}"
        if self.cwd is not None:
            line = f"(cd {shlex.quote(str(self.cwd))} && {line})"
        return line


class Runner(Protocol):
    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        """Run `command` to completion. With `stream_to`, stdout and stderr are written there
        line by line as they come (and also returned)."""
        ...


def cmd(*args: str | os.PathLike[str], **kwargs: object) -> Command:
    """Shorthand: cmd("docker", "info", changes_state=False)."""
    return Command(args=tuple(os.fspath(a) for a in args), **kwargs)  # type: ignore[arg-type]


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
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                sink.write(line)
                sink.flush()
            returncode = proc.wait()
        output = "".join(lines)
        return ProcessResult(args=command.args, returncode=returncode, stdout=output, stderr=output)


@dataclass
class DryRunRunner:
    """Prints each state-changing command instead of running it; read-only queries still run
    through `reader` so a dry run can show a faithful plan."""

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


def run_checked(runner: Runner, command: Command, *, error: type[Exception], what: str) -> str:
    """Run and return stdout, raising `error` with the last line of output on failure."""
    result = runner.run(command)
    if not result.ok:
        detail = last_line(result.stderr or result.stdout)
        raise error(f"{what} failed: {detail}" if detail else f"{what} failed")
    return result.stdout


def last_line(text: str) -> str:
    for line in reversed(text.strip().splitlines()):
        if line.strip():
            return line.strip()
    return ""


def as_args(values: Sequence[str | os.PathLike[str]]) -> tuple[str, ...]:
    return tuple(os.fspath(v) for v in values)
