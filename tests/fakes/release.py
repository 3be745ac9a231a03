"""A candidate maker for re-releases, in memory: its 'images' are digests it pushes into a
FakeRegistry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hangar.image.releasing.rerelease import Candidate
from hangar.values import ImageRef, parse_ref
from tests.fakes.registry import FakeRegistry


@dataclass
class FakeMaker:
    registry: FakeRegistry
    new_digests: dict[str, str]  # python -> the digest its candidate gets when pushed
    nothing_for: frozenset[str] = frozenset()  # Pythons whose image has nothing to fix
    problems: dict[str, tuple[str, ...]] = field(default_factory=dict)
    made: list[tuple[str, str]] = field(default_factory=list)  # (python, released digest)
    pushed: list[str] = field(default_factory=list)

    def make(self, python: str, released: ImageRef, digest: str) -> Candidate | None:
        self.made.append((python, digest))
        if python in self.nothing_for:
            return None
        return Candidate(
            python=python,
            local_ref=f"local/{python}",
            released=f"{released.name}@{digest}",
            what="2 security updates",
        )

    def check(self, candidate: Candidate) -> tuple[str, ...]:
        return self.problems.get(candidate.python, ())

    def push(self, candidate: Candidate, ref: str) -> None:
        target = parse_ref(ref)
        self.registry.tags.setdefault(target.repository, {})[target.reference] = self.new_digests[
            candidate.python
        ]
        self.pushed.append(ref)
