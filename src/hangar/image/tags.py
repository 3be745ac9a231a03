"""Image references and the tag set of a release (pure, no I/O).

The naming follows the official Airflow images:

    X.Y.Z-pythonA.B        every Python version
    X.Y.Z                  the default Python version
    latest-pythonA.B       every Python version, newest final release only
    latest                 the default Python version, newest final release only

and the same four with a `slim-` prefix for slim images (built with no extras). Pre-releases
(a, b, rc, dev) never move `latest`, nor does a version older than the newest one already in
the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from packaging.version import InvalidVersion, Version

from hangar.errors import BadInput

SLIM_PREFIX = "slim-"
_VERSION_TAG = re.compile(
    r"^(?:slim-)?(?P<version>\d+\.\d+\.\d+[0-9A-Za-z.+]*?)(?:-python\d+\.\d+)?$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True, kw_only=True)
class ImageRef:
    """`registry/repository:tag` or `registry/repository@digest`; `registry` may be empty."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        name = f"{self.registry}/{self.repository}" if self.registry else self.repository
        if self.digest:
            return f"{name}@{self.digest}"
        return f"{name}:{self.tag}" if self.tag else name

    @property
    def name(self) -> str:
        """The reference without tag or digest."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def reference(self) -> str:
        """What the registry's manifests endpoint takes: the digest, else the tag."""
        return self.digest or self.tag or "latest"

    def with_tag(self, tag: str) -> ImageRef:
        return ImageRef(registry=self.registry, repository=self.repository, tag=tag)


def parse_ref(text: str) -> ImageRef:
    """Split an image reference. The first path part is a registry when it has a dot or a
    colon or is `localhost` (the rule docker uses)."""
    rest, _, digest = text.partition("@")
    tag = ""
    last_slash = rest.rfind("/")
    if ":" in rest[last_slash + 1 :]:
        rest, tag = rest.rsplit(":", 1)
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = "", rest
    if not repository or (tag and not _TAG.match(tag)):
        raise BadInput(f"not an image reference: {text!r}", hint="use REGISTRY/NAME:TAG")
    return ImageRef(
        registry=registry, repository=repository, tag=tag or None, digest=digest or None
    )


class TagKind(StrEnum):
    VERSIONED = "version-python"  # X.Y.Z-pythonA.B
    DEFAULT = "version"  # X.Y.Z
    LATEST_PYTHON = "latest-python"  # latest-pythonA.B
    LATEST = "latest"  # latest


@dataclass(frozen=True, kw_only=True)
class TagTarget:
    tag: str
    python: str  # whose image the tag points at
    kind: TagKind


@dataclass(frozen=True, kw_only=True)
class LatestDecision:
    move: bool
    reason: str


def parse_version(text: str) -> Version:
    try:
        version = Version(text)
    except InvalidVersion as exc:
        raise BadInput(
            f"not an Airflow version: {text!r}", hint="use X.Y.Z, e.g. 3.3.2 or 3.4.0rc1"
        ) from exc
    if len(version.release) != 3:
        raise BadInput(
            f"not an Airflow version: {text!r}", hint="use X.Y.Z, e.g. 3.3.2 or 3.4.0rc1"
        )
    return version


def is_prerelease(version: str) -> bool:
    """a, b, rc and dev versions (3.4.0rc1, 3.4.0.dev0) are pre-releases."""
    return parse_version(version).is_prerelease


def released_versions(tags: Iterable[str]) -> tuple[Version, ...]:
    """The final versions that tags in a repository name (`3.3.2`, `slim-3.3.2-python3.12`),
    newest first. Pre-releases and other tags are ignored."""
    found: set[Version] = set()
    for tag in tags:
        match = _VERSION_TAG.match(tag)
        if not match:
            continue
        try:
            version = Version(match["version"])
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            found.add(version)
    return tuple(sorted(found, reverse=True))


def latest_decision(
    version: str, existing_tags: Iterable[str], *, skip_latest: bool = False
) -> LatestDecision:
    """Whether releasing `version` moves the `latest` tags, and why."""
    parsed = parse_version(version)
    if skip_latest:
        return LatestDecision(move=False, reason="--skip-latest given")
    if parsed.is_prerelease:
        return LatestDecision(move=False, reason=f"{version} is a pre-release")
    newer = [v for v in released_versions(existing_tags) if v > parsed]
    if newer:
        return LatestDecision(
            move=False, reason=f"{version} is older than {newer[0]}, already released"
        )
    return LatestDecision(move=True, reason=f"{version} is the newest final release")


def release_tags(
    *,
    version: str,
    pythons: Iterable[str],
    default_python: str,
    slim: bool = False,
    move_latest: bool = True,
) -> tuple[TagTarget, ...]:
    """The tags a release creates or moves, in a stable order (per Python, then aliases)."""
    parse_version(version)
    if move_latest and is_prerelease(version):
        move_latest = False
    prefix = SLIM_PREFIX if slim else ""
    targets: list[TagTarget] = []
    for python in sorted(set(pythons), key=_python_key):
        targets.append(
            TagTarget(
                tag=f"{prefix}{version}-python{python}", python=python, kind=TagKind.VERSIONED
            )
        )
        if move_latest:
            targets.append(
                TagTarget(
                    tag=f"{prefix}latest-python{python}", python=python, kind=TagKind.LATEST_PYTHON
                )
            )
    if default_python in set(pythons):
        targets.append(
            TagTarget(tag=f"{prefix}{version}", python=default_python, kind=TagKind.DEFAULT)
        )
        if move_latest:
            targets.append(
                TagTarget(tag=f"{prefix}latest", python=default_python, kind=TagKind.LATEST)
            )
    return tuple(targets)


def _python_key(python: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in python.split("."))
    except ValueError as exc:
        raise BadInput(f"not a Python version: {python!r}", hint="use A.B, e.g. 3.12") from exc
