"""The new images of a re-release, made in the engine and checked there before anything is
pushed: `--patch` (one layer of the pending security updates on the original released image)
and `--refresh-base` (a rebuild on the current base image from exactly the released inputs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hangar.errors import NotFound
from hangar.image.building.buildx import BuildParams
from hangar.image.inspecting.scan import python_distributions, scan_image
from hangar.image.releasing.rerelease import Candidate
from hangar.image.verifying.verify import VerifyReport
from hangar.ports import Engine, SecurityIndex
from hangar.values import ImageRef

PATCHED_FROM = "dev.hangar.patched-from"  # label: the released image a patch was built on
PATCH_DOCKERFILE = Path("scripts/docker/patch.Dockerfile")  # in the image recipe
RELEASED_CONSTRAINTS = "/home/airflow/constraints.txt"  # what every hangar image installed

Verifier = Callable[[str], VerifyReport]


def labels_of(inspected: Mapping[str, Any]) -> dict[str, str]:
    return dict((inspected.get("Config") or {}).get("Labels") or {})


def local_ref(released: ImageRef, date: str) -> str:
    """The candidate's name in the engine until it is pushed under its dated tag."""
    return f"hangar-candidate/{released.repository}:{released.tag}-{date}"


@dataclass(frozen=True, kw_only=True)
class CandidateChecks:
    """What every candidate must pass (the image checks, no security update pending), and
    what every maker does alike: find what needs fixing, push what passed.
    """

    engine: Engine
    index: SecurityIndex
    verify: Verifier

    def needing_fixes(self, released: ImageRef, digest: str) -> str | None:
        """The released image, pulled by digest, when it has security updates pending; None
        when it has nothing to fix.
        """
        current = f"{released.name}@{digest}"
        self.engine.pull(current)
        return None if scan_image(self.engine, self.index, current).clean else current

    def push(self, candidate: Candidate, ref: str) -> None:
        self.engine.tag(candidate.local_ref, ref)
        self.engine.push(ref)

    def problems(self, ref: str) -> tuple[str, ...]:
        report = self.verify(ref)
        found = [f"check {r.name} failed" for r in report.results if not r.passed]
        pending = scan_image(self.engine, self.index, ref).pending
        if pending:
            names = ", ".join(p.package for p in pending)
            found.append(f"{len(pending)} security update(s) still pending ({names})")
        return tuple(found)


@dataclass(frozen=True, kw_only=True)
class PatchMaker:
    """`--patch`: the pending security updates, exactly those versions, as one layer on top
    of the original released image (a patched image is never patched again: its label names
    the image it was built on).
    """

    engine: Engine
    index: SecurityIndex
    checks: CandidateChecks
    build: Callable[[BuildParams], None]  # one buildx build into the engine
    recipe: Path  # the folder holding scripts/docker/patch.Dockerfile
    scratch: Path  # an empty folder: the patch needs no build context
    security_mirror: str
    date: str

    def make(self, python: str, released: ImageRef, digest: str) -> Candidate | None:
        current = self.checks.needing_fixes(released, digest)
        if current is None:
            return None
        inspected = self.engine.inspect_image(current)
        original = labels_of(inspected).get(PATCHED_FROM) or digest
        base = f"{released.name}@{original}"
        if original != digest:
            self.engine.pull(base)
        report = scan_image(self.engine, self.index, base)
        packages = " ".join(f"{p.package}={p.fixed}" for p in report.pending)
        user = (inspected.get("Config") or {}).get("User") or "root"
        ref = local_ref(released, self.date)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.build(
            BuildParams(
                context=self.scratch,
                python=python,
                base_image=base,
                dockerfile=self.recipe / PATCH_DOCKERFILE,
                target=None,
                build_args=(
                    ("BASE_IMAGE", base),
                    ("PACKAGES", packages),
                    ("CODENAME", report.debian.codename),
                    ("SECURITY_MIRROR", self.security_mirror),
                    ("ORIGINAL_USER", user),
                    ("PATCHED_FROM", original),
                    ("PATCH_DATE", self.date),
                ),
                tags=(ref,),
            )
        )
        return Candidate(
            python=python,
            local_ref=ref,
            released=current,
            what=f"{len(report.pending)} security update(s)",
        )

    def check(self, candidate: Candidate) -> tuple[str, ...]:
        return self.checks.problems(candidate.local_ref)

    def push(self, candidate: Candidate, ref: str) -> None:
        self.checks.push(candidate, ref)


@dataclass(frozen=True, kw_only=True)
class Rebuild:
    """What `--refresh-base` rebuilds from: the released image's own inputs."""

    python: str
    airflow_version: str
    extras: tuple[str, ...]
    uid: str
    constraints: bytes  # the file the released image installed
    tag: str  # where the engine keeps the rebuilt image


@dataclass(frozen=True, kw_only=True)
class RebuildMaker:
    """`--refresh-base`: the released version rebuilt on the current base image from exactly
    its released inputs (its constraints, extras and UID, read from the image), so the Python
    environment is the same (checked) and only the operating system moves on.
    """

    engine: Engine
    index: SecurityIndex
    checks: CandidateChecks
    rebuild: Callable[[Rebuild], None]  # a no-cache, fresh-base build into the engine
    date: str

    def make(self, python: str, released: ImageRef, digest: str) -> Candidate | None:
        current = self.checks.needing_fixes(released, digest)
        if current is None:
            return None
        labels = labels_of(self.engine.inspect_image(current))
        constraints = self.engine.read_file(current, RELEASED_CONSTRAINTS)
        if constraints is None:
            raise NotFound(
                f"{current} has no {RELEASED_CONSTRAINTS}: its inputs are unknown",
                hint="use --patch, which keeps the released Python environment as it is",
            )
        ref = local_ref(released, self.date)
        extras = labels.get("org.apache.airflow.extras", "")
        self.rebuild(
            Rebuild(
                python=python,
                airflow_version=labels.get("org.apache.airflow.version", ""),
                extras=tuple(e for e in extras.split(",") if e),
                uid=labels.get("org.apache.airflow.uid", "50000"),
                constraints=constraints,
                tag=ref,
            )
        )
        return Candidate(
            python=python, local_ref=ref, released=current, what="rebuilt on the current base"
        )

    def check(self, candidate: Candidate) -> tuple[str, ...]:
        found = list(self.checks.problems(candidate.local_ref))
        new, old = (
            python_distributions(self.engine, ref, self.engine.inspect_image(ref))
            for ref in (candidate.local_ref, candidate.released)
        )
        if old != new:
            changed = sorted({d.name for d in set(old) ^ set(new)})
            found.append(f"the Python environment changed ({', '.join(changed[:8])})")
        return tuple(found)

    def push(self, candidate: Candidate, ref: str) -> None:
        self.checks.push(candidate, ref)
