"""Build provenance: the SLSA statement BuildKit attaches to a pushed image (`--provenance
mode=max`), read back from the registry and summarised.

A pushed hangar image is an index: the image manifest, and an attestation manifest (platform
`unknown/unknown`, annotated `vnd.docker.reference.type: attestation-manifest`) whose layer is
an in-toto statement about the image manifest's digest. The statement carries the build's
start and finish times, so the index digest changes from build to build while the image
manifest's digest (what the statement, the SBOM and `--reproducible` are about) does not.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hangar.ports import Registry

ATTESTATION_TYPE = "attestation-manifest"
REFERENCE_TYPE = "vnd.docker.reference.type"
REFERENCE_DIGEST = "vnd.docker.reference.digest"
PREDICATE_TYPE_ANNOTATION = "in-toto.io/predicate-type"
SLSA_PREFIX = "https://slsa.dev/provenance/"
BUILDKIT_METADATA = "https://mobyproject.org/buildkit@v1#metadata"


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """One provenance statement and the image manifest it is attached to."""

    image_digest: str  # the image manifest the attestation manifest points at
    predicate_type: str
    statement: Mapping[str, Any]

    @property
    def predicate(self) -> Mapping[str, Any]:
        found = self.statement.get("predicate")
        return found if isinstance(found, Mapping) else {}

    def subjects(self) -> tuple[str, ...]:
        """The `sha256:…` digests the statement is about."""
        return tuple(
            f"sha256:{s['digest']['sha256']}"
            for s in self.statement.get("subject") or ()
            if isinstance(s, Mapping) and "sha256" in (s.get("digest") or {})
        )

    def build_args(self) -> dict[str, str]:
        parameters = (self.predicate.get("invocation") or {}).get("parameters") or {}
        args = parameters.get("args") or {}
        return {
            k.removeprefix("build-arg:"): str(v)
            for k, v in sorted(args.items())
            if k.startswith("build-arg:")
        }

    def materials(self) -> tuple[str, ...]:
        """What the build pulled in: `uri@sha256:…` of each base image."""
        return tuple(
            f"{m.get('uri', '')}@sha256:{m['digest']['sha256']}"
            for m in self.predicate.get("materials") or ()
            if "sha256" in (m.get("digest") or {})
        )

    def vcs(self) -> Mapping[str, str]:
        metadata = (self.predicate.get("metadata") or {}).get(BUILDKIT_METADATA) or {}
        found = metadata.get("vcs") or {}
        return {str(k): str(v) for k, v in found.items()}

    def source(self) -> str:
        return self.vcs().get("source", "")

    def revision(self) -> str:
        return self.vcs().get("revision", "")

    def builder(self) -> str:
        return str((self.predicate.get("builder") or {}).get("id") or "")

    def dockerfile_digest(self) -> str:
        """sha256 of the Dockerfile the build read (mode=max records its text)."""
        metadata = (self.predicate.get("metadata") or {}).get(BUILDKIT_METADATA) or {}
        for info in (metadata.get("source") or {}).get("infos") or ():
            if info.get("language") == "Dockerfile" and info.get("data"):
                text = base64.b64decode(info["data"])
                return "sha256:" + hashlib.sha256(text).hexdigest()
        return ""

    def summary(self) -> str:
        """One line: where the image came from."""
        parts = [f"{self.source() or 'a source'}@{self.revision()[:12] or '?'}"]
        if self.dockerfile_digest():
            parts.append(f"Dockerfile {self.dockerfile_digest()[:19]}")
        parts.append(f"{len(self.build_args())} build args")
        if self.materials():
            parts.append(f"base {self.materials()[0].rsplit('@', 1)[1][:19]}")
        if self.builder():
            parts.append(f"builder {self.builder()}")
        return ", ".join(parts)


def builder_id(environ: Mapping[str, str]) -> str:
    """The provenance's `builder.id`: the GitHub Actions run that builds, else the buildx
    builder (`BUILDX_BUILDER`, else `default`) on this machine.
    """
    run = [environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if all(run):
        return f"{run[0]}/{run[1]}/actions/runs/{run[2]}"
    return f"buildx://{environ.get('BUILDX_BUILDER') or 'default'}"


def attached_provenance(registry: Registry, repository: str, reference: str) -> Provenance | None:
    """The SLSA provenance attached to `reference` (an index) in the registry, None when the
    image carries none (a single manifest, or an index without an attestation manifest).
    """
    _media, body = registry.manifest(repository, reference)
    index = json.loads(body)
    for entry in index.get("manifests") or ():
        annotations = entry.get("annotations") or {}
        if annotations.get(REFERENCE_TYPE) != ATTESTATION_TYPE:
            continue
        _media, attestation = registry.manifest(repository, entry["digest"])
        for layer in json.loads(attestation).get("layers") or ():
            predicate_type = (layer.get("annotations") or {}).get(PREDICATE_TYPE_ANNOTATION, "")
            if predicate_type.startswith(SLSA_PREFIX):
                statement = json.loads(registry.blob(repository, layer["digest"]))
                return Provenance(
                    image_digest=annotations.get(REFERENCE_DIGEST, ""),
                    predicate_type=predicate_type,
                    statement=statement,
                )
    return None


def image_manifest_digest(registry: Registry, repository: str, reference: str) -> str | None:
    """The digest of the image manifest `reference` stands for: itself for a single manifest,
    the first real platform's for an index (attestation manifests are skipped).
    """
    digest = registry.digest(repository, reference)
    if digest is None:
        return None
    _media, body = registry.manifest(repository, digest)
    for entry in json.loads(body).get("manifests") or ():
        if (entry.get("platform") or {}).get("architecture") not in (None, "unknown"):
            return str(entry["digest"])
    return digest
