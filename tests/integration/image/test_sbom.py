"""`hangar image sbom` on the real local base image: its Debian packages are the ones dpkg in
the image lists, both documents pass the libraries' validators, the bytes do not change between
runs, and nothing is left behind in the engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.json.json_parser import parse_from_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from tests.images import BASES

pytestmark = pytest.mark.integration

HANGAR = str(Path(sys.executable).parent / "hangar")
BASE = BASES["3.11"]


def hangar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HANGAR, *args], capture_output=True, text=True, check=False, timeout=600)


def docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
    return done.stdout


def containers_of(image: str, image_id: str) -> set[str]:
    lines = docker("ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.Image}}").splitlines()
    return {line.split()[0] for line in lines if line.split()[1] in {image, image_id}}


@pytest.fixture(scope="module")
def base() -> str:
    if subprocess.run(["docker", "image", "inspect", BASE], capture_output=True).returncode:
        pytest.fail(f"{BASE} is not in the engine; run scripts/setup-env.sh first")
    return BASE


def test_the_debian_packages_are_what_dpkg_lists(base: str) -> None:
    image_id = docker("image", "inspect", "--format", "{{.Id}}", base).strip()
    before = containers_of(base, image_id)

    done = hangar("image", "sbom", base)

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
    listed = docker(
        "run",
        "--rm",
        "--network",
        "none",
        base,
        "dpkg-query",
        "-W",
        "-f",
        "${Package} ${Version}\\n",
    )
    assert debs == {tuple(line.split()) for line in listed.splitlines()}
    assert f"{len(debs)} Debian packages, 0 Python distributions" in done.stderr
    repo_digests = json.loads(docker("image", "inspect", "--format", "{{json .RepoDigests}}", base))
    repository = base.rsplit(":", 1)[0]
    assert f"{repository}@{bom['metadata']['component']['version']}" in repo_digests

    assert containers_of(base, image_id) == before  # no container of it left behind
    assert hangar("image", "sbom", base).stdout == done.stdout  # the same bytes again


def test_spdx_to_a_file_is_valid(base: str, tmp_path: Path) -> None:
    target = tmp_path / "base.spdx.json"
    done = hangar("image", "sbom", base, "--format", "spdx", "--output-file", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    document = parse_from_file(str(target))
    assert validate_full_spdx_document(document) == []
    purls = [r.locator for p in document.packages for r in p.external_references]
    assert any(p.startswith("pkg:deb/debian/libc6@") for p in purls)
