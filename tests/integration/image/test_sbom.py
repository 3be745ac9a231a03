"""`hangar image sbom` on the real local base image: its Debian packages are the ones dpkg in
the image lists, both documents pass the libraries' validators, the bytes do not change between
runs, and nothing is left behind in the engine.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.json.json_parser import parse_from_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from tests.images import HANGAR, containers_of, docker_output

pytestmark = pytest.mark.integration


def hangar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HANGAR, *args], capture_output=True, text=True, check=False, timeout=600)


def test_the_debian_packages_are_what_dpkg_lists(local_base: str) -> None:
    image_id = docker_output("image", "inspect", "--format", "{{.Id}}", local_base).strip()
    before = containers_of(local_base, image_id)

    done = hangar("image", "sbom", local_base)

    assert done.returncode == 0, done.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(done.stdout) is None
    bom = json.loads(done.stdout)
    debs = {
        (c["name"], c["version"])
        for c in bom["components"]
        if c.get("purl", "").startswith("pkg:deb/debian/")
    }
    assert all(
        c["purl"].endswith("distro=debian-bookworm")
        for c in bom["components"]
        if c.get("purl", "").startswith("pkg:deb/")
    )
    # nothing ran in the image to make the SBOM; the test may run dpkg-query to check it
    listed = docker_output(
        "run",
        "--rm",
        "--network",
        "none",
        local_base,
        "dpkg-query",
        "-W",
        "-f",
        "${Package} ${Version}\\n",
    )
    assert debs == {tuple(line.split()) for line in listed.splitlines()}
    assert f"{len(debs)} Debian packages, 0 Python distributions" in done.stderr
    repo_digests = json.loads(
        docker_output("image", "inspect", "--format", "{{json .RepoDigests}}", local_base)
    )
    repository = local_base.rsplit(":", 1)[0]
    assert f"{repository}@{bom['metadata']['component']['version']}" in repo_digests

    assert containers_of(local_base, image_id) == before  # no container of it left behind
    assert hangar("image", "sbom", local_base).stdout == done.stdout  # the same bytes again


def test_spdx_to_a_file_is_valid(local_base: str, tmp_path: Path) -> None:
    target = tmp_path / "base.spdx.json"
    done = hangar("image", "sbom", local_base, "--format", "spdx", "--output-file", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    document = parse_from_file(str(target))
    assert validate_full_spdx_document(document) == []
    purls = [r.locator for p in document.packages for r in p.external_references]
    assert any(p.startswith("pkg:deb/debian/libc6@") for p in purls)
