"""Releasing images: plan the tag set, copy tags in the registry, check every digest (keeping
a released version patched builds on this: hangar.image.releasing.rerelease).

Orchestration only: the registry, the builder and the image checks are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from hangar.errors import BadInput, HangarError, NotFound, RegistryUnavailable
from hangar.image.building.tags import (
    SLIM_PREFIX,
    LatestDecision,
    TagKind,
    free_dated_tag,
    latest_decision,
    release_tags,
)
from hangar.ports import Registry
from hangar.values import ImageRef, parse_ref

DEFAULT_SOURCE = "{repository}:{prefix}{version}-python{python}"
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
