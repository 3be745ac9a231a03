"""Reproducible builds: the same inputs give the same image digest, even built twice on an
emptied builder (`hangar image build --source-date-epoch`).
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from hangar.image.trust.provenance import attached_provenance, image_manifest_digest
from hangar.infra.registry import HttpRegistry
from tests.images import (
    HANGAR,
    REGISTRY,
    REPO,
    TEST_EXTRAS,
    constraints_for_tests,
    docker_output,
    make_context,
)

pytestmark = [pytest.mark.integration, pytest.mark.image, pytest.mark.fresh_builder(0)]

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def _build(context: Path, tag: str) -> str:
    """Build on an emptied builder and push; the digest of the image manifest."""
    subprocess.run(["docker", "buildx", "prune", "-af"], capture_output=True, check=True)
    done = subprocess.run(
        [
            HANGAR, "image", "build", "--python", "3.11", "--extras", TEST_EXTRAS,
            "--context", str(context), "--source-date-epoch", EPOCH, "--tag", tag, "--push",
            "--output", "json",
        ],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    registry = HttpRegistry(host=REGISTRY)
    repository, reference = tag.removeprefix(f"{REGISTRY}/").split(":")
    digest = image_manifest_digest(registry, repository, reference)
    assert digest is not None
    # the index around the image also holds BuildKit's provenance, about this very digest (its
    # build times differ from build to build; the image does not)
    provenance = attached_provenance(registry, repository, reference)
    assert provenance is not None
    assert provenance.subjects() == (digest,)
    return digest


def _debian(image: str) -> str:
    """The Debian packages and versions in `image` (pulled from the registry)."""
    return docker_output("run", "--rm", image, "dpkg-query", "-W")


def test_two_builds_on_an_emptied_builder_give_the_same_digest(tmp_path: Path, repo: str) -> None:
    context = make_context(
        tmp_path / "ctx", files={"constraints-3.11.txt": constraints_for_tests("3.11")}
    )
    first = _build(context, f"{REGISTRY}/{repo}:first")
    second = _build(context, f"{REGISTRY}/{repo}:second")
    if first != second and _debian(f"{REGISTRY}/{repo}:first") != _debian(
        f"{REGISTRY}/{repo}:second"
    ):
        # an input changed: the Debian archive (its mirrors sync at their own pace) gave other
        # package versions between the two builds; the same archive state must agree again
        first = second
        second = _build(context, f"{REGISTRY}/{repo}:third")
    assert first == second


def test_a_reproducible_build_without_push_lands_in_the_engine_and_runs(tmp_path: Path) -> None:
    """Without --push the image (exported as an OCI archive, the only export this engine lets
    rewrite file times) is loaded into the engine, and runs.
    """
    context = make_context(
        tmp_path / "ctx", files={"constraints-3.11.txt": constraints_for_tests("3.11")}
    )
    local = f"hangar-test/reproducible:{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [
            HANGAR, "image", "build", "--python", "3.11", "--extras", TEST_EXTRAS,
            "--context", str(context), "--source-date-epoch", EPOCH, "--tag", local,
        ],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    try:
        assert done.returncode == 0, done.stderr[-3000:]
        version = subprocess.run(
            ["docker", "run", "--rm", local, "airflow", "version"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert version.stdout.strip().splitlines()[-1] == "3.3.2"
        assert not list((REPO / ".hangar" / "logs").glob("*.oci.tar"))  # the archive is gone
    finally:
        subprocess.run(["docker", "image", "rm", "-f", local], capture_output=True, check=False)
