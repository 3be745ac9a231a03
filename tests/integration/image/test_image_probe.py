"""The engine's and the registry's copies of an image, as the base-platform check reads them:
the set-up's base, pushed and kept in the engine, is one index of the machine's platform in
both, under one digest; a single-platform copy tagged over it in the engine is told apart.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from hangar.infra.docker import DockerImageProbe
from hangar.infra.process import SubprocessRunner
from hangar.infra.registry import HttpRegistry
from tests.images import BASES, REGISTRY

pytestmark = pytest.mark.integration

PROBE = DockerImageProbe(runner=SubprocessRunner())


def test_the_registry_and_the_engine_hold_the_same_base_index() -> None:
    base = BASES["3.13"]
    registry = PROBE.registry_copy(base)
    assert registry is not None
    assert registry.platforms == ("linux/amd64",)  # the attestation is not a platform
    repository, _, tag = base.removeprefix(f"{REGISTRY}/").partition(":")
    assert registry.digest == HttpRegistry(host=REGISTRY).digest(repository, tag)
    engine = PROBE.engine_copy(base)
    assert engine is not None
    assert engine.digest == registry.digest
    assert engine.platforms == ("linux/amd64",)


def test_a_copy_the_registry_does_not_have_is_told_apart() -> None:
    name = f"{REGISTRY}/hangar-probe-{uuid.uuid4().hex[:8]}:only-here"
    subprocess.run(["docker", "tag", BASES["3.13"], name], check=True)
    try:
        assert PROBE.registry_copy(name) is None
        engine = PROBE.engine_copy(name)
        assert engine is not None
        assert engine.platforms == ("linux/amd64",)
    finally:
        subprocess.run(["docker", "image", "rm", name], capture_output=True, check=False)
    assert PROBE.engine_copy(name) is None
