"""`hangar env status` and `hangar env up` through the real CLI, with fakes."""

from __future__ import annotations

import json

from hangar.errors import BadInput, EngineUnavailable, NotFound, RegistryUnavailable
from hangar.ports import Builder, BuilderNode
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


def test_env_status_lists_every_builder_and_its_nodes_when_there_are_several(
    world: World,
) -> None:
    world.probe.extra_builders = (
        Builder(
            name="airflow_cache",
            driver="docker-container",
            nodes=(
                BuilderNode(name="amd", status="running", platforms=("linux/amd64",)),
                BuilderNode(
                    name="arm", status="running", platforms=("linux/arm64", "linux/arm/v7")
                ),
            ),
        ),
    )
    result = world.invoke("env", "status", "--output", "json")
    rows = {c["what"]: c["detail"] for c in json.loads(result.output)}
    assert rows["builder default"] == "docker: default (running) linux/amd64"
    assert rows["builder airflow_cache"] == (
        "docker-container: amd (running) linux/amd64; arm (running) linux/arm64"
    )

    build = world.invoke(
        "image", "build", "--builder", "airflow_cache", "--platform", "linux/arm64"
    )
    assert build.exit_code == 0, build.output
    (args,) = [b.args for b in world.runner.builds()]
    assert args[2:5] == ("build", "--builder", "airflow_cache")

    # a docker-driver builder is its context's: buildx reaches it with --context only
    world.runner.commands.clear()
    context = world.invoke("image", "build", "--builder", "default")
    assert context.exit_code == 0, context.output
    (args,) = [b.args for b in world.runner.builds()]
    assert args[1:5] == ("--context", "default", "buildx", "build")

    missing = world.invoke("image", "build", "--builder", "nope")
    assert isinstance(missing.exception, BadInput)
    assert missing.exception.message == (
        "no buildx builder named nope (there are: default, airflow_cache)"
    )
