"""`hangar image sbom`: what is installed in an image, read from its files without running it.

`ImageContents` is the pure model an SBOM is rendered from (hangar.image.trust.sbom_formats): the
image's Debian release and the packages of its dpkg status, the Python distributions of its
dist-info / egg-info folders (with the licence their metadata declares), and the digests that
identify it. `read_contents` fills it through the Engine port; everything else here is pure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import HeaderParser
from typing import Any

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from hangar.errors import BadInput, NotFound
from hangar.image.inspecting.osv import DIST_FOLDER, python_libs
from hangar.image.inspecting.scan import (
    DPKG_STATUS,
    OS_RELEASE,
    DebianRelease,
    DebPackage,
    debian_arch,
    debian_release,
    image_text,
    installed_packages,
    parse_os_release,
)
from hangar.ports import Engine

CONSTRAINTS_FILE = "/home/airflow/constraints.txt"
BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest"
BASE_NAME_LABEL = "org.opencontainers.image.base.name"
# `License:` values that say nothing
NO_LICENCE = {"", "unknown", "none", "n/a"}
DIST_PATH = re.compile(DIST_FOLDER.pattern.removeprefix("^"))  # the same, at the end of a path


@dataclass(frozen=True, kw_only=True)
class PythonPackage:
    name: str  # canonical: lower case, runs of -_. as one -
    version: str
    licence: str | None = None  # `License-Expression:`, else a one-line `License:`

    @property
    def purl(self) -> str:
        return PackageURL(type="pypi", name=self.name, version=self.version).to_string()


@dataclass(frozen=True, kw_only=True)
class FileDigest:
    path: str
    sha256: str
    sha1: str  # SPDX 2.3 requires a SHA1 checksum for every file

    @classmethod
    def of(cls, path: str, content: bytes) -> FileDigest:
        return cls(
            path=path,
            sha256=hashlib.sha256(content).hexdigest(),
            sha1=hashlib.sha1(content, usedforsecurity=False).hexdigest(),
        )


@dataclass(frozen=True, kw_only=True)
class ImageContents:
    image: str  # the reference asked for
    digest: str  # sha256:… — the repository digest when the engine has one, else the image id
    created: datetime  # the image's creation time (UTC, whole seconds): the SBOM's timestamp
    debian: DebianRelease
    packages: tuple[DebPackage, ...]  # by name, then architecture
    python: tuple[PythonPackage, ...]  # by name, then version
    base_digest: str | None = None
    base_name: str | None = None
    constraints: FileDigest | None = None

    @property
    def repository(self) -> str:
        return repository_of(self.image)

    def deb_purl(self, package: DebPackage) -> str:
        return deb_purl(package, codename=self.debian.codename)

    def counts(self) -> dict[str, int]:
        return {"debian": len(self.packages), "python": len(self.python)}


# -- pure helpers -----------------------------------------------------------------------------


def deb_purl(package: DebPackage, *, codename: str) -> str:
    """`pkg:deb/debian/<name>@<version>?arch=<arch>&distro=debian-<codename>` (purl-spec)."""
    return PackageURL(
        type="deb",
        namespace="debian",
        name=package.name,
        version=package.version,
        qualifiers={"arch": package.arch, "distro": f"debian-{codename}"},
    ).to_string()


def repository_of(ref: str) -> str:
    """`reg:5000/a/b:tag` and `reg:5000/a/b@sha256:…` -> `reg:5000/a/b`."""
    name = ref.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return head if sep and "/" not in tail else name


def image_digest(ref: str, inspected: Mapping[str, Any]) -> str:
    """The digest in `ref`, else the repository digest of its repository, else any repository
    digest, else the image id (with the containerd image store, the manifest digest too).
    """
    if "@" in ref:
        return ref.split("@", 1)[1]
    repo_digests = [str(d) for d in inspected.get("RepoDigests") or () if "@" in str(d)]
    repository = repository_of(ref)
    for entry in sorted(repo_digests):
        name, _, digest = entry.partition("@")
        if name == repository:
            return digest
    if repo_digests:
        return min(repo_digests).partition("@")[2]
    return str(inspected.get("Id", ""))


def created_at(inspected: Mapping[str, Any]) -> datetime:
    """The image's `Created` time in UTC, whole seconds (1970 when it has none)."""
    text = str(inspected.get("Created") or "")
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?", text)
    if not match:
        return datetime(1970, 1, 1, tzinfo=UTC)
    stamp = datetime.fromisoformat(match[1] + (match[2] or "Z").replace("Z", "+00:00"))
    return stamp.astimezone(UTC)


def declared_licence(metadata: str) -> str | None:
    """The licence a METADATA / PKG-INFO file declares: its `License-Expression:`, else its
    `License:` when that is one line naming a licence (not a licence's full text).
    """
    headers = HeaderParser().parsestr(metadata.split("\n\n", 1)[0])
    expression = " ".join((headers.get("License-Expression") or "").split())
    if expression:
        return expression
    text = (headers.get("License") or "").strip()
    if "\n" in text or text.lower() in NO_LICENCE:
        return None
    return text


def metadata_file(folder: str) -> str:
    return f"{folder}/METADATA" if folder.endswith(".dist-info") else f"{folder}/PKG-INFO"


def python_packages(
    folders: Iterable[str], metadata: Mapping[str, str | None]
) -> tuple[PythonPackage, ...]:
    """One package per (name, version) named by the dist-info / egg-info `folders` (paths ending
    in `python3.X/site-packages/<name>-<version>.dist-info`), with the licence of the first
    of its folders whose metadata (folder -> text) declares one.
    """
    found: dict[tuple[str, str], str | None] = {}
    for folder in folders:
        match = DIST_PATH.search(folder)
        if not match:
            continue
        key = (canonicalize_name(match["name"]), match["version"])
        text = metadata.get(folder)
        licence = declared_licence(text) if text else None
        if found.get(key) is None:
            found[key] = licence
    return tuple(
        PythonPackage(name=name, version=version, licence=licence)
        for (name, version), licence in sorted(found.items())
    )


def sorted_packages(packages: Iterable[DebPackage]) -> tuple[DebPackage, ...]:
    return tuple(sorted(set(packages), key=lambda p: (p.name, p.arch, p.version)))


# -- reading an image ------------------------------------------------------------------------


# what is read of each dist-info / egg-info: its METADATA, its PKG-INFO, or the egg-info
# file itself (which is a PKG-INFO)
METADATA_PATH = re.compile(
    r"^python3\.\d+/(?:site|dist)-packages/[^/]+\.(?:dist-info/METADATA|egg-info/PKG-INFO|egg-info)$"
)


def python_metadata(engine: Engine, ref: str, env: Sequence[str]) -> dict[str, str | None]:
    """Every dist-info / egg-info folder of the image (absolute path) -> its metadata text,
    None when it has none; one copy of each library folder out of the image.
    """
    found: dict[str, str | None] = {}
    for lib in python_libs(env):
        tree = engine.read_folder(ref, lib, depth=4, contents=METADATA_PATH)
        for path in tree:
            if not DIST_FOLDER.match(path):
                continue
            data = tree.get(metadata_file(path)) or tree.get(path)
            text = data.decode("utf-8", errors="replace") if data is not None else None
            found[f"{lib}/{path}"] = text
    return found


def read_contents(
    engine: Engine, ref: str, inspected: Mapping[str, Any] | None = None
) -> ImageContents:
    """What image `ref` holds (NotFound if the engine has no such image); nothing runs in it.
    `inspected`: the engine's inspection of `ref`, when the caller has it already.
    """
    inspected = inspected if inspected is not None else engine.inspect_image(ref)
    arch = debian_arch(inspected.get("Architecture", ""), inspected.get("Variant", ""))
    text = image_text(engine, ref, OS_RELEASE)
    os_release = parse_os_release(text or "")
    if os_release.get("ID") != "debian":
        name = os_release.get("PRETTY_NAME") or os_release.get("ID") or "not a Debian system"
        raise BadInput(
            f"{ref} is {name}: the SBOM reads the dpkg status of a Debian image",
            hint="use an image built on Debian (python:*-slim-*, apache/airflow, debian:*)",
        )
    release = debian_release(os_release, image=ref, arch=arch)
    status = image_text(engine, ref, (DPKG_STATUS,))
    if status is None:
        raise NotFound(f"{ref} has no {DPKG_STATUS}", hint="use an image with dpkg in it")
    config = inspected.get("Config") or {}
    metadata = python_metadata(engine, ref, config.get("Env") or ())
    labels = config.get("Labels") or {}
    constraints = engine.read_file(ref, CONSTRAINTS_FILE)
    digest = FileDigest.of(CONSTRAINTS_FILE, constraints) if constraints is not None else None
    return ImageContents(
        image=ref,
        digest=image_digest(ref, inspected),
        created=created_at(inspected),
        debian=release,
        packages=sorted_packages(installed_packages(status)),
        python=python_packages(metadata, metadata),
        base_digest=labels.get(BASE_DIGEST_LABEL) or None,
        base_name=labels.get(BASE_NAME_LABEL) or None,
        constraints=digest,
    )
