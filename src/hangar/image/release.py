"""Releasing images: plan the tag set, copy tags in the registry, check every digest; and the
security refresh of a released version (rebuild, verify, only then move its tags).

Orchestration only: the registry, the builder and the image checks are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from hangar.errors import BadInput, HangarError, NotFound, RegistryUnavailable
from hangar.image.request import BuildJob
from hangar.image.tags import (
    SLIM_PREFIX,
    LatestDecision,
    TagKind,
    free_dated_tag,
    latest_decision,
    release_tags,
)
from hangar.image.verify import VerifyReport
from hangar.ports import Registry
from hangar.values import ImageRef, parse_ref

DEFAULT_SOURCE = "{repository}:{prefix}{version}-python{python}"
CANDIDATE_SOURCE = "{repository}:{prefix}{version}-python{python}-candidate"
SOURCE_FIELDS = "{repository} {registry} {image_name} {prefix} {version} {python}"


@dataclass(frozen=True, kw_only=True)
class ReleaseParams:
    repository: str  # registry/name the tags go to, e.g. 127.0.0.1:5000/airflow
    version: str
    pythons: tuple[str, ...]
    default_python: str
    slim: bool = False
    source: str = DEFAULT_SOURCE  # pattern of the per-Python source images
    skip_latest: bool = False
    date: str | None = None  # YYYYMMDD: also give each image its dated tag

    @property
    def prefix(self) -> str:
        return SLIM_PREFIX if self.slim else ""


class Action(StrEnum):
    COPY = "copy"  # point the tag at the source's manifest
    KEEP = "keep"  # the tag is the source itself: only checked


@dataclass(frozen=True, kw_only=True)
class PlannedTag:
    tag: str  # full reference
    kind: TagKind
    python: str
    source: str  # full reference
    digest: str  # what the tag must resolve to afterwards
    current: str | None  # what it resolves to now (None: new tag)
    action: Action


@dataclass(frozen=True, kw_only=True)
class ReleasePlan:
    params: ReleaseParams
    latest: LatestDecision
    tags: tuple[PlannedTag, ...]

    @property
    def changes(self) -> tuple[PlannedTag, ...]:
        return tuple(t for t in self.tags if t.action is Action.COPY and t.current != t.digest)


@dataclass(frozen=True, kw_only=True)
class TagCheck:
    tag: str
    expected: str
    actual: str | None

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


@dataclass(frozen=True, kw_only=True)
class ReleaseResult:
    plan: ReleasePlan
    checks: tuple[TagCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def source_ref(params: ReleaseParams, python: str) -> ImageRef:
    repo = parse_ref(params.repository)
    try:
        text = params.source.format(
            repository=params.repository,
            registry=repo.registry,
            image_name=repo.repository,
            prefix=params.prefix,
            version=params.version,
            python=python,
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise BadInput(
            f"bad --source pattern {params.source!r}", hint=f"fields you can use: {SOURCE_FIELDS}"
        ) from exc
    return parse_ref(text)


def plan_release(params: ReleaseParams, registry: Registry) -> ReleasePlan:
    """Resolve every source image and decide which tags move where (reads the registry only)."""
    if not params.pythons:
        raise BadInput("no Python version to release", hint="pass --python")
    target = parse_ref(params.repository)
    registry.ensure_available()
    digests: dict[str, tuple[ImageRef, str]] = {}
    for python in params.pythons:
        source = source_ref(params, python)
        if source.registry != target.registry:
            raise BadInput(
                f"source {source} is not in the registry {target.registry}",
                hint="push it there first; tags are copied inside one registry",
            )
        digest = registry.digest(source.repository, source.reference)
        if digest is None:
            raise NotFound(
                f"source image {source} is not in the registry",
                hint=f"build and push it first: hangar image build --python {python} --push",
            )
        digests[python] = (source, digest)
    existing = registry.list_tags(target.repository)
    latest = latest_decision(params.version, existing, skip_latest=params.skip_latest)
    tags: list[PlannedTag] = (
        _dated(params, registry, target, digests, existing) if params.date else []
    )
    for wanted in release_tags(
        version=params.version,
        pythons=params.pythons,
        default_python=params.default_python,
        slim=params.slim,
        move_latest=latest.move,
    ):
        source, digest = digests[wanted.python]
        ref = target.with_tag(wanted.tag)
        same = source.repository == ref.repository and source.tag == ref.tag
        tags.append(
            PlannedTag(
                tag=str(ref),
                kind=wanted.kind,
                python=wanted.python,
                source=str(source),
                digest=digest,
                current=digest if same else _current(registry, ref, existing),
                action=Action.KEEP if same else Action.COPY,
            )
        )
    return ReleasePlan(params=params, latest=latest, tags=tuple(tags))


def _dated(
    params: ReleaseParams,
    registry: Registry,
    target: ImageRef,
    digests: Mapping[str, tuple[ImageRef, str]],
    existing: Sequence[str],
) -> list[PlannedTag]:
    """Each image's immutable dated tag (`X.Y.Z-pythonA.B-YYYYMMDD`), made once."""
    date = params.date or ""
    planned = []
    for python, (source, digest) in digests.items():
        known = {t: registry.digest(target.repository, t) for t in existing if date in t}
        version_tag = f"{params.prefix}{params.version}-python{python}"
        tag, same = free_dated_tag(version_tag, date, known, digest)
        planned.append(
            PlannedTag(
                tag=str(target.with_tag(tag)),
                kind=TagKind.DATED,
                python=python,
                source=str(source),
                digest=digest,
                current=digest if same else None,
                action=Action.COPY,
            )
        )
    return planned


def _current(registry: Registry, ref: ImageRef, existing: Sequence[str]) -> str | None:
    return registry.digest(ref.repository, ref.reference) if ref.tag in existing else None


def execute_release(plan: ReleasePlan, registry: Registry) -> ReleaseResult:
    """Move every tag the plan changes, in the plan's order (version tags before `latest`),
    then check each tag resolves to the digest it should. Cut short by the registry, it says
    how far it got; the same command again moves only what is left.
    """
    changes = plan.changes
    for done, item in enumerate(changes):
        source, target = parse_ref(item.source), parse_ref(item.tag)
        try:
            registry.copy(
                source_repository=source.repository,
                source_reference=item.digest,  # by digest: what was planned, even if the tag moved
                repository=target.repository,
                tag=target.reference,
            )
        except HangarError as exc:
            moved = ", ".join(t.tag.rsplit(":", 1)[-1] for t in changes[:done]) or "none"
            raise RegistryUnavailable(
                f"the release stopped after {done} of {len(changes)} tag changes "
                f"({exc.message}); moved: {moved}",
                hint="run the same command again: it moves only the tags that are left",
            ) from exc
    return ReleaseResult(plan=plan, checks=check_tags(plan, registry))


def check_tags(plan: ReleasePlan, registry: Registry) -> tuple[TagCheck, ...]:
    checks = []
    for item in plan.tags:
        ref = parse_ref(item.tag)
        actual = registry.digest(ref.repository, ref.reference)
        checks.append(TagCheck(tag=item.tag, expected=item.digest, actual=actual))
    return tuple(checks)


# -- security refresh of a released version ---------------------------------------------------


class Builder(Protocol):
    def build(self, jobs: Sequence[BuildJob]) -> None:
        """Build the jobs' images into the engine; raise StepFailed when a build fails."""
        ...

    def push(self, ref: str) -> None:
        """Push an image from the engine to its registry."""
        ...


Verifier = Callable[[str], VerifyReport]


@dataclass(frozen=True, kw_only=True)
class RefreshParams:
    release: ReleaseParams
    builds: tuple[BuildJob, ...]  # one per Python version, each tagged with its candidate
    candidate: str = CANDIDATE_SOURCE


@dataclass(frozen=True, kw_only=True)
class RefreshResult:
    candidates: tuple[str, ...]
    reports: tuple[VerifyReport, ...]
    release: ReleaseResult | None  # None: a check failed and no tag moved

    @property
    def failed_checks(self) -> dict[str, tuple[str, ...]]:
        return {
            r.image: tuple(c.name for c in r.results if not c.passed)
            for r in self.reports
            if not r.passed
        }

    @property
    def ok(self) -> bool:
        return self.release is not None and self.release.ok


def candidate_refs(params: RefreshParams) -> tuple[str, ...]:
    release = replace(params.release, source=params.candidate)
    return tuple(str(source_ref(release, python)) for python in params.release.pythons)


def refresh_base(
    params: RefreshParams,
    *,
    builder: Builder,
    verify: Verifier,
    registry: Registry,
    on_step: Callable[[str], None] = lambda _: None,
) -> RefreshResult:
    """Rebuild each Python's image on the current base under a candidate tag, push it, run the
    image checks on it, and only when every candidate passes move the release's tags to the
    candidates. When a check fails nothing moves.
    """
    registry.ensure_available()
    candidates = candidate_refs(params)
    on_step(f"building {', '.join(candidates)}")
    builder.build(params.builds)
    for ref in candidates:
        on_step(f"pushing {ref}")
        builder.push(ref)
    reports: list[VerifyReport] = []
    for ref in candidates:
        on_step(f"verifying {ref}")
        reports.append(verify(ref))
    if not all(r.passed for r in reports):
        return RefreshResult(candidates=candidates, reports=tuple(reports), release=None)
    on_step("moving the tags")
    plan = plan_release(replace(params.release, source=params.candidate), registry)
    return RefreshResult(
        candidates=candidates, reports=tuple(reports), release=execute_release(plan, registry)
    )
