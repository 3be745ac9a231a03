"""The resolver behind `hangar constraints`: uv, run through the one process Runner.

uv resolves for a given Python version and platform without that interpreter, reads only the
index it is given (`--no-config`; pip's configuration is never consulted), and keeps its
cache between runs, so resolving for several Python versions costs little more than one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hangar.constraints.files import Pin
from hangar.constraints.resolve import (
    ResolveRequest,
    conflict_explanation,
    parse_resolution,
    uv_compile_args,
    uv_pip_compile,
)
from hangar.constraints.resolver import Resolution
from hangar.errors import ResolutionConflict, StepFailed
from hangar.ports import Runner, cmd


def find_uv() -> str:
    """The uv binary of the installed `uv` package (never whatever `uv` is on PATH)."""
    import uv

    return os.fspath(uv.find_uv_bin())


@dataclass(frozen=True, kw_only=True)
class UvResolver:
    runner: Runner
    uv_bin: str = field(default_factory=find_uv)
    cache_dir: str | None = None  # uv's default cache when None

    def _env(self) -> dict[str, str]:
        env = {"UV_NO_PROGRESS": "1"}
        if self.cache_dir is not None:
            env["UV_CACHE_DIR"] = self.cache_dir
        return env

    def resolve(self, request: ResolveRequest) -> tuple[Pin, ...]:
        stdout = self._compile(request, constraints_file=None)
        return parse_resolution(stdout)

    def check(self, request: ResolveRequest, constraints_file: str) -> None:
        self._compile(request, constraints_file=constraints_file)

    def _compile(self, request: ResolveRequest, *, constraints_file: str | None) -> str:
        command = cmd(
            self.uv_bin,
            *uv_compile_args(request, constraints_file=constraints_file),
            input="\n".join(request.requirements()) + "\n",
            env=self._env(),
            changes_state=False,
        )
        result = self.runner.run(command)
        if result.ok:
            return result.stdout
        raise _failure(
            result.stderr,
            f"Airflow {request.airflow_version} ({request.mode.value}) on Python {request.python}",
        )

    def resolve_with(self, resolution: Resolution) -> tuple[Pin, ...]:
        """`uv pip compile` of the resolution's requirements, its preferences given as the
        existing output file (uv keeps those versions where they fit); `cached_only` runs it
        `--offline`, from uv's cache alone.
        """
        with tempfile.TemporaryDirectory(prefix="hangar-requirements-") as tmp:
            folder = Path(tmp)
            files = {
                "requirements.in": resolution.requirements,
                "constraints.txt": resolution.constraints,
                "resolved.txt": resolution.preferences,
            }
            for name, text in files.items():
                (folder / name).write_text(text)
            command = cmd(
                self.uv_bin,
                *uv_pip_compile(
                    index_url=resolution.index_url,
                    python=resolution.python,
                    platform=resolution.platform,
                ),
                folder / "requirements.in",
                *(("--constraint", folder / "constraints.txt") if resolution.constraints else ()),
                *(("--offline",) if resolution.cached_only else ()),
                "--output-file",
                folder / "resolved.txt",
                env=self._env(),
                changes_state=False,
            )
            result = self.runner.run(command)
            if not result.ok:
                raise _failure(result.stderr, "the requirements")
            return parse_resolution((folder / "resolved.txt").read_text(), keep=lambda _: True)

    def version(self) -> str:
        return _uv_version(self.runner, self.uv_bin)


def _failure(stderr: str, what: str) -> ResolutionConflict | StepFailed:
    explanation = conflict_explanation(stderr)
    if "No solution found" in stderr or "unsatisfiable" in stderr:
        return ResolutionConflict(
            f"{what} cannot be resolved: {explanation}",
            hint="relax or change the conflicting requirements named above",
        )
    return StepFailed(f"resolving {what} failed: {explanation}")


def _uv_version(runner: Runner, uv_bin: str) -> str:
    result = runner.run(cmd(uv_bin, "--version", changes_state=False))
    if not result.ok:
        raise StepFailed(f"{uv_bin} --version failed: {result.stderr.strip()}")
    # `uv 0.9.5 (abc 2025-01-01)` -> `uv 0.9.5`
    return " ".join(result.stdout.split()[:2])
