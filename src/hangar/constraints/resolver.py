"""The resolver port: what constraints generation and the requirements check ask of a Python
resolver (uv, behind hangar.infra.uv), and the value types it is spoken in. It belongs to the
constraints feature and imports only from it (and the ground floor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hangar.constraints.files import Pin
from hangar.constraints.resolve import ResolveRequest


@dataclass(frozen=True, kw_only=True)
class Resolution:
    """One resolver run: its inputs as texts, so an adapter can write them to files."""

    requirements: str  # the user's requirements, then the pins that hold Airflow
    constraints: str
    preferences: str  # `name==version` of what is installed: kept unless it has to move
    python: str
    platform: str
    index_url: str
    cached_only: bool = False  # answer from the resolver's cache alone, never asking the index


class Resolver(Protocol):
    def resolve(self, request: ResolveRequest) -> tuple[Pin, ...]:
        """Every distribution installed by the request, pinned. Raises ResolutionConflict
        naming the conflicting requirements when there is no solution.
        """
        ...

    def check(self, request: ResolveRequest, constraints_file: str) -> None:
        """Raise ResolutionConflict unless the request resolves within `constraints_file`."""
        ...

    def version(self) -> str:
        """The resolver and its version, e.g. `uv 0.9.5` (part of the output's identity)."""
        ...

    def resolve_with(self, resolution: Resolution) -> tuple[Pin, ...]:
        """Every distribution the resolution installs, pinned (Airflow's own included), the
        preferred versions kept where they fit (with `cached_only`, from the resolver's cache
        alone). Raises ResolutionConflict with the resolver's explanation when there is no
        solution.
        """
        ...
