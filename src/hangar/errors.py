"""One base error and one subclass per foreseen failure, each with a documented exit code.

A HangarError carries a message that says what failed and what to do; the CLI prints it as
one line on stderr and exits with the error's code. Anything else is a bug and shows a
traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the `hangar` command (listed in the README's reference)."""

    OK = 0
    FAILURE = 1  # a check or a step failed (verify found a failing check, a build failed)
    USAGE = 2  # bad option or argument (click's own code for usage errors)
    NO_ENGINE = 3  # no Docker engine or buildx
    REGISTRY = 4  # registry unreachable or refused
    BAD_INPUT = 5  # unknown Python version, unknown extra, malformed requirement or file
    CONFLICT = 6  # dependencies cannot be resolved together
    GIT = 7  # dirty work tree, missing tag, rejected push
    NOT_FOUND = 8  # an image, file or version that does not exist
    ABORTED = 9  # the user said no at a prompt
    INTERRUPTED = 130  # Ctrl-C


class HangarError(Exception):
    """A foreseen failure: one line for the user and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def line(self) -> str:
        """The one line printed for the user: what failed, then what to do."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


class StepFailed(HangarError):
    exit_code = ExitCode.FAILURE


class BadInput(HangarError):
    exit_code = ExitCode.BAD_INPUT


class EngineUnavailable(HangarError):
    exit_code = ExitCode.NO_ENGINE


class RegistryUnavailable(HangarError):
    exit_code = ExitCode.REGISTRY


class ResolutionConflict(HangarError):
    exit_code = ExitCode.CONFLICT


class GitError(HangarError):
    exit_code = ExitCode.GIT


class NotFound(HangarError):
    exit_code = ExitCode.NOT_FOUND


class Aborted(HangarError):
    exit_code = ExitCode.ABORTED
