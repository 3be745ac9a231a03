"""`hangar image sbom`: what an image holds, read from its files into CycloneDX 1.6 and SPDX 2.3
documents that the libraries' own validators accept, the same bytes every time, all against
fakes (nothing runs, nothing is built).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.json.json_parser import parse_from_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from hangar.errors import BadInput, NotFound
from hangar.image.inspecting.sbom import (
    CONSTRAINTS_FILE,
    ImageContents,
    created_at,
    declared_licence,
    image_digest,
    read_contents,
    repository_of,
)
from hangar.image.trust.sbom_formats import cyclonedx_json, spdx_json
from tests.fakes.scan import FakeEngine, FakeImage, debian_image, stanza
from tests.fakes.world import World

IMAGE = "reg.example:5000/airflow:3.3.2-python3.11"
DIGEST = "sha256:" + "ab" * 32
BASE_DIGEST = "sha256:" + "cd" * 32
STATUS = "".join(
    (
        stanza("libstdc++6", "12.2.0-14+deb12u1", source="gcc-12 (12.2.0-14+deb12u1)"),
        stanza("libc6", "2.36-9+deb12u9", source="glibc"),
        stanza("tzdata", "2024a-0+deb12u1", arch="all"),
        stanza("removed-lib", "1.0-1", status="deinstall ok config-files"),
    )
)
SITE = "/home/airflow/.local/lib/python3.11/site-packages"
CONSTRAINTS = b"apache-airflow==3.3.2\ncelery==5.5.3\n"


def metadata(name: str, version: str, *headers: str) -> bytes:
    head = "\n".join(("Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}", *headers))
    return f"{head}\n\nThe long description.\nLicense: not a header\n".encode()


PYTHON_FILES = {
    f"{SITE}/Flask_AppBuilder-4.5.0.dist-info/METADATA": metadata(
        "Flask-AppBuilder", "4.5.0", "License-Expression: BSD-3-Clause"
    ),
    f"{SITE}/celery-5.5.3.dist-info/METADATA": metadata("celery", "5.5.3", "License: BSD"),
    f"{SITE}/attrs-25.1.0.dist-info/METADATA": metadata(
        "attrs", "25.1.0", "License-Expression: MIT", "License: UNKNOWN"
    ),
    f"{SITE}/pendulum-3.0.0.dist-info/METADATA": metadata(
        "pendulum", "3.0.0", "License: Copyright (c) Sébastien\n        Permission is granted"
    ),
    f"{SITE}/old_thing-1.0-py3.11.egg-info/PKG-INFO": metadata(
        "old_thing", "1.0", "License: Apache-2.0 OR MIT"
    ),
    f"{SITE}/no_metadata-2.0.dist-info/RECORD": b"",
}


@dataclass
class SbomEngine(FakeEngine):
    """The scan's fake engine, with what `docker image inspect` adds for an SBOM."""

    inspected: dict[str, Any] = field(default_factory=dict)

    def inspect_image(self, ref: str) -> dict[str, Any]:
        found = super().inspect_image(ref)
        config = {**found["Config"], **self.inspected.get("Config", {})}
        return {**found, **self.inspected, "Config": config}


def airflow_engine(*, labels: dict[str, str] | None = None) -> SbomEngine:
    image = debian_image(STATUS, more={**PYTHON_FILES, CONSTRAINTS_FILE: CONSTRAINTS})
    image.env = ("VIRTUAL_ENV=/home/airflow/.local",)
    return SbomEngine(
        images={IMAGE: image},
        inspected={
            "Id": "sha256:" + "ee" * 32,
            "RepoDigests": [
                "other.example/airflow@sha256:" + "00" * 32,
                f"reg.example:5000/airflow@{DIGEST}",
            ],
            "Created": "2026-01-03T10:20:30.123456789Z",
            "Config": {"Labels": labels or {}},
        },
    )


@pytest.fixture
def contents() -> ImageContents:
    return read_contents(
        airflow_engine(
            labels={
                "org.opencontainers.image.base.digest": BASE_DIGEST,
                "org.opencontainers.image.base.name": "docker.io/library/python:3.11-slim",
            }
        ),
        IMAGE,
    )


# -- the pure part ----------------------------------------------------------------------------


def test_the_contents_are_the_installed_packages_and_distributions_sorted(
    contents: ImageContents,
) -> None:
    assert [(p.name, p.version, p.arch, p.source) for p in contents.packages] == [
        ("libc6", "2.36-9+deb12u9", "amd64", "glibc"),
        ("libstdc++6", "12.2.0-14+deb12u1", "amd64", "gcc-12"),
        ("tzdata", "2024a-0+deb12u1", "all", "tzdata"),
    ]
    assert [(p.name, p.version, p.licence) for p in contents.python] == [
        ("attrs", "25.1.0", "MIT"),  # License-Expression wins over License
        ("celery", "5.5.3", "BSD"),
        ("flask-appbuilder", "4.5.0", "BSD-3-Clause"),
        ("no-metadata", "2.0", None),
        ("old-thing", "1.0", "Apache-2.0 OR MIT"),  # egg-info: PKG-INFO
        ("pendulum", "3.0.0", None),  # a licence's full text is not a licence's name
    ]
    assert contents.digest == DIGEST  # the repository's own digest
    assert contents.created == datetime(2026, 1, 3, 10, 20, 30, tzinfo=UTC)
    assert contents.base_digest == BASE_DIGEST
    assert contents.constraints is not None
    assert contents.constraints.sha256 == hashlib.sha256(CONSTRAINTS).hexdigest()


def test_purls_follow_the_purl_spec(contents: ImageContents) -> None:
    purls = [contents.deb_purl(p) for p in contents.packages]
    assert purls == [
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-bookworm",
        "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-bookworm",
        "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-bookworm",
    ]
    assert contents.python[2].purl == "pkg:pypi/flask-appbuilder@4.5.0"


def test_licences_come_from_the_metadata_headers_only() -> None:
    assert declared_licence("License-Expression: Apache-2.0\nLicense: MIT\n") == "Apache-2.0"
    assert declared_licence("Name: x\nLicense: UNKNOWN\n") is None
    assert declared_licence("Name: x\n\nLicense: MIT\n") is None  # in the description


def test_digests_names_and_times_from_inspect() -> None:
    assert repository_of("reg:5000/a/b:1.0") == "reg:5000/a/b"
    assert repository_of("reg:5000/a/b") == "reg:5000/a/b"
    assert repository_of("b@sha256:00") == "b"
    assert image_digest("x@sha256:11", {"RepoDigests": []}) == "sha256:11"
    assert image_digest("debian:12", {"Id": "sha256:22", "RepoDigests": None}) == "sha256:22"
    assert created_at({"Created": "2026-01-03T10:20:30+02:00"}).hour == 8
    assert created_at({}).year == 1970


# -- the documents ----------------------------------------------------------------------------


def test_cyclonedx_is_valid_1_6_with_every_component_and_digest(contents: ImageContents) -> None:
    text = cyclonedx_json(contents)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    purls = {c["purl"]: c for c in bom["components"] if "purl" in c}
    assert "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-bookworm" in purls
    assert purls["pkg:pypi/attrs@25.1.0"]["licenses"] == [{"license": {"id": "MIT"}}]
    assert purls["pkg:pypi/celery@5.5.3"]["licenses"] == [{"license": {"name": "BSD"}}]
    assert purls["pkg:pypi/old-thing@1.0"]["licenses"] == [{"expression": "Apache-2.0 OR MIT"}]
    assert "licenses" not in purls["pkg:pypi/pendulum@3.0.0"]
    assert len([p for p in purls if p.startswith(("pkg:deb/", "pkg:pypi/"))]) == 9
    assert bom["metadata"]["component"]["version"] == DIGEST
    assert bom["metadata"]["timestamp"] == "2026-01-03T10:20:30+00:00"
    assert any(c["version"] == BASE_DIGEST for c in bom["components"] if c["type"] == "container")
    (constraints,) = [c for c in bom["components"] if c["type"] == "file"]
    assert constraints["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(CONSTRAINTS).hexdigest()}
    ]


def test_spdx_is_valid_2_3_with_every_package(contents: ImageContents, tmp_path: Path) -> None:
    path = tmp_path / "sbom.spdx.json"
    path.write_text(spdx_json(contents))
    document = parse_from_file(str(path))
    assert validate_full_spdx_document(document) == []
    packages = {p.name: p for p in document.packages}
    assert {"libc6", "libstdc++6", "tzdata", "attrs", "celery", "old-thing"} <= set(packages)
    assert [r.locator for r in packages["libstdc++6"].external_references] == [
        "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-bookworm"
    ]
    assert str(packages["attrs"].license_declared) == "MIT"
    assert str(packages["celery"].license_declared) == "LicenseRef-BSD"  # not an SPDX id
    assert [e.extracted_text for e in document.extracted_licensing_info] == ["BSD"]
    assert packages["reg.example:5000/airflow"].version == DIGEST
    (constraints,) = document.files
    assert constraints.name == "./home/airflow/constraints.txt"
    # the image's creation time, in UTC (spdx-tools reads the `Z` back as a naive time)
    assert document.creation_info.created == datetime(2026, 1, 3, 10, 20, 30)  # noqa: DTZ001


def test_the_same_image_gives_the_same_bytes(contents: ImageContents) -> None:
    again = read_contents(
        airflow_engine(
            labels={
                "org.opencontainers.image.base.digest": BASE_DIGEST,
                "org.opencontainers.image.base.name": "docker.io/library/python:3.11-slim",
            }
        ),
        IMAGE,
    )
    assert cyclonedx_json(again) == cyclonedx_json(contents)
    assert spdx_json(again) == spdx_json(contents)
    assert json.loads(cyclonedx_json(contents))["serialNumber"].startswith("urn:uuid:")


def test_a_plain_debian_image_has_only_its_own_digest() -> None:
    engine = SbomEngine(
        images={"debian:12": debian_image(STATUS)}, inspected={"Id": "sha256:" + "12" * 32}
    )
    plain = read_contents(engine, "debian:12")
    assert (plain.base_digest, plain.constraints, plain.python) == (None, None, ())
    bom = json.loads(cyclonedx_json(plain))
    assert [c["type"] for c in bom["components"]] == ["library"] * 3
    assert bom["metadata"]["component"]["version"] == "sha256:" + "12" * 32
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cyclonedx_json(plain)) is None


# -- the command ------------------------------------------------------------------------------


def test_the_command_prints_cyclonedx_and_counts_on_stderr(world: World) -> None:
    world.engine = airflow_engine()
    result = world.invoke("image", "sbom", IMAGE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["bomFormat"] == "CycloneDX"
    assert "3 Debian packages, 6 Python distributions" in result.stderr
    assert world.runner.commands == []  # nothing ran: no container, no build


def test_the_command_writes_spdx_to_a_file(world: World, tmp_path: Path) -> None:
    world.engine = airflow_engine()
    target = tmp_path / "sbom.json"
    result = world.invoke("image", "sbom", IMAGE, "--format", "spdx", "--output-file", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(target.read_text())["spdxVersion"] == "SPDX-2.3"
    assert f"written to {target}" in result.stderr


def test_the_sbom_holds_no_environment_values(world: World) -> None:
    engine = airflow_engine()
    engine.images[IMAGE].env = ("VIRTUAL_ENV=/home/airflow/.local", "DB_PASSWORD=hunter2")
    world.engine = engine
    for sbom_format in ("cyclonedx", "spdx"):
        result = world.invoke("image", "sbom", IMAGE, "--format", sbom_format)
        assert result.exit_code == 0, result.output
        assert "hunter2" not in result.stdout


def test_missing_images_and_other_systems_are_named(world: World) -> None:
    world.engine = SbomEngine(
        images={"alpine:3": FakeImage(files={"/etc/os-release": b"ID=alpine\n"})}
    )
    result = world.invoke("image", "sbom", "alpine:3")
    assert isinstance(result.exception, BadInput)
    assert "alpine:3 is alpine: the SBOM reads the dpkg status" in result.exception.message
    result = world.invoke("image", "sbom", "nosuch:1")
    assert isinstance(result.exception, NotFound)
