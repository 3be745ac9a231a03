"""`constraints check`: what is wrong with a constraints file, line by line: syntax,
duplicates, forbidden entries, order, and whether Airflow with the chosen extras resolves
against it for a Python version (through the Resolver port).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hangar.constraints.files import ConstraintsFile, Problem, check_order, parse
from hangar.constraints.resolve import (
    DEFAULT_INDEX_URL,
    DEFAULT_PLATFORM,
    Mode,
    ResolveRequest,
    header_facts,
)
from hangar.constraints.resolver import Resolver
from hangar.errors import BadInput, NotFound, ResolutionConflict, StepFailed

UNRESOLVABLE = "does not resolve"


@dataclass(frozen=True, kw_only=True)
class CheckRequest:
    path: Path
    python: str
    airflow_version: str | None = None  # None: the one the file's header names
    extras: tuple[str, ...] | None = None  # None: the header's
    index_url: str = DEFAULT_INDEX_URL
    platform: str = DEFAULT_PLATFORM
    resolve: bool = True


@dataclass(frozen=True, kw_only=True)
class CheckReport:
    path: Path
    python: str
    problems: tuple[Problem, ...]  # the resolution's, if any, last

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unresolvable(self) -> bool:
        return any(p.message.startswith(UNRESOLVABLE) for p in self.problems)

    def raise_for_problems(self) -> None:
        """ResolutionConflict (exit 6) when Airflow does not resolve against the file,
        StepFailed (exit 1) for any other problem.
        """
        if self.unresolvable:
            raise ResolutionConflict(
                f"{self.path}: Airflow does not resolve against it for Python {self.python}"
            )
        if self.problems:
            raise StepFailed(f"{self.path}: {len(self.problems)} problem(s)")


def check_constraints(request: CheckRequest, *, resolver: Resolver) -> CheckReport:
    """Every problem in the file. The resolution is tried only when the text has none."""
    return CheckReport(
        path=request.path, python=request.python, problems=_problems(request, resolver)
    )


def _problems(request: CheckRequest, resolver: Resolver) -> tuple[Problem, ...]:
    if not request.path.is_file():
        raise NotFound(f"{request.path} does not exist")
    parsed = parse(request.path.read_text(encoding="utf-8"))
    problems = [*parsed.problems, *check_order(parsed)]
    if not parsed.pins and not parsed.problems:
        problems.append(Problem(line_no=0, text="", message="pins nothing"))
    if problems or not request.resolve:
        return tuple(problems)
    version, header_extras = header_facts(parsed.header)
    version = request.airflow_version or version
    if version is None:
        raise BadInput(
            f"{request.path} does not say which Airflow version it is for",
            hint="pass --airflow-version",
        )
    resolve = ResolveRequest(
        airflow_version=version,
        python=request.python,
        mode=Mode.CONSTRAINTS,
        extras=request.extras if request.extras is not None else header_extras,
        exclude_newer=None,
        index_url=request.index_url,
        platform=request.platform,
    )
    try:
        resolver.check(resolve, str(request.path.resolve()))
    except ResolutionConflict as exc:
        return _conflict_problems(parsed, exc.message)
    return ()


def _conflict_problems(parsed: ConstraintsFile, message: str) -> tuple[Problem, ...]:
    """Point at each pinned line the resolver's explanation names."""
    named = {m.group(0).lower() for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9._-]*", message)}
    problems = [
        Problem(line_no=line_no, text=pin.line(), message="part of the resolution conflict")
        for pin, line_no in zip(parsed.pins, parsed.pin_lines, strict=True)
        if pin.key in named or pin.name.lower() in named
    ]
    return (Problem(line_no=0, text="", message=f"{UNRESOLVABLE}: {message}"), *problems)
