"""Image references and the tag set of a release (pure, no I/O).

The naming follows the official Airflow images:

    X.Y.Z-pythonA.B        every Python version
    X.Y.Z                  the default Python version of the release (bare_tag_python)
    latest-pythonA.B       every Python version, newest final release only
    latest                 the default Python version, newest final release only

and the same four with a `slim-` prefix for slim images (built with no extras). Pre-releases
(a, b, rc, dev) never move `latest`, nor does a version older than the newest one already in
the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from packaging.version import InvalidVersion, Version

from hangar.errors import BadInput
from hangar.values import parse_airflow_version, python_key, pythons_supported

SLIM_PREFIX = "slim-"
# The Python of the official images' un-suffixed tags, by Airflow major version, as Airflow's
# own release tooling picks it: `breeze release-management release-prod-images` aliases
# `X.Y.Z-pythonA.B` to `X.Y.Z` for DEFAULT_PYTHON_MAJOR_MINOR_VERSION_FOR_IMAGES
# (dev/breeze/src/airflow_breeze/global_constants.py: "3.12" on the Airflow 3 branches, "until
# FAB supports Python 3.13"). Before Airflow 3 the tooling aliased
# DEFAULT_PYTHON_MAJOR_MINOR_VERSION, the first (lowest) Python the branch supports.
OFFICIAL_BARE_TAG_PYTHON = {3: "3.12"}
_DATE = re.compile(r"^\d{8}(\.\d+)?$")
_VERSION_TAG = re.compile(
    r"^(?:slim-)?(?P<version>\d+\.\d+\.\d+[0-9A-Za-z.+]*?)(?:-python\d+\.\d+)?$"
)


class TagKind(StrEnum):
    DATED = "dated"  # X.Y.Z-pythonA.B-YYYYMMDD: immutable, one per published digest
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


def bare_tag_python(
    version: str, *, setting: str, requires_python: str, known: Iterable[str]
) -> str:
    """The Python of `version`'s un-suffixed tags (`X.Y.Z`, `latest`): the `bare_tag_python`
    setting when set, else the one Airflow's release tooling uses for that major version
    (OFFICIAL_BARE_TAG_PYTHON), else the lowest of `known` the release supports.
    """
    if setting:
        return setting
    major = parse_airflow_version(version).major
    newest = max((m for m in OFFICIAL_BARE_TAG_PYTHON if m <= major), default=None)
    if newest is not None:
        return OFFICIAL_BARE_TAG_PYTHON[newest]
    ok = sorted(pythons_supported(requires_python, known), key=python_key)
    return ok[0] if ok else ""


def release_tags(
    *,
    version: str,
    pythons: Iterable[str],
    default_python: str,
    slim: bool = False,
    move_latest: bool = True,
) -> tuple[TagTarget, ...]:
    """The tags a release creates or moves, in the order they move: every version tag before
    any `latest` tag, so a release cut short never leaves `latest` ahead of its version.
    """
    parse_airflow_version(version)
    if move_latest and is_prerelease(version):
        move_latest = False
    prefix = SLIM_PREFIX if slim else ""
    ordered = sorted(set(pythons), key=_python_key)
    targets = [
        TagTarget(tag=f"{prefix}{version}-python{py}", python=py, kind=TagKind.VERSIONED)
        for py in ordered
    ]
    if default_python in ordered:
        targets.append(
            TagTarget(tag=f"{prefix}{version}", python=default_python, kind=TagKind.DEFAULT)
        )
    if move_latest:
        targets += [
            TagTarget(tag=f"{prefix}latest-python{py}", python=py, kind=TagKind.LATEST_PYTHON)
            for py in ordered
        ]
        if default_python in ordered:
            targets.append(
                TagTarget(tag=f"{prefix}latest", python=default_python, kind=TagKind.LATEST)
            )
    return tuple(targets)


def _python_key(python: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in python.split("."))
    except ValueError as exc:
        raise BadInput(f"not a Python version: {python!r}", hint="use A.B, e.g. 3.12") from exc


# -- dated tags: X.Y.Z-pythonA.B-YYYYMMDD[.N], immutable, one per published digest -----------


def check_date(date: str) -> str:
    if not _DATE.match(date):
        raise BadInput(f"not a release date: {date!r}", hint="use YYYYMMDD (or YYYYMMDD.N)")
    return date


def dated_tag(version_tag: str, date: str) -> str:
    """The dated tag of a version tag (`3.3.2-python3.13` -> `3.3.2-python3.13-20261129`)."""
    return f"{version_tag}-{date}"


def dated_tags_of(version_tag: str, tags: Mapping[str, str | None]) -> dict[str, str | None]:
    """The dated tags of one version tag among `tags` (tag -> digest)."""
    prefix = f"{version_tag}-"
    return {t: d for t, d in tags.items() if t.startswith(prefix) and _DATE.match(t[len(prefix) :])}


def free_dated_tag(
    version_tag: str, date: str, tags: Mapping[str, str | None], digest: str
) -> tuple[str, bool]:
    """The dated tag for `digest` on `date` (`tags`: existing tag -> digest) and whether it
    already points there; a day's tag held by another digest gets `.1`, `.2`, ...
    """
    base = dated_tag(version_tag, date)
    for n in range(100):
        tag = base if n == 0 else f"{base}.{n}"
        if tag not in tags:
            return tag, False
        if tags[tag] == digest:
            return tag, True
    raise BadInput(f"too many dated tags for {base}", hint="pass another --date")
