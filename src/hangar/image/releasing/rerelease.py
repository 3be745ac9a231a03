"""Keeping a released version patched: publish a new image for it under an immutable dated
tag, and only after it passed its checks move the version's floating tags to it; or move
them back to an earlier dated tag (rollback).

A released image's floating tags are `X.Y.Z-pythonA.B` and, where they point at that same
image, `X.Y.Z`, `latest-pythonA.B` and `latest`. Every digest a floating tag ever had keeps a
dated tag, `X.Y.Z-pythonA.B-YYYYMMDD` (`.N` added when a day has several), so a user can pin
it and a rollback can return to it. Orchestration only: the registry, the candidate maker
(patch or rebuild, in the engine), the checks and the push are passed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from hangar.errors import NotFound, StepFailed
from hangar.image.building.tags import (
    LatestDecision,
    TagKind,
    check_date,
    dated_tag,
    dated_tags_of,
    free_dated_tag,
    release_tags,
)
from hangar.image.releasing.release import (
    Action,
    PlannedTag,
    ReleaseParams,
    ReleasePlan,
    ReleaseResult,
    execute_release,
)
from hangar.ports import INDEX_TYPES, Registry
from hangar.values import ImageRef, parse_ref


def version_tag(params: ReleaseParams, python: str) -> str:
    """`[slim-]X.Y.Z-pythonA.B`: the floating tag of one Python's image of the version."""
    return f"{params.prefix}{params.version}-python{python}"


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A new image for one Python version, in the engine (not pushed yet)."""

    python: str
    local_ref: str
    released: str  # the released image it replaces, by digest
    what: str  # e.g. "7 security updates" or "rebuilt on the current base"


class CandidateMaker(Protocol):
    def make(self, python: str, released: ImageRef, digest: str) -> Candidate | None:
        """A patched or rebuilt image of the released `released@digest`, or None when it has
        nothing to fix.
        """
        ...

    def check(self, candidate: Candidate) -> tuple[str, ...]:
        """What is wrong with the candidate (failed image checks, updates still pending);
        () when it may be released.
        """
        ...

    def push(self, candidate: Candidate, ref: str) -> None:
        """Push the candidate to `ref` (its dated tag)."""
        ...


@dataclass(frozen=True, kw_only=True)
class Floating:
    """One Python's image of the released version: where its version tag points now."""

    python: str
    ref: ImageRef  # the `X.Y.Z-pythonA.B` tag
    digest: str


DateOf = Callable[[Floating], str]  # the YYYYMMDD a released image was made
CREATED_LABEL = "org.opencontainers.image.created"


def created_day(registry: Registry, item: Floating) -> str | None:
    """The YYYYMMDD a released image was made (its `created` label), read from the registry
    (the config of its first platform's image); None when it says none.
    """
    repository = item.ref.repository
    media_type, body = registry.manifest(repository, item.digest)
    manifest = json.loads(body)
    if media_type in INDEX_TYPES:
        children = [
            c
            for c in manifest.get("manifests", [])
            if (c.get("annotations") or {}).get("vnd.docker.reference.type")
            != "attestation-manifest"
        ]
        if not children:
            return None
        manifest = json.loads(registry.manifest(repository, children[0]["digest"])[1])
    config = json.loads(registry.blob(repository, manifest["config"]["digest"]))
    created = str(((config.get("config") or {}).get("Labels") or {}).get(CREATED_LABEL, ""))
    day = created[:10].replace("-", "")
    return day if len(day) == len("YYYYMMDD") and day.isdigit() else None


@dataclass(frozen=True, kw_only=True)
class RereleaseResult:
    skipped: tuple[str, ...]  # Python versions with nothing to fix
    published: Mapping[str, str]  # python -> the dated tag of its new image
    release: ReleaseResult | None  # None: nothing had to move

    @property
    def ok(self) -> bool:
        return self.release is None or self.release.ok


def floating(params: ReleaseParams, registry: Registry) -> tuple[Floating, ...]:
    """Where each Python's `X.Y.Z-pythonA.B` points now (NotFound when one is not there)."""
    target = parse_ref(params.repository)
    found = []
    for python in params.pythons:
        ref = target.with_tag(version_tag(params, python))
        digest = registry.digest(ref.repository, ref.reference)
        if digest is None:
            raise NotFound(
                f"{ref} is not in the registry: {params.version} was not released for "
                f"Python {python}",
                hint="release it first (hangar image release), or leave that --python out",
            )
        found.append(Floating(python=python, ref=ref, digest=digest))
    return tuple(found)


def move_plan(
    params: ReleaseParams,
    registry: Registry,
    *,
    current: Sequence[Floating],
    new: Mapping[str, tuple[str, str]],
) -> ReleasePlan:
    """The tags that follow each Python's image to its new digest (`new`: python -> (source
    reference, digest)): its version tag, and each alias (`X.Y.Z`, `latest-pythonA.B`,
    `latest`) that points at its current image. Version tags first, `latest` last.
    """
    target = parse_ref(params.repository)
    now = {f.python: f.digest for f in current}
    planned = []
    for wanted in release_tags(
        version=params.version,
        pythons=tuple(new),
        default_python=params.default_python,
        slim=params.slim,
        move_latest=True,
    ):
        ref = target.with_tag(wanted.tag)
        digest_now = registry.digest(ref.repository, ref.reference)
        if wanted.kind is not TagKind.VERSIONED and digest_now != now[wanted.python]:
            continue  # an alias that points elsewhere (another version) stays
        source, digest = new[wanted.python]
        planned.append(
            PlannedTag(
                tag=str(ref),
                kind=wanted.kind,
                python=wanted.python,
                source=source,
                digest=digest,
                current=digest_now,
                action=Action.COPY,
            )
        )
    moves = any(t.kind in (TagKind.LATEST, TagKind.LATEST_PYTHON) for t in planned)
    reason = "it pointed at this version" if moves else "it points at another version"
    return ReleasePlan(
        params=params, latest=LatestDecision(move=moves, reason=reason), tags=tuple(planned)
    )


@dataclass(frozen=True, kw_only=True)
class KeptTag:
    """A dated tag given to a current image so it stays pullable (and a rollback target)."""

    repository: str
    tag: str
    digest: str


def reachable_tags(
    params: ReleaseParams, registry: Registry, current: Sequence[Floating], date_of: DateOf
) -> tuple[KeptTag, ...]:
    """The dated tag each current image without one would get (reads the registry only)."""
    existing = registry.list_tags(parse_ref(params.repository).repository)
    kept = []
    for item in current:
        tags = dict.fromkeys(existing)
        dated = dated_tags_of(version_tag(params, item.python), tags)
        repository = item.ref.repository
        if any(registry.digest(repository, t) == item.digest for t in dated):
            continue
        tag, _same = free_dated_tag(
            version_tag(params, item.python), date_of(item), tags, item.digest
        )
        kept.append(KeptTag(repository=repository, tag=tag, digest=item.digest))
    return tuple(kept)


def keep_reachable(
    params: ReleaseParams, registry: Registry, current: Sequence[Floating], date_of: DateOf
) -> None:
    """Give each current image a dated tag if it has none, so it stays pullable and a
    rollback can return to it.
    """
    for kept in reachable_tags(params, registry, current, date_of):
        registry.copy(
            source_repository=kept.repository,
            source_reference=kept.digest,
            repository=kept.repository,
            tag=kept.tag,
        )


def rerelease(
    params: ReleaseParams,
    *,
    date: str,
    registry: Registry,
    maker: CandidateMaker,
    date_of: DateOf,
    on_step: Callable[[str], None] = lambda _: None,
) -> RereleaseResult:
    """Make a candidate for each Python's released image, check every candidate, and only
    when all pass: push each under its dated tag, keep the old images reachable, and move
    the floating tags. A failure before the move leaves every tag as it was.
    """
    check_date(date)
    registry.ensure_available()
    current = floating(params, registry)
    candidates: list[tuple[Floating, Candidate]] = []
    skipped: list[str] = []
    for item in current:
        on_step(f"{item.ref}: preparing a new image from {item.digest}")
        made = maker.make(item.python, item.ref, item.digest)
        if made is None:
            skipped.append(item.python)
        else:
            candidates.append((item, made))
    problems = {c.python: maker.check(c) for _item, c in candidates}
    failed = {python: found for python, found in problems.items() if found}
    if failed:
        detail = "; ".join(f"Python {p}: {', '.join(found)}" for p, found in failed.items())
        raise StepFailed(
            f"the new image failed its checks, no tag moved ({detail})",
            hint="run `hangar image verify` and `hangar image scan` on it for details",
        )
    if not candidates:
        return RereleaseResult(skipped=tuple(skipped), published={}, release=None)
    existing = dict.fromkeys(registry.list_tags(parse_ref(params.repository).repository))
    target = parse_ref(params.repository)
    new: dict[str, tuple[str, str]] = {}
    published: dict[str, str] = {}
    for item, candidate in candidates:
        tag, _same = free_dated_tag(version_tag(params, item.python), date, existing, "")
        ref = str(target.with_tag(tag))
        on_step(f"pushing {candidate.local_ref} as {ref}")
        maker.push(candidate, ref)
        digest = registry.digest(target.repository, tag)
        if digest is None:
            raise StepFailed(f"{ref} is not in the registry after the push")
        new[item.python] = (ref, digest)
        published[item.python] = ref
    keep_reachable(params, registry, [i for i, _c in candidates], date_of)
    on_step("moving the floating tags")
    plan = move_plan(params, registry, current=current, new=new)
    return RereleaseResult(
        skipped=tuple(skipped), published=published, release=execute_release(plan, registry)
    )


def rollback_plan(
    params: ReleaseParams, *, date: str, registry: Registry
) -> tuple[tuple[Floating, ...], ReleasePlan]:
    """Where each Python's floating tags are now, and the plan that moves them back to its
    image of `date` (its dated tag); NotFound when that date has no image.
    """
    check_date(date)
    registry.ensure_available()
    current = floating(params, registry)
    target = parse_ref(params.repository)
    new: dict[str, tuple[str, str]] = {}
    for item in current:
        tag = dated_tag(version_tag(params, item.python), date)
        digest = registry.digest(target.repository, tag)
        if digest is None:
            raise NotFound(
                f"{target.with_tag(tag)} is not in the registry",
                hint=f"list the dated tags of {params.version} in the registry and pass one",
            )
        new[item.python] = (str(target.with_tag(tag)), digest)
    return current, move_plan(params, registry, current=current, new=new)


def rollback(
    params: ReleaseParams, *, date: str, registry: Registry, date_of: DateOf
) -> ReleaseResult:
    """Move each Python's floating tags back to its image of `date` (its dated tag), the
    current images keeping a dated tag of their own.
    """
    current, plan = rollback_plan(params, date=date, registry=registry)
    keep_reachable(params, registry, current, date_of)
    return execute_release(plan, registry)
