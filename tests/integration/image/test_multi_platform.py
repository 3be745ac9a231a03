"""amd64 + arm64 under emulation, end to end: `hangar base build --platform
linux/amd64,linux/arm64 --push` makes one base index from Debian packages (arm64's debootstrap
second stage under qemu), `hangar image build --slim --platform linux/amd64,linux/arm64 --push`
builds the slim image on it as one image index, `hangar image verify --platform` passes on both
platforms (an arm64 container runs on aarch64 and `airflow version` works there), and
`hangar image release` gives every tag the index's digest, both platforms kept.

Slow (every arm64 step is emulated): marked `emulation`; needs qemu-user-static and
binfmt-support (`scripts/setup-env.sh --test` sets them up). The base index is kept between
runs under the key of its recipe, and the module runs before the session's builder prune (see the
`multi` fixture): a machine that ran the module before builds the base again only when its
recipe changed or Debian published a security update it lacks, and the slim image's steps again
only where their inputs changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hangar.infra.registry import HttpRegistry
from tests.images import (
    AIRFLOW_VERSION,
    HANGAR,
    REGISTRY,
    REPO,
    docker,
    empty_repository,
    kept_base,
    recipe_key,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.emulation,
    pytest.mark.timeout(3000),
    pytest.mark.builder_cache,
]

PLATFORMS = "linux/amd64,linux/arm64"
PYTHON = "3.13"
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def emulation_missing() -> bool:
    return not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists()


@dataclass(frozen=True)
class Multi:
    repository: str  # 127.0.0.1:5000/hangar-test-multi-<id>
    base: str
    image: str


def hangar(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=2400,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def platforms_of(registry: HttpRegistry, repository: str, reference: str) -> set[str]:
    """The platforms of the index `repository:reference` (attestation manifests left out)."""
    media_type, body = registry.manifest(repository, reference)
    assert media_type in INDEX_TYPES, media_type
    manifest = json.loads(body)
    return {
        f"{m['platform']['os']}/{m['platform']['architecture']}"
        for m in manifest["manifests"]
        if m.get("platform", {}).get("os") != "unknown"
    }


@pytest.fixture(scope="module")
def registry() -> HttpRegistry:
    return HttpRegistry(host=REGISTRY)


# the base index, kept in the local registry between runs (see `multi`)
KEPT_BASE = "hangar-kept-multi-base"


@pytest.fixture(scope="module")
def multi(registry: HttpRegistry) -> Iterator[Multi]:
    """The base index (`hangar base build`) and the slim image index built on it (`hangar image
    build`), both platforms. The base is kept in the registry, named by its recipe's key, and
    built again when its recipe changes or the security archive publishes an update it lacks
    (tests/images.kept_base). The slim image is built on every run; the module runs before the
    session's builder prune (marker `builder_cache`), so BuildKit takes from the cache the last
    session left the steps whose inputs are unchanged (on the same base, all of them). Its
    registry cache cannot stand in: this engine's BuildKit refuses to export the cache of an
    emulated build (`hangar cache refresh` says why).
    """
    if emulation_missing():
        pytest.fail("no arm64 emulation: run scripts/setup-env.sh --test (qemu-user-static)")
    name = f"hangar-test-multi-{uuid.uuid4().hex[:8]}"
    repository = f"{REGISTRY}/{name}"
    image = f"{repository}:slim-{AIRFLOW_VERSION}-python{PYTHON}"

    def build_base(ref: str) -> None:
        pattern = ref.replace(PYTHON, "{python}").replace("trixie", "{debian}")
        built_base = hangar(
            "base", "build", "--python", PYTHON, "--platform", PLATFORMS, "--push",
            env={"HANGAR_BASE_IMAGE": pattern},
        )  # fmt: skip
        assert built_base.returncode == 0, built_base.stderr[-3000:]

    stem = f"{PYTHON}-slim-trixie"
    base = kept_base(KEPT_BASE, stem, recipe_key(PYTHON, PLATFORMS), build_base, current=True)
    try:
        built = hangar(
            "image", "build", "--slim", "--python", PYTHON, "--platform", PLATFORMS, "--push",
            "--base-image", base, "--tag", image, "--output", "json",
        )  # fmt: skip
        assert built.returncode == 0, built.stderr[-3000:]
        yield Multi(repository=repository, base=base, image=image)
    finally:
        empty_repository(registry, name)
        docker("image", "rm", "-f", image, base)


def test_the_base_is_one_index_of_both_platforms(multi: Multi, registry: HttpRegistry) -> None:
    repository, _, tag = multi.base.removeprefix(f"{REGISTRY}/").partition(":")
    assert platforms_of(registry, repository, tag) == {"linux/amd64", "linux/arm64"}


def test_the_slim_image_is_one_index_of_both_platforms(
    multi: Multi, registry: HttpRegistry
) -> None:
    repository, _, tag = multi.image.removeprefix(f"{REGISTRY}/").partition(":")
    assert platforms_of(registry, repository, tag) == {"linux/amd64", "linux/arm64"}


@pytest.mark.parametrize("platform", ["linux/amd64", "linux/arm64"])
def test_verify_passes_on_each_platform(multi: Multi, platform: str) -> None:
    """Every image check passes in containers of each platform, `airflow version` among them,
    and the platform row says an arm64 container really ran on aarch64.
    """
    done = hangar("image", "verify", multi.image, "--platform", platform, "--output", "json")
    report = json.loads(done.stdout)
    failed = {c["name"]: c["detail"] for c in report["checks"] if not c["passed"]}
    assert not failed, failed
    assert done.returncode == 0, done.stderr[-2000:]
    machine = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}[platform]
    assert any(c["name"] == "platform" and machine in c["description"] for c in report["checks"])


def test_release_gives_every_tag_the_index_digest(multi: Multi, registry: HttpRegistry) -> None:
    name = multi.repository.removeprefix(f"{REGISTRY}/")
    source = multi.image.rpartition(":")[2]
    before = registry.digest(name, source)
    done = hangar(
        "image", "release", AIRFLOW_VERSION, "--slim", "--python", PYTHON,
        "--repository", multi.repository, "--output", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    for tag in (f"slim-{AIRFLOW_VERSION}", "slim-latest", f"slim-latest-python{PYTHON}"):
        assert registry.digest(name, tag) == before, tag
        assert platforms_of(registry, name, tag) == {"linux/amd64", "linux/arm64"}
