"""Attestations of a signed image: its SBOM (read from the image's own files) and the build
provenance BuildKit attached to it, each signed with the same key as the image and stored next
to it in the registry; and the checks `hangar image verify --key` makes of them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hangar.image.inspecting.sbom import ImageContents
from hangar.image.trust.provenance import Provenance, attached_provenance
from hangar.image.trust.sbom_formats import cyclonedx_json
from hangar.image.verifying.checks import CheckResult
from hangar.ports import Registry, Signer
from hangar.values import parse_ref

# cosign's name for a CycloneDX predicate (statement type https://cyclonedx.org/bom)
SBOM_TYPE = "cyclonedx"
SBOM = "sbom"
PROVENANCE = "provenance"
PACKAGE_PURLS = ("pkg:deb/", "pkg:pypi/")
EXAMPLES = 3  # names shown of what differs


@dataclass(frozen=True, kw_only=True)
class Attested:
    ref: str  # REGISTRY/REPOSITORY@sha256:…
    sbom_counts: Mapping[str, int]
    provenance: Provenance | None  # None: the image carries no build provenance


def package_purls(contents: ImageContents) -> frozenset[str]:
    """Every Debian package's and Python distribution's purl: what an SBOM must list."""
    return frozenset(
        [contents.deb_purl(p) for p in contents.packages] + [p.purl for p in contents.python]
    )


def listed_purls(bom: Mapping[str, Any]) -> frozenset[str]:
    """The package purls a CycloneDX document lists (its components, nested ones too)."""
    found: set[str] = set()

    def walk(components: Iterable[Mapping[str, Any]]) -> None:
        for component in components:
            purl = str(component.get("purl") or "")
            if purl.startswith(PACKAGE_PURLS):
                found.add(purl)
            walk(component.get("components") or ())

    walk(bom.get("components") or ())
    return frozenset(found)


def attest_image(
    signer: Signer,
    registry: Registry,
    ref: str,
    contents: ImageContents,
    *,
    key: Path | None,
    password: str | None,
) -> Attested:
    """Attest `ref`'s SBOM (from `contents`, read from the image) and, when the image carries
    one, its build provenance, with `key`.
    """
    name = parse_ref(ref)
    provenance = attached_provenance(registry, name.repository, name.reference)
    with tempfile.TemporaryDirectory(prefix="hangar-attest-") as scratch:
        sbom_file = Path(scratch) / "sbom.cdx.json"
        sbom_file.write_text(cyclonedx_json(contents), encoding="utf-8")
        signer.attest(
            ref, predicate_file=sbom_file, predicate_type=SBOM_TYPE, key=key, password=password
        )
        if provenance is not None:
            predicate_file = Path(scratch) / "provenance.json"
            predicate_file.write_text(json.dumps(provenance.predicate), encoding="utf-8")
            signer.attest(
                ref,
                predicate_file=predicate_file,
                predicate_type=provenance.predicate_type,
                key=key,
                password=password,
            )
    return Attested(ref=ref, sbom_counts=contents.counts(), provenance=provenance)


def sbom_row(signer: Signer, ref: str, contents: ImageContents, *, public_key: Path) -> CheckResult:
    """The SBOM is attested with the key and lists exactly the packages the image holds."""
    found = signer.verify_attestation(ref, public_key=public_key, predicate_type=SBOM_TYPE)
    wanted = package_purls(contents)
    description = (
        f"a signed SBOM lists every package: {len(contents.packages)} Debian, "
        f"{len(contents.python)} Python"
    )
    if not found.ok:
        return _failed(SBOM, description, f"no signed SBOM: {found.detail}")
    boms = [s.get("predicate") or {} for s in found.statements]
    if not boms:
        return _failed(SBOM, description, "the SBOM attestation holds no document")
    listed = listed_purls(boms[-1])
    missing, extra = sorted(wanted - listed), sorted(listed - wanted)
    if missing or extra:
        said = []
        if missing:
            said.append(f"the SBOM misses {len(missing)} ({_examples(missing)})")
        if extra:
            said.append(f"lists {len(extra)} the image lacks ({_examples(extra)})")
        return _failed(SBOM, description, "; ".join(said))
    return CheckResult(name=SBOM, description=description, passed=True)


def provenance_row(
    signer: Signer, registry: Registry, ref: str, *, public_key: Path
) -> CheckResult:
    """The image carries build provenance about its own manifest, attested with the key."""
    name = parse_ref(ref)
    provenance = attached_provenance(registry, name.repository, name.reference)
    description = "signed build provenance names this image"
    if provenance is None:
        return _failed(PROVENANCE, description, "the image carries no build provenance")
    if provenance.image_digest not in provenance.subjects():
        return _failed(
            PROVENANCE,
            description,
            f"the provenance is about {', '.join(provenance.subjects()) or 'nothing'}, "
            f"not {provenance.image_digest}",
        )
    found = signer.verify_attestation(
        ref, public_key=public_key, predicate_type=provenance.predicate_type
    )
    if not found.ok:
        return _failed(PROVENANCE, description, f"the provenance is not signed: {found.detail}")
    return CheckResult(
        name=PROVENANCE,
        description=f"{description} ({provenance.image_digest[:19]}): {provenance.summary()}",
        passed=True,
    )


def _examples(purls: list[str]) -> str:
    shown = ", ".join(p.split("?", 1)[0].removeprefix("pkg:") for p in purls[:EXAMPLES])
    return shown + (", …" if len(purls) > EXAMPLES else "")


def _failed(name: str, description: str, detail: str) -> CheckResult:
    return CheckResult(name=name, description=description, passed=False, detail=detail)
