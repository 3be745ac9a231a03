"""`hangar image scan`: the security updates an image is missing, found without changing it.

Debian: the image's dpkg status (`/var/lib/dpkg/status`) against the `Packages` index of the
security suite of its release (`<codename>-security`); a package counts when it is installed
and the suite has a newer version of it (compared as dpkg does, by python-debian).
Python, with an OSV folder: hangar.image.inspecting.osv. Everything but `scan_image` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from debian.debian_support import Version as DebianVersion

from hangar.errors import BadInput, NotFound
from hangar.image.inspecting.osv import (
    AdvisoryMatch,
    Distribution,
    distributions,
    load_advisories,
    match_advisories,
    python_libs,
)
from hangar.ports import Engine, SecurityIndex

DPKG_STATUS = "/var/lib/dpkg/status"
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
# Docker's architecture (and variant) -> Debian's name for it
DEBIAN_ARCHES = {
    "amd64": "amd64",
    "arm64": "arm64",
    "arm/v7": "armhf",
    "arm/v6": "armel",
    "arm/v5": "armel",
    "386": "i386",
    "ppc64le": "ppc64el",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "mips64le": "mips64el",
}


# -- Debian -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DebianRelease:
    codename: str
    arch: str

    @property
    def suite(self) -> str:
        return f"{self.codename}-security"


@dataclass(frozen=True, kw_only=True)
class DebPackage:
    name: str
    version: str
    source: str
    arch: str


@dataclass(frozen=True, kw_only=True)
class PendingUpdate:
    package: str
    installed: str
    fixed: str
    source: str


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """The stanzas of a Debian control file (dpkg status, a Packages index): field -> the value
    on the field's own line (continuation lines are left out: no field used here has any).
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields = {}
        elif not line[0].isspace() and ":" in line:
            name, _, value = line.partition(":")
            fields[name.strip()] = value.strip()
    if fields:
        yield fields


def source_name(fields: Mapping[str, str]) -> str:
    """The source package: `Source: glibc (2.36-9+deb12u4)` -> glibc; the package if none."""
    source = fields.get("Source", "").split(" ", 1)[0]
    return source or fields.get("Package", "")


def installed_packages(status: str) -> tuple[DebPackage, ...]:
    """The packages dpkg has installed (status `install ok installed`, or held)."""
    found = []
    for fields in paragraphs(status):
        if fields.get("Status", "").split()[-2:] != ["ok", "installed"]:  # want, flag, state
            continue
        found.append(
            DebPackage(
                name=fields.get("Package", ""),
                version=fields.get("Version", ""),
                source=source_name(fields),
                arch=fields.get("Architecture", ""),
            )
        )
    return tuple(p for p in found if p.name and p.version)


def newest_versions(index: str, *, arch: str) -> dict[str, str]:
    """Package -> its newest version in a `Packages` index, for `arch` and `all`."""
    newest: dict[str, str] = {}
    for fields in paragraphs(index):
        name, version = fields.get("Package"), fields.get("Version")
        if not name or not version or fields.get("Architecture", arch) not in {arch, "all"}:
            continue
        if name not in newest or DebianVersion(version) > DebianVersion(newest[name]):
            newest[name] = version
    return newest


def pending_updates(
    installed: Iterable[DebPackage], available: Mapping[str, str], *, arch: str
) -> tuple[PendingUpdate, ...]:
    """The installed packages the suite has a newer version of, by source, then package."""
    pending = [
        PendingUpdate(package=p.name, installed=p.version, fixed=available[p.name], source=p.source)
        for p in installed
        if p.arch in {arch, "all", ""}
        and p.name in available
        and DebianVersion(available[p.name]) > DebianVersion(p.version)
    ]
    return tuple(sorted(pending, key=lambda u: (u.source, u.package)))


def parse_os_release(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key] = value.strip().strip("\"'")
    return values


def debian_arch(architecture: str, variant: str = "") -> str:
    """Debian's name for a Docker architecture (`arm` + `v7` -> armhf)."""
    key = f"{architecture}/{variant}" if architecture == "arm" else architecture
    return DEBIAN_ARCHES.get(key, architecture)


def debian_release(os_release: Mapping[str, str], *, image: str, arch: str) -> DebianRelease:
    """The image's Debian release; BadInput for any other distribution."""
    name = os_release.get("PRETTY_NAME") or os_release.get("ID") or "an unknown system"
    if os_release.get("ID") != "debian":
        raise BadInput(
            f"{image} is {name}, not Debian: the scan reads Debian's security archive",
            hint="scan an image built on Debian (python:*-slim-*, apache/airflow, debian:*)",
        )
    codename = os_release.get("VERSION_CODENAME") or ""
    if not codename:
        match = re.search(r"\((\w+)\)", os_release.get("VERSION", ""))
        codename = match.group(1) if match else ""
    if not codename:
        raise BadInput(
            f"{image} is {name}, which names no release codename in /etc/os-release",
            hint="Debian testing and unstable have no security suite",
        )
    return DebianRelease(codename=codename, arch=arch)


# -- the report and the service ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ScanReport:
    image: str
    debian: DebianRelease
    pending: tuple[PendingUpdate, ...]
    osv: tuple[AdvisoryMatch, ...] = ()
    python: tuple[Distribution, ...] = ()  # what the advisories were matched against

    @property
    def clean(self) -> bool:
        return not self.pending and not self.osv

    def to_json(self) -> dict[str, object]:
        return {
            "image": self.image,
            "debian": {"codename": self.debian.codename, "arch": self.debian.arch},
            "suite": self.debian.suite,
            "pending": [asdict(p) for p in self.pending],
            "osv": [{**asdict(m), "fixed": list(m.fixed)} for m in self.osv],
        }


def image_text(engine: Engine, ref: str, paths: Sequence[str]) -> str | None:
    for path in paths:
        found = engine.read_file(ref, path)
        if found is not None:
            return found.decode("utf-8", errors="replace")
    return None


def python_distributions(
    engine: Engine, ref: str, inspected: Mapping[str, Any]
) -> tuple[Distribution, ...]:
    """The Python distributions installed in image `ref` (read from its dist-info folders)."""
    env = (inspected.get("Config") or {}).get("Env") or ()
    return distributions(
        path for lib in python_libs(env) for path in engine.list_dir(ref, lib, depth=3)
    )


def scan_image(
    engine: Engine, index: SecurityIndex, ref: str, *, osv_dir: Path | None = None
) -> ScanReport:
    """Scan `ref` (an image in the engine; NotFound if none): nothing runs in it."""
    advisories = load_advisories(osv_dir) if osv_dir is not None else None  # fails first
    inspected = engine.inspect_image(ref)
    arch = debian_arch(inspected.get("Architecture", ""), inspected.get("Variant", ""))
    os_release = image_text(engine, ref, OS_RELEASE)
    if os_release is None:
        raise BadInput(
            f"{ref} has no /etc/os-release: not a Debian image",
            hint="scan an image built on Debian",
        )
    release = debian_release(parse_os_release(os_release), image=ref, arch=arch)
    status = image_text(engine, ref, (DPKG_STATUS,))
    if status is None:
        raise NotFound(f"{ref} has no {DPKG_STATUS}", hint="scan an image with dpkg in it")
    available = newest_versions(index.packages(release.suite, arch), arch=arch)
    pending = pending_updates(installed_packages(status), available, arch=arch)
    if advisories is None:
        return ScanReport(image=ref, debian=release, pending=pending)
    dists = python_distributions(engine, ref, inspected)
    return ScanReport(
        image=ref,
        debian=release,
        pending=pending,
        osv=match_advisories(advisories, dists),
        python=dists,
    )
