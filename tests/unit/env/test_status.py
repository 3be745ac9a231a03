"""`hangar env status` and `hangar env up` through the real CLI, with fakes."""

from __future__ import annotations

import json

from hangar.errors import EngineUnavailable, NotFound, RegistryUnavailable
from tests.fakes.world import (
    World,
)


def test_env_status_all_present(world: World) -> None:
    result = world.invoke("env", "status", "--output", "json")
    assert result.exit_code == 0, result.output
    checks = json.loads(result.output)
    assert [c["what"] for c in checks] == [
        "engine",
        "buildx",
        "platforms",
        "registry",
        "base image 3.11",
        "base image 3.13",
    ]
    assert all(c["ok"] for c in checks)


def test_env_status_lists_the_platforms_and_which_are_emulated(world: World) -> None:
    world.probe.platforms = ("linux/amd64", "linux/amd64/v2", "linux/arm64")
    result = world.invoke("env", "status", "--output", "json")
    (row,) = [c for c in json.loads(result.output) if c["what"] == "platforms"]
    assert row["detail"] == "linux/amd64, linux/arm64 (emulated)"
    world.probe.platforms = ("linux/amd64",)
    result = world.invoke("env", "status", "--output", "json")
    (row,) = [c for c in json.loads(result.output) if c["what"] == "platforms"]
    assert row["fix"] == "sudo scripts/setup-env.sh --emulation"


def test_env_status_says_what_to_run_for_a_missing_base_image(world: World) -> None:
    world.probe.missing = frozenset({"reg.example:5000/python:3.11-slim-bookworm"})
    result = world.invoke("env", "status")
    assert isinstance(result.exception, NotFound)
    assert "hangar base build --python 3.11 --push" in (result.exception.hint or "")
    assert "hangar base build --python 3.11 --push" in result.output


def test_env_status_without_engine_or_registry(world: World) -> None:
    world.runner.engine_up = False
    world.probe.registry_up = False
    result = world.invoke("env", "status")
    assert isinstance(result.exception, EngineUnavailable)
    assert "registry" in result.exception.message
    world.runner.engine_up = True
    result = world.invoke("env", "status")
    assert isinstance(result.exception, RegistryUnavailable)


def test_env_up_runs_the_setup_script_through_the_runner(world: World) -> None:
    result = world.invoke("env", "up", "--no-services")
    assert result.exit_code == 0, result.output
    (run,) = [c for c in world.runner.commands if c.args[0].endswith("setup-env.sh")]
    assert run.args[1:] == ("--no-services",)
