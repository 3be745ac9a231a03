"""An in-memory registry behind the Registry interface, for unit tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from hangar.errors import RegistryUnavailable, StepFailed


@dataclass
class FakeRegistry:
    """repository -> tag -> digest. `copies` records every copy; `wrong_digest_for` makes a
    copy to that tag land on another digest (a racing push).
    """

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    available: bool = True
    copies: list[tuple[str, str]] = field(default_factory=list)
    wrong_digest_for: frozenset[str] = frozenset()
    fail_after: int | None = None  # copies that succeed before the registry starts failing
    # (repository, digest) -> (media type, bytes) of manifests; digest -> bytes of blobs
    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)

    def ensure_available(self) -> None:
        if not self.available:
            raise RegistryUnavailable("registry fake:5000 is not reachable", hint="start it")

    def list_tags(self, repository: str) -> tuple[str, ...]:
        self.ensure_available()
        return tuple(self.tags.get(repository, {}))

    def digest(self, repository: str, reference: str) -> str | None:
        self.ensure_available()
        if reference.startswith("sha256:"):
            known = {d for tags in self.tags.values() for d in tags.values()}
            return reference if reference in known else None
        return self.tags.get(repository, {}).get(reference)

    def copy(
        self, *, source_repository: str, source_reference: str, repository: str, tag: str
    ) -> str:
        if self.fail_after is not None and len(self.copies) >= self.fail_after:
            raise RegistryUnavailable("registry fake:5000 failed while tagging (status 503)")
        digest = self.digest(source_repository, source_reference)
        assert digest is not None, f"no {source_repository}@{source_reference}"
        if tag in self.wrong_digest_for:
            digest = "sha256:" + "f" * 64
        self.tags.setdefault(repository, {})[tag] = digest
        self.copies.append((f"{source_repository}@{source_reference}", f"{repository}:{tag}"))
        return digest

    def manifest(self, repository: str, reference: str) -> tuple[str, bytes]:
        digest = self.digest(repository, reference) or reference
        if (repository, digest) not in self.manifests:
            raise StepFailed(f"fake:5000/{repository}:{reference} does not exist in the registry")
        return self.manifests[repository, digest]

    def blob(self, repository: str, digest: str) -> bytes:
        if digest not in self.blobs:
            raise StepFailed(f"fake:5000/{repository} has no blob {digest}")
        return self.blobs[digest]

    def has_blob(self, repository: str, digest: str) -> bool:
        return digest in self.blobs

    def push_blob(self, repository: str, digest: str, data: bytes) -> None:
        self.ensure_available()
        self.blobs[digest] = data

    def put_manifest(self, repository: str, reference: str, media_type: str, body: bytes) -> str:
        self.ensure_available()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        self.manifests[repository, digest] = (media_type, body)
        if not reference.startswith("sha256:"):
            self.tags.setdefault(repository, {})[reference] = digest
        return digest


class SlowRegistry:
    """The image appears after `after` polls."""

    def __init__(self, after: int | None) -> None:
        self.after = after
        self.polls = 0

    def digest(self, repository: str, reference: str) -> str | None:
        self.polls += 1
        if self.after is not None and self.polls > self.after:
            return "sha256:" + "a" * 64
        return None
