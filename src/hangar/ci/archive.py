"""An image handed over as an OCI archive: built where no write token is reachable (a fork's
pull request), then checked and pushed by a job that runs none of the pull request's files.

The archive is what BuildKit's `type=oci` exporter writes: a tar of an OCI image layout
(`index.json`, `blobs/sha256/<hex>`). It is only ever read as data: no file of it is extracted,
every blob must hash to its name, and the image's labels must name the commit and the Python
version the push is for. Pushing writes the blobs, then the manifests, then the one tag.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hangar.errors import BadInput
from hangar.image.building.plan import ARCHIVE_SUFFIX
from hangar.ports import INDEX_TYPES, Registry

# an attestation manifest of an index (BuildKit's provenance, SBOM): pushed, never checked
ATTESTATION = "attestation-manifest"
COMMIT_LABELS = ("org.apache.airflow.main-image.commit-sha", "org.opencontainers.image.revision")
PYTHON_LABEL = "org.apache.airflow.python.version"
ARCHIVE_HINT = "give the archive BuildKit's type=oci exporter wrote"
# a hand-over folder holds one `<python>.oci.tar` per Python (`hangar ci build-image --archive`)
ARCHIVE_NAME = re.compile(r"(3\.[0-9]{1,2})" + re.escape(ARCHIVE_SUFFIX))


@dataclass(frozen=True, kw_only=True)
class OciArchive:
    path: Path
    top: Mapping[str, Any]  # the descriptor index.json lists (the image, or its index)
    blobs: Mapping[str, bytes]  # digest -> content, every one checked against its digest

    def json_blob(self, digest: str) -> Mapping[str, Any]:
        found: Mapping[str, Any] = json.loads(self.blobs[digest])
        return found

    def images(self) -> tuple[Mapping[str, Any], ...]:
        """The image manifests (not attestations) the archive's image is made of."""
        if self.top["mediaType"] not in INDEX_TYPES:
            return (self.json_blob(self.top["digest"]),)
        children = self.json_blob(self.top["digest"]).get("manifests", [])
        return tuple(
            self.json_blob(c["digest"])
            for c in children
            if c.get("annotations", {}).get("vnd.docker.reference.type") != ATTESTATION
        )

    def labels(self) -> tuple[Mapping[str, str], ...]:
        """Each image's labels, from its config."""
        return tuple(
            self.json_blob(image["config"]["digest"]).get("config", {}).get("Labels") or {}
            for image in self.images()
        )


def read_archive(path: Path) -> OciArchive:
    """The archive's index and blobs, or BadInput naming what is wrong with it."""
    try:
        with tarfile.open(path) as tar:
            index = _index(tar, path)
            blobs = {}
            for member in tar.getmembers():
                name = member.name.removeprefix("./")
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None and name.startswith("blobs/sha256/"):
                    digest = "sha256:" + name.rsplit("/", 1)[1]
                    data = handle.read()
                    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
                        raise BadInput(
                            f"{path}: blob {digest} does not hash to its name",
                            hint="the archive was changed after the build: build it again",
                        )
                    blobs[digest] = data
    except (OSError, tarfile.TarError) as exc:
        raise BadInput(f"{path} is not an OCI archive ({exc})", hint=ARCHIVE_HINT) from exc
    listed = json.loads(index).get("manifests") or []
    if len(listed) != 1:
        raise BadInput(f"{path} holds {len(listed)} images, not one", hint="one per archive")
    archive = OciArchive(path=path, top=listed[0], blobs=blobs)
    missing = sorted(_referenced(archive, archive.top) - set(blobs))
    if missing:
        raise BadInput(f"{path} lacks the blobs {', '.join(missing)}", hint="build it again")
    return archive


def archives_in(folder: Path) -> tuple[tuple[str, Path], ...]:
    """(Python, file) of each archive a hand-over folder holds, by Python; () when nothing
    was handed over (no folder). Any other file in it is refused: the folder is what a build
    job uploaded, and a name that is not `<python>.oci.tar` is not what a build writes.
    """
    if not folder.exists():
        return ()
    if not folder.is_dir():
        raise BadInput(f"{folder} is not a folder", hint="give the folder of the archives")
    found = []
    for path in sorted(folder.iterdir()):
        named = ARCHIVE_NAME.fullmatch(path.name)
        if named is None or not path.is_file():
            raise BadInput(
                f"{path} is not a <python>{ARCHIVE_SUFFIX} archive",
                hint="the folder holds only what `hangar ci build-image --archive` wrote",
            )
        found.append((named.group(1), path))
    return tuple(found)


def check_archive(archive: OciArchive, *, commit: str, python: str) -> tuple[str, ...]:
    """What is wrong with the archive's image for a push of `commit` on `python`: each image
    of it must name that commit and Python version in its labels.
    """
    problems: list[str] = []
    labels = archive.labels()
    if not labels:
        problems.append("it holds no image")
    for found in labels:
        commits = {found.get(name) or "" for name in COMMIT_LABELS} - {""}
        if commits != {commit}:
            problems.append(f"its image is of commit {', '.join(sorted(commits)) or 'none'}")
        if found.get(PYTHON_LABEL) != python:
            problems.append(f"its image is of Python {found.get(PYTHON_LABEL) or 'none'}")
    return tuple(dict.fromkeys(problems))


def push_archive(archive: OciArchive, registry: Registry, repository: str, tag: str) -> str:
    """Push every blob the registry lacks, every manifest (children by digest), then the tag;
    returns the digest the tag points at (the one the build made).
    """
    _push(archive, registry, repository, archive.top, tag=tag)
    return str(archive.top["digest"])


def _push(
    archive: OciArchive,
    registry: Registry,
    repository: str,
    descriptor: Mapping[str, Any],
    *,
    tag: str | None = None,
) -> None:
    body = archive.blobs[descriptor["digest"]]
    content = json.loads(body)
    if descriptor["mediaType"] in INDEX_TYPES:
        for child in content.get("manifests", []):
            _push(archive, registry, repository, child)
    else:
        for blob in (content["config"], *content.get("layers", [])):
            if not registry.has_blob(repository, blob["digest"]):
                registry.push_blob(repository, blob["digest"], archive.blobs[blob["digest"]])
    registry.put_manifest(repository, tag or descriptor["digest"], descriptor["mediaType"], body)


def _referenced(archive: OciArchive, descriptor: Mapping[str, Any]) -> set[str]:
    """Every digest `descriptor` reaches (itself included), as far as the archive holds them."""
    found = {descriptor["digest"]}
    body = archive.blobs.get(descriptor["digest"])
    if body is None:
        return found
    content = json.loads(body)
    if descriptor["mediaType"] in INDEX_TYPES:
        for child in content.get("manifests", []):
            found |= _referenced(archive, child)
    else:
        found |= {b["digest"] for b in (content.get("config"), *content.get("layers", [])) if b}
    return found


def _index(tar: tarfile.TarFile, path: Path) -> bytes:
    """The archive's index.json, read into memory (nothing is written to disk)."""
    names = set(tar.getnames())
    found = next((n for n in ("index.json", "./index.json") if n in names), None)
    handle = tar.extractfile(found) if found else None
    if handle is None:
        raise BadInput(f"{path} has no file index.json", hint=ARCHIVE_HINT)
    return handle.read()
