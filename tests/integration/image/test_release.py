"""`hangar image release` against the real local registry: tags and their digests.

The "built" per-Python images are stood in for by the base images the set-up script pushes
(copied into a throwaway repository, so nothing is built and every run is independent).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from hangar.infra.registry import HttpRegistry
from tests.images import HANGAR, REGISTRY

pytestmark = pytest.mark.integration

BASES = {"3.11": "3.11-slim-bookworm", "3.13": "3.13-slim-trixie"}


def seed(
    registry: HttpRegistry, repo: str, version: str, sources: dict[str, str]
) -> dict[str, str]:
    """Put `<version>-python<py>` into `repo`, copied from a base image; return the digests."""
    return {
        python: registry.copy(
            source_repository="python",
            source_reference=base,
            repository=repo,
            tag=f"{version}-python{python}",
        )
        for python, base in sources.items()
    }


def release(
    repo: str, version: str, *more: str, **environ: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HANGAR_BARE_TAG_PYTHON": "3.13", "HANGAR_PYTHONS": "3.11,3.13", **environ}
    return subprocess.run(
        [
            HANGAR,
            "image",
            "release",
            version,
            "--registry",
            REGISTRY,
            "--image-name",
            repo,
            "--output",
            "json",
            *more,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_release_tags_resolve_to_the_right_digests(registry: HttpRegistry, repo: str) -> None:
    built = seed(registry, repo, "3.3.2", BASES)

    dry = release(repo, "3.3.2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    planned = {
        t["tag"].rsplit(":", 1)[1]: t["digest"] for t in json.loads(dry.stdout)["plan"]["tags"]
    }
    assert planned["latest"] == built["3.13"]
    assert sorted(registry.list_tags(repo)) == ["3.3.2-python3.11", "3.3.2-python3.13"]  # unchanged

    done = release(repo, "3.3.2")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"]
    d = {tag: registry.digest(repo, tag) for tag in registry.list_tags(repo)}
    assert (
        d["3.3.2"]
        == d["3.3.2-python3.13"]
        == d["latest"]
        == d["latest-python3.13"]
        == built["3.13"]
    )
    assert d["3.3.2-python3.11"] == d["latest-python3.11"] == built["3.11"]


def test_pre_release_and_older_version_do_not_move_latest(
    registry: HttpRegistry, repo: str
) -> None:
    seed(registry, repo, "3.3.2", BASES)
    assert release(repo, "3.3.2").returncode == 0
    latest = registry.digest(repo, "latest")

    # the swapped bases give the pre-release other digests than the final release
    rc = seed(registry, repo, "3.4.0rc1", {"3.11": BASES["3.13"], "3.13": BASES["3.11"]})
    done = release(repo, "3.4.0rc1")
    assert done.returncode == 0, done.stderr
    assert "pre-release" in json.loads(done.stdout)["plan"]["latest"]["reason"]
    assert (
        registry.digest(repo, "3.4.0rc1")
        == registry.digest(repo, "3.4.0rc1-python3.13")
        == rc["3.13"]
    )
    assert registry.digest(repo, "latest") == latest

    seed(registry, repo, "3.2.9", {"3.11": BASES["3.13"], "3.13": BASES["3.11"]})
    done = release(repo, "3.2.9")
    assert done.returncode == 0, done.stderr
    assert registry.digest(repo, "latest") == latest
    assert registry.digest(repo, "latest-python3.11") != registry.digest(repo, "3.2.9-python3.11")


def test_missing_source_fails_with_not_found_and_moves_nothing(repo: str) -> None:
    done = release(repo, "3.3.2")
    assert done.returncode == 8
    assert "is not in the registry" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("cosign") is None, reason="cosign is not installed")
def test_release_sign_signs_and_attests_every_digest_a_tag_moved_to(
    registry: HttpRegistry, repo: str, tmp_path: Path
) -> None:
    built = seed(registry, repo, "3.3.2", BASES)
    password = "release-" + uuid.uuid4().hex
    subprocess.run(
        ["cosign", "generate-key-pair"], cwd=tmp_path, capture_output=True, check=True,
        env={**os.environ, "COSIGN_PASSWORD": password}, timeout=60,
    )  # fmt: skip
    done = release(
        repo, "3.3.2", "--sign", "--key", str(tmp_path / "cosign.key"), COSIGN_PASSWORD=password
    )
    assert done.returncode == 0, done.stderr
    assert password not in done.stdout + done.stderr
    for python, digest in built.items():
        assert f"signed {REGISTRY}/{repo}@{digest}; SBOM attested" in done.stderr, python
        verified = subprocess.run(
            [
                HANGAR, "image", "verify", f"{REGISTRY}/{repo}:3.3.2-python{python}",
                "--key", str(tmp_path / "cosign.pub"), "--check", "signature", "--check", "sbom",
                "--output", "json",
            ],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stdout + verified.stderr
    # every tag the release made resolves to a signed digest
    assert {
        registry.digest(repo, t) for t in registry.list_tags(repo) if "sha256-" not in t
    } == set(built.values())
