"""Fakes for the constraints adapters: a resolver and an index that answer from memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hangar.constraints.files import Pin
from hangar.constraints.resolve import ResolveRequest
from hangar.constraints.resolver import Resolution
from hangar.errors import NotFound, ResolutionConflict


@dataclass
class FakeResolver:
    """Resolves every request to `pins` (or raises `conflict`), recording what it was asked."""

    pins: tuple[Pin, ...] = ()
    conflict: str | None = None
    tool: str = "uv 0.0.0"
    requests: list[ResolveRequest] = field(default_factory=list)
    outcomes: list[tuple[Pin, ...] | str] = field(default_factory=list)  # for resolve_with
    resolutions: list[Resolution] = field(default_factory=list)

    def resolve(self, request: ResolveRequest) -> tuple[Pin, ...]:
        self.requests.append(request)
        if self.conflict is not None:
            raise ResolutionConflict(self.conflict)
        return self.pins

    def check(self, request: ResolveRequest, constraints_file: str) -> None:
        self.resolve(request)

    def version(self) -> str:
        return self.tool

    def resolve_with(self, resolution: Resolution) -> tuple[Pin, ...]:
        """The next of `outcomes`: pins, or a conflict's explanation."""
        self.resolutions.append(resolution)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, str):
            raise ResolutionConflict(outcome)
        return outcome


@dataclass
class FakeIndex:
    """Upload times and Requires-Python per (project, version); a missing release raises
    NotFound (a release without a Requires-Python here names none).
    """

    times: dict[tuple[str, str], datetime | None] = field(default_factory=dict)
    requires: dict[tuple[str, str], str] = field(default_factory=dict)
    extras: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    projects: frozenset[str] = frozenset()  # besides those with a release above

    def provides_extra(self, project: str, version: str) -> tuple[str, ...]:
        if (project, version) not in self.extras:
            raise NotFound(f"{project} {version} is not on the index")
        return self.extras[(project, version)]

    def has_project(self, project: str) -> bool:
        known = {p for p, _v in (*self.times, *self.requires, *self.extras)}
        return project in known | self.projects

    def requires_python(self, project: str, version: str) -> str:
        if (project, version) not in self.times and (project, version) not in self.requires:
            raise NotFound(f"{project} {version} is not on the index")
        return self.requires.get((project, version), "")

    def release_upload_time(self, project: str, version: str) -> datetime | None:
        if (project, version) not in self.times:
            raise NotFound(f"{project} {version} is not on the index")
        return self.times[(project, version)]
