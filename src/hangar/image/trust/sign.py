"""Signing released images: each image is resolved to its digest in its registry and the
digest is signed, never a tag (a tag can move; a digest names one image for good).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hangar.errors import BadInput, NotFound
from hangar.image.releasing.release import ReleasePlan, ReleaseResult
from hangar.ports import Engine, Registry
from hangar.values import ImageRef, parse_ref


@dataclass(frozen=True, kw_only=True)
class Signing:
    """How a release signs: with `key`, or keyless (an OIDC identity) when it is None."""

    key: Path | None


def registry_of(image: str) -> ImageRef:
    """`image` parsed; it has to name the registry its signature is stored in."""
    ref = parse_ref(image)
    if not ref.registry:
        raise BadInput(
            f"{image}: name the registry the image is in (e.g. 127.0.0.1:5000/airflow:TAG)",
            hint="a signature is stored next to the image in its registry",
        )
    return ref


def by_digest(registry: Registry, image: str) -> str:
    """`REGISTRY/REPOSITORY@sha256:…` for what `image` (a tag or a digest) resolves to now."""
    ref = registry_of(image)
    digest = registry.digest(ref.repository, ref.reference)
    if digest is None:
        raise NotFound(
            f"{image} is not in the registry {ref.registry}",
            hint="push it (or release it) first, then sign it",
        )
    return f"{ref.name}@{digest}"


def release_refs(result: ReleaseResult) -> tuple[str, ...]:
    """Each distinct `REPOSITORY@DIGEST` a release moved a tag to, in the release's order."""
    return plan_refs(result.plan)


def plan_refs(plan: ReleasePlan) -> tuple[str, ...]:
    """Each distinct `REPOSITORY@DIGEST` a release plan moves a tag to, in its order."""
    refs = (f"{parse_ref(t.tag).name}@{t.digest}" for t in plan.changes)
    return tuple(dict.fromkeys(refs))


def present(engine: Engine, ref: str) -> str:
    """`ref` in the engine, pulled when it is not there yet (the SBOM is read from its files)."""
    try:
        engine.inspect_image(ref)
    except NotFound:
        engine.pull(ref)
    return ref
