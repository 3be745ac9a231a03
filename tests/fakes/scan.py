"""Fakes for `hangar image scan`: an engine whose images are files in memory, and a Debian
security archive that answers from memory (or is down).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hangar.errors import EngineUnavailable, NotFound, StepFailed
from hangar.ports import HistoryEntry, ProcessResult

BOOKWORM = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""


def stanza(
    package: str,
    version: str,
    *,
    status: str = "install ok installed",
    source: str | None = None,
    arch: str = "amd64",
) -> str:
    """One package's stanza of a dpkg status file (or, without `status`, of a Packages index)."""
    lines = [f"Package: {package}"]
    if status:
        lines.append(f"Status: {status}")
    lines += ["Priority: optional", f"Architecture: {arch}"]
    if source:
        lines.append(f"Source: {source}")
    lines += [f"Version: {version}", "Description: a package", " with a long description", ""]
    return "\n".join(lines) + "\n"


@dataclass
class FakeImage:
    files: dict[str, bytes] = field(default_factory=dict)
    arch: str = "amd64"
    variant: str = ""
    env: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    # (instruction, bytes, content id) of each layer, oldest first
    layers: tuple[tuple[str, int, str], ...] = ()


@dataclass
class FakeEngine:
    """Images by reference; `reads` records every file read and folder listed."""

    images: dict[str, FakeImage] = field(default_factory=dict)
    up: bool = True
    reads: list[str] = field(default_factory=list)

    def ensure_available(self) -> None:
        if not self.up:
            raise EngineUnavailable("no Docker engine: fake is down", hint="start it")

    def versions(self) -> tuple[str, str]:
        return "26.1.5", "github.com/docker/buildx 0.13.1"

    def inspect_image(self, ref: str) -> dict[str, Any]:
        image = self._image(ref)
        return {
            "Architecture": image.arch,
            "Variant": image.variant,
            "Config": {"Env": list(image.env), "Labels": dict(image.labels)},
            "RootFS": {"Layers": [f"sha256:{layer[2]}" for layer in image.layers]},
        }

    def history(self, ref: str) -> tuple[HistoryEntry, ...]:
        return tuple(HistoryEntry(created_by=i, size=n) for i, n, _ in self._image(ref).layers)

    def read_file(self, ref: str, path: str) -> bytes | None:
        self.reads.append(path)
        return self._image(ref).files.get(path)

    def list_dir(self, ref: str, path: str, *, depth: int = 1) -> tuple[str, ...]:
        self.reads.append(path + "/")
        prefix = path.rstrip("/") + "/"
        found: set[str] = set()
        for name in self._image(ref).files:
            if name.startswith(prefix):
                parts = name[len(prefix) :].split("/")
                found.update("/".join(parts[: i + 1]) for i in range(min(depth, len(parts))))
        return tuple(sorted(found))

    def read_folder(
        self, ref: str, path: str, *, depth: int = 1, contents: re.Pattern[str] | None = None
    ) -> dict[str, bytes | None]:
        files = self._image(ref).files
        prefix = path.rstrip("/") + "/"
        found: dict[str, bytes | None] = {}
        for name in self.list_dir(ref, path, depth=depth):
            wanted = contents is not None and contents.match(name) is not None
            found[name] = files.get(prefix + name) if wanted else None
        return found

    def run_container(
        self, ref: str, command: Sequence[str], *, docker_args: Sequence[str] = ()
    ) -> ProcessResult:
        raise AssertionError("the scan must run nothing in the image")

    def build(self, args: Sequence[str], *, log: IO[str] | None = None) -> ProcessResult:
        raise AssertionError("the scan must build nothing")

    def push(self, ref: str) -> None:
        raise AssertionError("the scan must push nothing")

    def pull(self, ref: str) -> None:
        raise AssertionError("the scan must pull nothing")

    def tag(self, source: str, target: str) -> None:
        raise AssertionError("the scan must tag nothing")

    def load(self, archive: Path) -> None:
        raise AssertionError("the scan must load nothing")

    def _image(self, ref: str) -> FakeImage:
        if ref not in self.images:
            raise NotFound(f"image {ref} not found in the engine", hint="build it")
        return self.images[ref]


@dataclass
class FakeSecurityIndex:
    """`Packages` text per (suite, arch); `down` makes every read fail as the network would.
    `mirrors` records the mirror each use was made for.
    """

    indexes: dict[tuple[str, str], str] = field(default_factory=dict)
    down: bool = False
    mirrors: list[str] = field(default_factory=list)
    asked: list[tuple[str, str]] = field(default_factory=list)

    def at(self, mirror: str) -> FakeSecurityIndex:
        self.mirrors.append(mirror)
        return self

    def packages(self, suite: str, arch: str) -> str:
        self.asked.append((suite, arch))
        if self.down:
            raise StepFailed(
                f"reading http://mirror.example/dists/{suite}/main/binary-{arch}/Packages.xz "
                "failed: [Errno 111] Connection refused",
                hint="check the network",
            )
        if (suite, arch) not in self.indexes:
            raise NotFound(f"the security archive has no {suite} index for {arch}")
        return self.indexes[(suite, arch)]


def debian_image(
    status: str, *, os_release: str = BOOKWORM, more: Mapping[str, bytes] | None = None
) -> FakeImage:
    return FakeImage(
        files={
            "/etc/os-release": os_release.encode(),
            "/var/lib/dpkg/status": status.encode(),
            **(more or {}),
        }
    )
