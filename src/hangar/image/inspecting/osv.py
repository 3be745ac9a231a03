"""The Python half of `hangar image scan`: the distributions pip installed in an image, named
by their `<name>-<version>.dist-info` folders, matched against OSV advisories of the PyPI
ecosystem (https://ossf.github.io/osv-schema/): `versions` lists, and ECOSYSTEM ranges of
introduced / fixed / last_affected events, compared with packaging's versions.
Pure, but for `load_advisories`, which reads the user's folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from hangar.errors import BadInput

# where pip puts distributions: the official Python images' own Python, the Airflow images'
# virtualenv (or user site); each folder is listed three levels down, python3.X/site-packages/…
PYTHON_LIBS = ("/usr/local/lib", "/home/airflow/.local/lib")
DIST_FOLDER = re.compile(
    r"^python3\.\d+/(?:site|dist)-packages/(?P<name>[^/-]+)-(?P<version>[^/-]+)"
    r"(?:-py\d[^/]*)?\.(?:dist|egg)-info$"
)


@dataclass(frozen=True, kw_only=True)
class Distribution:
    name: str  # canonical: lower case, runs of -_. as one -
    version: str


@dataclass(frozen=True, kw_only=True)
class Advisory:
    id: str
    # canonical PyPI name -> that package's `affected` entries, as the file has them
    affected: Mapping[str, tuple[Mapping[str, Any], ...]]


@dataclass(frozen=True, kw_only=True)
class AdvisoryMatch:
    id: str
    package: str
    installed: str
    fixed: tuple[str, ...]


def distributions(paths: Iterable[str]) -> tuple[Distribution, ...]:
    """Distributions named by `python3.X/site-packages/<name>-<version>.dist-info` paths."""
    found = set()
    for path in paths:
        match = DIST_FOLDER.match(path)
        if match:
            name = canonicalize_name(match["name"])
            found.add(Distribution(name=name, version=match["version"]))
    return tuple(sorted(found, key=lambda d: (d.name, d.version)))


def python_libs(env: Iterable[str]) -> tuple[str, ...]:
    """The folders to look for distributions in, with the image's VIRTUAL_ENV if it has one."""
    venv = dict(e.split("=", 1) for e in env if "=" in e).get("VIRTUAL_ENV", "").rstrip("/")
    extra = (f"{venv}/lib",) if venv else ()
    return tuple(dict.fromkeys((*PYTHON_LIBS, *extra)))


def parse_advisory(text: str, *, origin: str) -> Advisory | None:
    """An OSV advisory's PyPI entries; None when withdrawn or about no PyPI package."""
    hint = "--osv takes a folder of OSV advisories (ossf.github.io/osv-schema)"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{origin}: not JSON ({exc})", hint=hint) from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BadInput(f"{origin}: not an OSV advisory (no id)", hint=hint)
    if data.get("withdrawn"):
        return None
    affected: dict[str, list[Mapping[str, Any]]] = {}
    for entry in data.get("affected") or ():
        package = (entry.get("package") or {}) if isinstance(entry, dict) else {}
        if package.get("ecosystem") == "PyPI" and package.get("name"):
            affected.setdefault(canonicalize_name(package["name"]), []).append(entry)
    if not affected:
        return None
    return Advisory(id=data["id"], affected={k: tuple(v) for k, v in affected.items()})


def _version(text: object) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _order(version: str) -> tuple[Version, str]:
    return (_version(version) or Version("0"), version)


def in_range(version: Version, events: Sequence[Mapping[str, str]]) -> bool:
    """OSV's evaluation of one ECOSYSTEM range: walk its events in version order."""
    keyed = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            if kind in event:
                at = _version(event[kind])  # "0", introduced from the start, is a version too
                if at is not None:
                    keyed.append((at, kind))
    affected = False
    for at, kind in sorted(keyed, key=lambda e: e[0]):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def match_entry(entry: Mapping[str, Any], installed: str) -> tuple[bool, tuple[str, ...]]:
    """Whether one `affected` entry covers `installed`, and the versions that fix it: the fixed
    events above it in the ranges it is in (in every range when only `versions` names it).
    """
    version = _version(installed)
    ranges = [
        r.get("events") or () for r in entry.get("ranges") or () if r.get("type") == "ECOSYSTEM"
    ]
    hit_ranges = [e for e in ranges if version is not None and in_range(version, e)]
    listed = entry.get("versions") or ()
    in_list = installed in listed or (
        version is not None and any(_version(v) == version for v in listed)
    )
    if not hit_ranges and not in_list:
        return False, ()
    fixed = {
        e["fixed"]
        for events in (hit_ranges or ranges)
        for e in events
        if "fixed" in e and (version is None or _order(e["fixed"])[0] > version)
    }
    return True, tuple(sorted(fixed, key=_order))


def match_advisories(
    advisories: Iterable[Advisory], dists: Iterable[Distribution]
) -> tuple[AdvisoryMatch, ...]:
    """Each (advisory, installed distribution) the advisory covers, by package, then id."""
    by_name: dict[str, list[Distribution]] = {}
    for dist in dists:
        by_name.setdefault(dist.name, []).append(dist)
    found = set()
    for advisory in advisories:
        for name, entries in advisory.affected.items():
            for dist in by_name.get(name, ()):
                hits = [
                    fixed for hit, fixed in (match_entry(e, dist.version) for e in entries) if hit
                ]
                if hits:
                    fixed = tuple(sorted({v for vs in hits for v in vs}, key=_order))
                    found.add(
                        AdvisoryMatch(
                            id=advisory.id, package=name, installed=dist.version, fixed=fixed
                        )
                    )
    return tuple(sorted(found, key=lambda m: (m.package, m.id)))


def load_advisories(folder: Path) -> tuple[Advisory, ...]:
    """Every advisory in the `*.json` files under `folder` that is about a PyPI package."""
    found = []
    for path in sorted(folder.rglob("*.json")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"{path}: cannot be read ({exc})", hint="fix or remove it") from None
        advisory = parse_advisory(text, origin=str(path))
        if advisory is not None:
            found.append(advisory)
    return tuple(found)
