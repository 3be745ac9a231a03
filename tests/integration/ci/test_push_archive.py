"""`hangar ci push-archive` against the local registry: the archived image lands under its tag
with the digest the build gave it, every blob and manifest readable by the engine's own tools.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from hangar.infra.registry import HttpRegistry
from tests.images import REGISTRY
from tests.oci_archive import make_archive

pytestmark = pytest.mark.integration

SHA = "89abcdef0123456789abcdef0123456789abcdef"
LABELS = {
    "org.apache.airflow.main-image.commit-sha": SHA,
    "org.opencontainers.image.revision": SHA,
    "org.apache.airflow.python.version": "3.11",
}


def hangar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "hangar"), *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_the_pushed_archive_is_the_image_the_build_made(tmp_path: Path) -> None:
    repository = f"hangar-archive-{uuid.uuid4().hex[:10]}/ci"
    archive, digest = make_archive(tmp_path / "ci.tar", labels=LABELS, salt=repository)
    ref = f"{REGISTRY}/{repository}:{SHA}-python3.11"
    done = hangar("ci", "push-archive", str(archive), "--image", ref, "--commit", SHA,
                  "--python", "3.11")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == digest
    assert HttpRegistry(host=REGISTRY).digest(repository, f"{SHA}-python3.11") == digest
    inspected = subprocess.run(
        ["docker", "buildx", "imagetools", "inspect", "--raw", ref],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert '"attestation-manifest"' in inspected.stdout  # the index came whole

    again = hangar("ci", "push-archive", str(archive), "--image", ref, "--commit", SHA,
                   "--python", "3.11")  # fmt: skip
    assert again.returncode == 0, again.stderr  # blobs already there: nothing uploaded twice
    assert again.stdout.strip() == digest
