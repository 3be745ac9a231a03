"""Dry run, `cache refresh`, `base build`, `env status` / `env up`, through the real CLI."""

from __future__ import annotations

import json

from hangar.errors import BadInput, EngineUnavailable, NotFound, RegistryUnavailable
from tests.fakes.world import (
    World,
    build_args,
    value_of,
)


def test_dry_run_prints_copy_pasteable_commands_and_runs_nothing(world: World) -> None:
    result = world.invoke(
        "image",
        "build",
        "--python",
        "all",
        "--cache",
        "registry",
        "--push",
        "--dry-run",
        "--index-url",
        "https://u:pw@idx.example/simple",
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("docker buildx build")]
    assert len(lines) == 2
    assert (
        "--cache-to type=registry,ref=reg.example:5000/airflow:cache-python3.11-linux-amd64"
        ",mode=max" in lines[0]
    )
    assert "pw@" not in result.output
    assert "export HANGAR_SECRET_INDEX_URL=... first" in result.output
    # nothing that changes state ran: no build, no constraints, no log files
    assert not world.runner.builds()
    assert not world.constraints.calls
    assert not (world.root / ".hangar").exists()


def test_dry_run_needs_no_engine(world: World) -> None:
    world.runner.engine_up = False
    result = world.invoke("image", "build", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "docker buildx build" in result.output


def test_cache_refresh_exports_every_python_cache_and_pushes_no_image(world: World) -> None:
    result = world.invoke("cache", "refresh", "--extras", "celery,postgres")
    assert result.exit_code == 0, result.output
    builds = sorted(
        world.runner.builds(), key=lambda b: build_args(b)["PYTHON_MAJOR_MINOR_VERSION"]
    )
    assert len(builds) == 2  # run in parallel, so in any order
    for build, python in zip(builds, ("3.11", "3.13"), strict=True):
        ref = f"reg.example:5000/airflow:cache-python{python}-linux-amd64"
        assert value_of(build.args, "--cache-to") == [f"type=registry,ref={ref},mode=max"]
        assert value_of(build.args, "--cache-from") == [f"type=registry,ref={ref}"]
        assert value_of(build.args, "--platform") == ["linux/amd64"]
        assert "--push" not in build.args
        assert "--tag" not in build.args
        assert (world.root / ".hangar" / "logs" / f"cache-{python}-linux-amd64.log").is_file()


def test_cache_refresh_builds_each_platform_the_builder_can_run(world: World) -> None:
    world.probe.platforms = ("linux/amd64", "linux/arm64")
    result = world.invoke(
        "cache", "refresh", "--python", "3.11", "--platform", "linux/amd64,linux/arm64"
    )
    assert result.exit_code == 0, result.output
    refs = sorted(value_of(b.args, "--cache-to")[0] for b in world.runner.builds())
    assert refs == [
        "type=registry,ref=reg.example:5000/airflow:cache-python3.11-linux-amd64,mode=max",
        "type=registry,ref=reg.example:5000/airflow:cache-python3.11-linux-arm64,mode=max",
    ]


def test_cache_refresh_refuses_a_platform_without_emulation(world: World) -> None:
    result = world.invoke("cache", "refresh", "--platform", "linux/amd64,linux/arm64")
    assert isinstance(result.exception, BadInput)
    assert "linux/arm64" in result.exception.message
    assert "emulation" in (result.exception.hint or "")
    assert not world.runner.builds()


def test_base_build_runs_the_script_per_python_with_the_configured_names(world: World) -> None:
    result = world.invoke("base", "build", "--push")
    assert result.exit_code == 0, result.output
    runs = [c.args for c in world.runner.commands if c.args[0].endswith("build-base-image.sh")]
    assert [r[1:] for r in runs] == [
        (
            "--python",
            "3.11",
            "--codename",
            "bookworm",
            "--tag",
            "reg.example:5000/python:3.11-slim-bookworm",
            "--push",
        ),
        (
            "--python",
            "3.13",
            "--codename",
            "trixie",
            "--tag",
            "reg.example:5000/python:3.13-slim-trixie",
            "--push",
        ),
    ]


def test_base_build_dry_run_prints_the_script_lines(world: World) -> None:
    result = world.invoke("base", "build", "--python", "3.11", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "build-base-image.sh --python 3.11 --codename bookworm" in result.output
    assert not [c for c in world.runner.commands if c.args[0].endswith("build-base-image.sh")]


def test_env_status_all_present(world: World) -> None:
    result = world.invoke("env", "status", "--output", "json")
    assert result.exit_code == 0, result.output
    checks = json.loads(result.output)
    assert [c["what"] for c in checks] == [
        "engine",
        "buildx",
        "registry",
        "base image 3.11",
        "base image 3.13",
    ]
    assert all(c["ok"] for c in checks)


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
