"""Constraints files: parse, check, render and compare. Pure logic, no I/O.

A constraints file is a `#` header followed by sorted `name==version` lines, one per
distribution. It never pins Airflow's own distributions (they are what is being installed)
and never holds editable installs, URLs or paths: it must work for anyone, anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# Airflow's own distributions: the thing being installed, so never constrained (as Airflow does).
AIRFLOW_DISTRIBUTIONS = frozenset(
    {"apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk"}
)

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;#]+)$")
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


@dataclass(frozen=True, kw_only=True, order=True)
class Pin:
    """One `name==version` line. `name` is kept as written; `key` is the canonical name."""

    key: str
    name: str
    version: str

    @classmethod
    def of(cls, name: str, version: str) -> Pin:
        return cls(key=canonicalize_name(name), name=name, version=version)

    def line(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Something wrong in a constraints file, at a 1-based line number (0: the file as a whole)."""

    line_no: int
    text: str
    message: str

    def render(self, path: str) -> str:
        where = f"{path}:{self.line_no}" if self.line_no else path
        return f"{where}: {self.message}" + (f": {self.text}" if self.text else "")


@dataclass(frozen=True, kw_only=True)
class ConstraintsFile:
    header: tuple[str, ...]
    pins: tuple[Pin, ...]
    problems: tuple[Problem, ...]
    pin_lines: tuple[int, ...]  # 1-based line number of each pin, same order as `pins`

    def by_key(self) -> dict[str, Pin]:
        return {pin.key: pin for pin in self.pins}

    def line_of(self, key: str) -> int | None:
        for pin, line_no in zip(self.pins, self.pin_lines, strict=True):
            if pin.key == key:
                return line_no
        return None


def parse_pin(text: str) -> Pin:
    """Parse `name==version` as given on a command line; raises ValueError saying what is wrong."""
    match = _PIN.match(text.strip())
    if match is None or not _NAME.match(match["name"]):
        raise ValueError(f"{text!r} is not of the form name==version")
    try:
        Version(match["version"])
    except InvalidVersion:
        raise ValueError(f"{match['version']!r} in {text!r} is not a valid version") from None
    return Pin.of(match["name"], match["version"])


def parse(text: str) -> ConstraintsFile:
    """Parse a constraints file, collecting every problem with its line number."""
    header: list[str] = []
    pins: list[Pin] = []
    pin_lines: list[int] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    in_header = True
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#") or not line:
            if in_header:
                header.append(raw)
            continue
        in_header = False
        problem = _line_problem(line)
        if problem is not None:
            problems.append(Problem(line_no=line_no, text=line, message=problem))
            continue
        match = cast("re.Match[str]", _PIN.match(line))  # _line_problem accepted it
        pin = Pin.of(match["name"], match["version"])
        if pin.key in AIRFLOW_DISTRIBUTIONS:
            problems.append(
                Problem(
                    line_no=line_no,
                    text=line,
                    message=f"{pin.key} must not be pinned (it is what the constraints are for)",
                )
            )
            continue
        if pin.key in seen:
            problems.append(
                Problem(
                    line_no=line_no,
                    text=line,
                    message=f"duplicate of line {seen[pin.key]} ({pin.key})",
                )
            )
            continue
        seen[pin.key] = line_no
        pins.append(pin)
        pin_lines.append(line_no)
    return ConstraintsFile(
        header=tuple(header),
        pins=tuple(pins),
        problems=tuple(problems),
        pin_lines=tuple(pin_lines),
    )


def _line_problem(line: str) -> str | None:
    """Why a non-comment line is not an acceptable `name==version` line, or None if it is."""
    return _form_problem(line) or _pin_problem(line)


def _form_problem(line: str) -> str | None:
    """Options, URLs, paths and markers: what a constraints file never holds."""
    if line.startswith("-"):
        return "options such as -e, -r or --index-url are not allowed in a constraints file"
    if "://" in line or " @ " in line or line.startswith((".", "/", "~")):
        return "URLs and paths are not allowed; pin a released version as name==version"
    if ";" in line:
        return "environment markers are not allowed; the file is for one Python version"
    return None


def _pin_problem(line: str) -> str | None:
    """What is wrong with a line meant as `name==version`."""
    match = _PIN.match(line)
    if match is None:
        return "not of the form name==version"
    if not _NAME.match(match["name"]):
        return "invalid distribution name"
    try:
        Version(match["version"])
    except InvalidVersion:
        return f"invalid version {match['version']!r}"
    return None


def check_order(parsed: ConstraintsFile) -> tuple[Problem, ...]:
    """Pins out of order (files are sorted by canonical name so diffs stay small)."""
    problems: list[Problem] = []
    for (before, after), line_no in zip(
        zip(parsed.pins, parsed.pins[1:], strict=False), parsed.pin_lines[1:], strict=False
    ):
        if after.key < before.key:
            problems.append(
                Problem(
                    line_no=line_no,
                    text=after.line(),
                    message=f"not sorted (comes after {before.key})",
                )
            )
    return tuple(problems)


def keep_pin(pin: Pin) -> bool:
    """Whether a resolved distribution belongs in a constraints file."""
    return pin.key not in AIRFLOW_DISTRIBUTIONS


def render(*, header: Sequence[str], pins: Iterable[Pin]) -> str:
    r"""The file's text: header lines (each starting with `#`), then pins sorted by canonical
    name; `\n` line endings and a final newline, so the same inputs give the same bytes.
    """
    for line in header:
        if not line.startswith("#"):
            raise ValueError(f"header line does not start with '#': {line!r}")
    body = sorted({pin.key: pin for pin in pins if keep_pin(pin)}.values())
    lines = [*header, *(pin.line() for pin in body)]
    return "\n".join(lines) + "\n"


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"


@dataclass(frozen=True, kw_only=True)
class Change:
    kind: ChangeKind
    name: str
    old: str | None
    new: str | None

    def describe(self) -> str:
        if self.kind is ChangeKind.ADDED:
            return f"+ {self.name}=={self.new}"
        if self.kind is ChangeKind.REMOVED:
            return f"- {self.name}=={self.old}"
        return f"~ {self.name} {self.old} -> {self.new}"


def diff(old: Iterable[Pin], new: Iterable[Pin]) -> tuple[Change, ...]:
    """What changed between two sets of pins, sorted by name."""
    before = {pin.key: pin for pin in old}
    after = {pin.key: pin for pin in new}
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was is None and now is not None:
            changes.append(Change(kind=ChangeKind.ADDED, name=now.name, old=None, new=now.version))
        elif now is None and was is not None:
            changes.append(
                Change(kind=ChangeKind.REMOVED, name=was.name, old=was.version, new=None)
            )
        elif was is not None and now is not None and was.version != now.version:
            kind = _direction(was.version, now.version)
            changes.append(Change(kind=kind, name=now.name, old=was.version, new=now.version))
    return tuple(changes)


def _direction(old: str, new: str) -> ChangeKind:
    try:
        up = Version(new) > Version(old)
    except InvalidVersion:
        up = new > old
    return ChangeKind.UPGRADED if up else ChangeKind.DOWNGRADED


def summarize(changes: Sequence[Change]) -> dict[str, int]:
    """How many of each kind of change, for a one-line summary."""
    return {kind.value: sum(1 for c in changes if c.kind is kind) for kind in ChangeKind}
