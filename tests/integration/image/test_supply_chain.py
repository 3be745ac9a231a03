"""Provenance, attested SBOM and provenance, and `hangar image verify --key` on an image that
`hangar image build --push` really built (a tiny Dockerfile with a secret, so the build takes
seconds), with the real cosign and the local registry; then the same image with one layer
added on top, pushed under the same tag, fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from hangar.image.trust.provenance import attached_provenance, image_manifest_digest
from hangar.infra.registry import HttpRegistry
from tests.images import HANGAR, REGISTRY, REPO, TEST_EXTRAS, docker, docker_output
from tests.integration.image.test_sign import key_pair

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("cosign") is None, reason="cosign is not installed"),
]

PASSWORD = "hangar-test-" + uuid.uuid4().hex
INDEX_SECRET = "hangar-index-" + uuid.uuid4().hex  # a secret the build reads; never shown
TINY = """\
ARG PYTHON_BASE_IMAGE
FROM ${PYTHON_BASE_IMAGE} AS main
ARG AIRFLOW_VERSION
RUN --mount=type=secret,id=index-url test -s /run/secrets/index-url \\
    && echo "${AIRFLOW_VERSION}" > /airflow-version
"""


def hangar(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COSIGN_PASSWORD": PASSWORD},
        check=False,
        timeout=900,
    )


@pytest.fixture
def pushed(tmp_path: Path, repo: str) -> str:
    """A tiny image built by `hangar image build --push` from a git work tree, with a secret."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "Dockerfile").write_text(TINY)
    git = ("git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.invalid")
    for step in (
        ("init", "-q"),
        ("remote", "add", "origin", "https://git.example/org/dags.git"),
        ("add", "Dockerfile"),
        ("commit", "-qm", "tiny"),
    ):
        subprocess.run([*git, *step], check=True, capture_output=True)
    image = f"{REGISTRY}/{repo}:3.3.2-python3.11"
    built = hangar(
        "image", "build", "--python", "3.11", "--extras", TEST_EXTRAS, "--dockerfile",
        "Dockerfile", "--context", str(work), "--index-url",
        f"https://user:{INDEX_SECRET}@pypi.org/simple", "--tag", image, "--push", cwd=work,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    return image


def test_a_pushed_build_carries_provenance_of_its_inputs_and_no_secret(
    pushed: str, registry: HttpRegistry, repo: str
) -> None:
    provenance = attached_provenance(registry, repo, "3.3.2-python3.11")
    assert provenance is not None
    assert provenance.subjects() == (image_manifest_digest(registry, repo, "3.3.2-python3.11"),)
    assert provenance.source() == "https://git.example/org/dags.git"
    assert len(provenance.revision()) == 40
    assert provenance.build_args()["AIRFLOW_VERSION"] == "3.3.2"
    assert provenance.build_args()["PYTHON_BASE_IMAGE"].endswith("python:3.11-slim-bookworm")
    assert provenance.dockerfile_digest().startswith("sha256:")
    base = registry.digest("python", "3.11-slim-bookworm")
    assert any(m.endswith(f"@{base}") for m in provenance.materials())
    assert provenance.builder() == "buildx://default"
    assert INDEX_SECRET not in json.dumps(provenance.statement)


def test_signed_image_verifies_and_one_layer_more_fails_every_supply_chain_row(
    pushed: str, tmp_path: Path
) -> None:
    keys = key_pair(tmp_path / "keys", PASSWORD)
    signed = hangar("image", "sign", pushed, "--key", str(keys / "cosign.key"))
    assert signed.returncode == 0, signed.stderr
    assert "SBOM attested" in signed.stderr
    assert "provenance attested (https://git.example/org/dags.git@" in signed.stderr

    def verify() -> subprocess.CompletedProcess[str]:
        return hangar(
            "image", "verify", pushed, "--key", str(keys / "cosign.pub"), "--check", "signature",
            "--check", "sbom", "--check", "provenance", "--output", "json",
        )  # fmt: skip

    good = verify()
    assert good.returncode == 0, good.stdout + good.stderr
    rows = {r["name"]: r for r in json.loads(good.stdout)["checks"]}
    assert set(rows) == {"signature", "sbom", "provenance"}
    # the SBOM's counts are what dpkg and pip say inside the image
    debs = docker_output("run", "--rm", pushed, "dpkg-query", "-W", "-f", "${Package}\\n")
    assert f"{len(debs.split())} Debian" in rows["sbom"]["description"]

    # one layer more, pushed under the same tag
    work = tmp_path / "tamper"
    work.mkdir()
    (work / "Dockerfile").write_text(f"FROM {pushed}\nRUN echo changed > /etc/motd\n")
    built = docker("buildx", "build", "--network", "host", "--push", "-t", pushed, str(work))
    assert built.returncode == 0, built.stderr
    bad = verify()
    assert bad.returncode == 1
    failed = {r["name"]: r["detail"] for r in json.loads(bad.stdout)["checks"]}
    assert "no signature for sha256:" in failed["signature"]
    assert "no signed SBOM" in failed["sbom"]
    assert "not signed" in failed["provenance"] or "no build provenance" in failed["provenance"]
    assert "3 check(s) failed: signature, sbom, provenance" in bad.stderr
    for done in (signed, good, bad):
        assert PASSWORD not in done.stdout + done.stderr
        assert INDEX_SECRET not in done.stdout + done.stderr
