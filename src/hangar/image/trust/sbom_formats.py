"""An image's SBOM as CycloneDX 1.6 JSON (cyclonedx-python-lib) or SPDX 2.3 JSON (spdx-tools).

Pure: an `ImageContents` in, the document's text out, the same bytes for the same image (the
components are sorted, every identifier is derived from the image's contents, the serial
number / namespace from its digest and the timestamp is the image's creation time).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterable

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

# spdx-tools types its model, not this (license-expression's licensing, with SPDX's list)
from spdx_tools.common.spdx_licensing import spdx_licensing  # type: ignore[import-untyped]
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
from spdx_tools.spdx.model.file import File
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from hangar import __version__
from hangar.image.inspecting.sbom import ImageContents, PythonPackage, repository_of

FORMATS = ("cyclonedx", "spdx")
SBOM_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/apache/airflow#hangar-sbom")
PROPERTY = "hangar:"  # the prefix of hangar's CycloneDX properties


def serial(contents: ImageContents) -> uuid.UUID:
    """The document's identity: the same for the same image digest, whatever the format."""
    return uuid.uuid5(SBOM_NAMESPACE, contents.digest)


def oci_purl(repository: str, digest: str) -> str:
    """`pkg:oci/<name>@<digest>?repository_url=<repository>` (purl-spec's type for images)."""
    name = repository.rsplit("/", 1)[-1]
    return PackageURL(
        type="oci", name=name, version=digest, qualifiers={"repository_url": repository}
    ).to_string()


def render(contents: ImageContents, sbom_format: str) -> str:
    renderers: dict[str, Callable[[ImageContents], str]] = {
        "cyclonedx": cyclonedx_json,
        "spdx": spdx_json,
    }
    return renderers[sbom_format](contents)


# -- CycloneDX 1.6 ------------------------------------------------------------------------------


def cyclonedx_bom(contents: ImageContents) -> Bom:
    licences = LicenseFactory()
    image = Component(
        type=ComponentType.CONTAINER,
        name=contents.repository,
        version=contents.digest,
        bom_ref="image",
        purl=PackageURL.from_string(oci_purl(contents.repository, contents.digest)),
        properties=_image_properties(contents),
    )
    components = [
        Component(
            type=ComponentType.LIBRARY,
            name=p.name,
            version=p.version,
            bom_ref=contents.deb_purl(p),
            purl=PackageURL.from_string(contents.deb_purl(p)),
            properties=[
                Property(name=f"{PROPERTY}deb:source", value=p.source),
                Property(name=f"{PROPERTY}deb:arch", value=p.arch),
            ],
        )
        for p in contents.packages
    ]
    components += [
        Component(
            type=ComponentType.LIBRARY,
            name=p.name,
            version=p.version,
            bom_ref=p.purl,
            purl=PackageURL.from_string(p.purl),
            licenses=[licences.make_from_string(p.licence)] if p.licence else None,
        )
        for p in contents.python
    ]
    if contents.constraints is not None:
        components.append(
            Component(
                type=ComponentType.FILE,
                name=contents.constraints.path,
                bom_ref=f"file:{contents.constraints.path}",
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=contents.constraints.sha256)],
            )
        )
    if contents.base_digest:
        base = contents.base_name or "base"
        components.append(
            Component(
                type=ComponentType.CONTAINER,
                name=repository_of(base),
                version=contents.base_digest,
                bom_ref="base-image",
                purl=PackageURL.from_string(oci_purl(repository_of(base), contents.base_digest)),
                properties=[Property(name=f"{PROPERTY}role", value="base image")],
            )
        )
    bom = Bom(
        serial_number=serial(contents),
        metadata=BomMetaData(component=image, timestamp=contents.created),
        components=components,
    )
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="hangar", version=__version__)
    )
    bom.register_dependency(image, components)
    return bom


def _image_properties(contents: ImageContents) -> list[Property]:
    values = [
        ("image:reference", contents.image),
        ("image:digest", contents.digest),
        ("debian:codename", contents.debian.codename),
        ("debian:arch", contents.debian.arch),
    ]
    if contents.base_digest:
        values.append(("base:digest", contents.base_digest))
    if contents.base_name:
        values.append(("base:name", contents.base_name))
    if contents.constraints is not None:
        values.append(("constraints:sha256", contents.constraints.sha256))
    return [Property(name=PROPERTY + key, value=value) for key, value in values]


def cyclonedx_json(contents: ImageContents) -> str:
    return JsonV1Dot6(cyclonedx_bom(contents)).output_as_string(indent=2) + "\n"


# -- SPDX 2.3 ---------------------------------------------------------------------------------


def spdx_id(*parts: str) -> str:
    """An SPDX element id: `SPDXRef-` and letters, digits, `.` and `-` only."""
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", "-".join(parts)).strip("-")


def _unique(ids: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for ident in ids:
        count = seen.get(ident, 0)
        seen[ident] = count + 1
        unique.append(ident if not count else f"{ident}-{count + 1}")
    return unique


def _purl_ref(purl: str) -> ExternalPackageRef:
    return ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl)


class _Licences:
    """SPDX licence expressions for declared licences; a `LicenseRef-` (extracted licensing
    info) for each that is not an SPDX expression.
    """

    def __init__(self) -> None:
        self.extracted: dict[str, ExtractedLicensingInfo] = {}

    def declared(self, package: PythonPackage) -> object:
        text = package.licence
        if not text:
            return SpdxNoAssertion()
        info = spdx_licensing.validate(text)
        if not info.errors and not info.invalid_symbols:
            return spdx_licensing.parse(text)
        base = "LicenseRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")[:60]
        ident = base
        number = 1
        while ident in self.extracted and self.extracted[ident].extracted_text != text:
            number += 1
            ident = f"{base}-{number}"
        self.extracted[ident] = ExtractedLicensingInfo(
            license_id=ident, extracted_text=text, license_name=text
        )
        return spdx_licensing.parse(ident)


def spdx_document(contents: ImageContents) -> Document:
    image_id = "SPDXRef-image"
    creation = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"{contents.image} ({contents.digest})",
        document_namespace=f"https://spdx.org/spdxdocs/hangar-image-sbom-{serial(contents)}",
        creators=[Actor(ActorType.TOOL, f"hangar-{__version__}")],
        created=contents.created,
    )
    image = Package(
        spdx_id=image_id,
        name=contents.repository,
        download_location=SpdxNoAssertion(),
        version=contents.digest,
        files_analyzed=False,
        external_references=[_purl_ref(oci_purl(contents.repository, contents.digest))],
        primary_package_purpose=PackagePurpose.CONTAINER,
        comment=f"the image {contents.image}; Debian {contents.debian.codename} "
        f"({contents.debian.arch})",
    )
    packages = [image]
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, image_id)]
    deb_ids = _unique(spdx_id("deb", p.name, p.arch) for p in contents.packages)
    for ident, deb in zip(deb_ids, contents.packages, strict=True):
        packages.append(
            Package(
                spdx_id=ident,
                name=deb.name,
                download_location=SpdxNoAssertion(),
                version=deb.version,
                files_analyzed=False,
                source_info=f"built from the Debian source package {deb.source}",
                external_references=[_purl_ref(contents.deb_purl(deb))],
                primary_package_purpose=PackagePurpose.LIBRARY,
            )
        )
    licences = _Licences()
    py_ids = _unique(spdx_id("pypi", p.name, p.version) for p in contents.python)
    for ident, dist in zip(py_ids, contents.python, strict=True):
        packages.append(
            Package(
                spdx_id=ident,
                name=dist.name,
                download_location=SpdxNoAssertion(),
                version=dist.version,
                files_analyzed=False,
                license_declared=licences.declared(dist),
                external_references=[_purl_ref(dist.purl)],
                primary_package_purpose=PackagePurpose.LIBRARY,
            )
        )
    relationships += [
        Relationship(image_id, RelationshipType.CONTAINS, p.spdx_id) for p in packages[1:]
    ]
    if contents.base_digest:
        base = repository_of(contents.base_name or "base")
        packages.append(
            Package(
                spdx_id="SPDXRef-base-image",
                name=base,
                download_location=SpdxNoAssertion(),
                version=contents.base_digest,
                files_analyzed=False,
                external_references=[_purl_ref(oci_purl(base, contents.base_digest))],
                primary_package_purpose=PackagePurpose.CONTAINER,
            )
        )
        relationships.append(
            Relationship(image_id, RelationshipType.DESCENDANT_OF, "SPDXRef-base-image")
        )
    files = []
    if contents.constraints is not None:
        files.append(
            File(
                name=f".{contents.constraints.path}",  # SPDX file names are relative
                spdx_id="SPDXRef-file-constraints",
                comment=f"in the image {contents.image}",
                checksums=[
                    Checksum(ChecksumAlgorithm.SHA1, contents.constraints.sha1),
                    Checksum(ChecksumAlgorithm.SHA256, contents.constraints.sha256),
                ],
            )
        )
        # a package whose files were not analysed may contain no file: the document describes it
        relationships.append(
            Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-file-constraints")
        )
    return Document(
        creation_info=creation,
        packages=packages,
        files=files,
        relationships=relationships,
        extracted_licensing_info=[licences.extracted[k] for k in sorted(licences.extracted)],
    )


def spdx_json(contents: ImageContents) -> str:
    """The SPDX document as JSON, validated by spdx-tools on the way out."""
    stream = io.StringIO()
    write_document_to_stream(spdx_document(contents), stream, validate=True)
    return stream.getvalue() + "\n"
