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
from hangar.values import parse_airflow_version

SLIM_PREFIX = "slim-"
_VERSION_TAG = re.compile(
    r"^(?:slim-)?(?P<version>\d+\.\d+\.\d+[0-9A-Za-z.+]*?)(?:-python\d+\.\d+)?$"
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


def is_prerelease(version: str) -> bool:
    """a, b, rc and dev versions (3.4.0rc1, 3.4.0.dev0) are pre-releases."""
    return parse_airflow_version(version).is_prerelease


def released_versions(tags: Iterable[str]) -> tuple[Version, ...]:
    """The final versions that tags in a repository name (`3.3.2`, `slim-3.3.2-python3.12`),
    newest first. Pre-releases and other tags are ignored.
    """
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
    parsed = parse_airflow_version(version)
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
    parse_airflow_version(version)
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
