"""Keeping a released version patched, for real: a small Airflow image built on a base that
took no Debian updates is released, then `--patch`ed and `--refresh-base`d against the real
engine, the local registry and the real Debian security archive; rolled back; and released
through a registry that fails in the middle.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest

from hangar.image.inspecting.scan import python_distributions
from hangar.image.releasing.candidates import PATCHED_FROM
from hangar.image.trust.provenance import image_manifest_digest
from hangar.infra.docker import DockerEngine
from hangar.infra.process import SubprocessRunner
from hangar.infra.registry import HttpRegistry
from tests.images import (
    HANGAR,
    OUTDATED_BASE,
    REGISTRY,
    Built,
    constraints_for_tests,
    empty_repository,
    pending_updates,
    registry_base,
)
from tests.proxy import Faults, faulty_registry

pytestmark = [pytest.mark.integration, pytest.mark.image]

CURRENT = "3.11-slim-bookworm-current"  # every update published so far (see current_base)
DAY1, DAY2, DAY3 = "20260101", "20260102", "20260103"


@pytest.fixture(scope="module")
def released_source(registry: HttpRegistry, make_image: Callable[..., Built]) -> str:
    """The small test image built on the outdated base, pushed as `<repo>:3.3.2-python3.11`
    (repository name returned).
    """
    base = registry_base(OUTDATED_BASE, "--main-only")
    built = make_image(
        python="3.11",
        base_image=base,
        files={"constraints-3.11.txt": constraints_for_tests("3.11")},
    )
    assert built.returncode == 0, built.output[-3000:]
    source = f"hangar-test-src-{uuid.uuid4().hex[:8]}"
    ref = f"{REGISTRY}/{source}:3.3.2-python3.11"
    subprocess.run(["docker", "tag", built.ref, ref], check=True)
    subprocess.run(["docker", "push", "--quiet", ref], check=True, capture_output=True)
    return source


@pytest.fixture
def repo(registry: HttpRegistry, released_source: str) -> Iterator[str]:
    """A fresh repository holding the built image as `3.3.2-python3.11`, emptied afterwards."""
    name = f"hangar-test-{uuid.uuid4().hex[:10]}"
    registry.copy(
        source_repository=released_source,
        source_reference="3.3.2-python3.11",
        repository=name,
        tag="3.3.2-python3.11",
    )
    yield name
    empty_repository(registry, name)


def hangar(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "HANGAR_PYTHONS": "3.11",
        "HANGAR_DEFAULT_PYTHON": "3.11",
        "HANGAR_BARE_TAG_PYTHON": "3.11",  # the un-suffixed tags (3.3.2, latest) are 3.11's
        **env,
    }
    return subprocess.run(
        [HANGAR, *args],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
        timeout=1800,
    )


def release(
    repo: str, *more: str, registry: str = REGISTRY, command: str = "release", **env: str
) -> subprocess.CompletedProcess[str]:
    """`hangar image COMMAND 3.3.2` (release, patch, refresh-base, rollback) for Python 3.11."""
    return hangar(
        "image", command, "3.3.2", "--python", "3.11", "--image-name", repo,
        "--registry", registry, *more, **env,
    )  # fmt: skip


def tags(registry: HttpRegistry, repo: str) -> dict[str, str | None]:
    return {t: registry.digest(repo, t) for t in registry.list_tags(repo)}


def layers(registry: HttpRegistry, repo: str, digest: str) -> list[str]:
    image = image_manifest_digest(registry, repo, digest)
    assert image is not None
    _media, body = registry.manifest(repo, image)
    return [layer["digest"] for layer in json.loads(body)["layers"]]


def environment(ref: str) -> tuple[object, ...]:
    engine = DockerEngine(runner=SubprocessRunner())
    subprocess.run(["docker", "pull", "--quiet", ref], check=True, capture_output=True)
    return python_distributions(engine, ref, engine.inspect_image(ref))


def test_patch_publishes_a_dated_image_with_nothing_pending_and_moves_the_tags(
    registry: HttpRegistry, repo: str
) -> None:
    assert release(repo, "--date", DAY1).returncode == 0
    before = tags(registry, repo)
    released = before["3.3.2-python3.11"]
    assert released is not None
    assert before[f"3.3.2-python3.11-{DAY1}"] == released
    ref = f"{REGISTRY}/{repo}"
    assert pending_updates(f"{ref}@{released}"), "the outdated base should leave updates pending"

    done = release(repo, "--date", DAY2, command="patch")
    assert done.returncode == 0, done.stderr[-3000:]
    after = tags(registry, repo)
    patched = after["3.3.2-python3.11"]
    assert patched not in (None, released)
    assert after[f"3.3.2-python3.11-{DAY2}"] == patched
    assert after["3.3.2"] == after["latest"] == after["latest-python3.11"] == patched
    assert after[f"3.3.2-python3.11-{DAY1}"] == released  # still pullable
    assert pending_updates(f"{ref}@{patched}") == []
    # one layer on top: the released layers keep their digests, the Python environment is the same
    old_layers = layers(registry, repo, released)
    assert layers(registry, repo, patched)[: len(old_layers)] == old_layers
    assert len(layers(registry, repo, patched)) == len(old_layers) + 1
    assert environment(f"{ref}@{patched}") == environment(f"{ref}@{released}")
    labels = DockerEngine(runner=SubprocessRunner()).inspect_image(f"{ref}@{patched}")
    assert labels["Config"]["Labels"][PATCHED_FROM] == released

    back = release(repo, "--to", DAY1, command="rollback")
    assert back.returncode == 0, back.stderr
    assert tags(registry, repo)["3.3.2-python3.11"] == released
    assert tags(registry, repo)["latest"] == released
    assert tags(registry, repo)[f"3.3.2-python3.11-{DAY2}"] == patched


def current_base() -> str:
    """The base with every update published so far: one built earlier is kept in the registry,
    and built again when the security archive has published an update since.
    """
    return registry_base(CURRENT, current=True)


def test_refresh_base_rebuilds_from_the_released_inputs(registry: HttpRegistry, repo: str) -> None:
    assert release(repo, "--date", DAY1).returncode == 0
    released = tags(registry, repo)["3.3.2-python3.11"]
    current = current_base()
    done = release(
        repo, "--date", DAY3, command="refresh-base",
        HANGAR_BASE_IMAGE=current.replace("3.11", "{python}").replace("bookworm", "{debian}"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    after = tags(registry, repo)
    refreshed = after["3.3.2-python3.11"]
    assert refreshed not in (None, released)
    assert after[f"3.3.2-python3.11-{DAY3}"] == refreshed
    ref = f"{REGISTRY}/{repo}"
    assert pending_updates(f"{ref}@{refreshed}") == []
    assert environment(f"{ref}@{refreshed}") == environment(f"{ref}@{released}")


def test_a_candidate_failing_its_checks_moves_no_tag(registry: HttpRegistry) -> None:
    """An outdated plain Python base released as if it were Airflow: its patch fails the
    image checks, so nothing moves.
    """
    name = f"hangar-test-{uuid.uuid4().hex[:10]}"
    outdated = registry_base(OUTDATED_BASE, "--main-only")
    repository, reference = outdated.removeprefix(f"{REGISTRY}/").split(":")
    registry.copy(
        source_repository=repository, source_reference=reference,
        repository=name, tag="3.3.2-python3.11",
    )  # fmt: skip
    try:
        assert release(name, "--date", DAY1).returncode == 0
        before = tags(registry, name)
        done = release(name, "--date", DAY2, command="patch")
        assert done.returncode == 1
        assert "failed its checks, no tag moved" in done.stderr
        assert tags(registry, name) == before
    finally:
        empty_repository(registry, name)


def test_a_registry_failing_mid_release_then_a_rerun_converges(
    registry: HttpRegistry, repo: str
) -> None:
    digest = tags(registry, repo)["3.3.2-python3.11"]
    faults = Faults(manifest_writes_allowed=2)
    with faulty_registry(REGISTRY, faults) as proxy:
        done = release(repo, "--date", DAY1, registry=proxy)
        assert done.returncode == 4, done.stderr
        assert "stopped after 2 of" in done.stderr
        assert "run the same command again" in done.stderr
        assert "latest" not in registry.list_tags(repo)  # version tags went first
        faults.manifest_writes_allowed = None
        again = release(repo, "--date", DAY1, registry=proxy)
        assert again.returncode == 0, again.stderr
    final = tags(registry, repo)
    for tag in (
        "3.3.2-python3.11",
        "3.3.2",
        "latest",
        "latest-python3.11",
        f"3.3.2-python3.11-{DAY1}",
    ):
        assert final[tag] == digest, tag
