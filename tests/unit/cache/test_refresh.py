"""`hangar cache refresh` through the real CLI, with fakes."""

from __future__ import annotations

from hangar.errors import BadInput
from hangar.ports import Builder, BuilderNode
from tests.fakes.world import (
    World,
    build_args,
    cache_exports,
    value_of,
)


def test_cache_refresh_exports_every_python_cache_and_pushes_no_image(world: World) -> None:
    result = world.invoke("cache", "refresh", "--extras", "celery,postgres")
    assert result.exit_code == 0, result.output
    builds = sorted(
        world.runner.builds(), key=lambda b: build_args(b)["PYTHON_MAJOR_MINOR_VERSION"]
    )
    assert len(builds) == 2  # run in parallel, so in any order
    for build, python in zip(builds, ("3.11", "3.13"), strict=True):
        ref = f"reg.example:5000/airflow:cache-python{python}-linux-amd64"
        assert cache_exports(build.args) == [ref]
        assert value_of(build.args, "--cache-from") == [f"type=registry,ref={ref}"]
        assert value_of(build.args, "--platform") == ["linux/amd64"]
        assert "--output" not in build.args
        assert "--tag" not in build.args
        assert (world.root / ".hangar" / "logs" / f"cache-{python}-linux-amd64.log").is_file()


def test_cache_refresh_builds_each_platform_on_a_builder_with_a_node_of_it(world: World) -> None:
    world.probe.extra_builders = (
        Builder(
            name="airflow_cache",
            driver="docker-container",
            nodes=(
                BuilderNode(name="amd", status="running", platforms=("linux/amd64",)),
                BuilderNode(name="arm", status="running", platforms=("linux/arm64",)),
            ),
        ),
    )
    result = world.invoke(
        "cache", "refresh", "--python", "3.11", "--platform", "linux/amd64,linux/arm64",
        "--builder", "airflow_cache",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    refs = sorted(cache_exports(b.args)[0] for b in world.runner.builds())
    assert refs == [
        "reg.example:5000/airflow:cache-python3.11-linux-amd64",
        "reg.example:5000/airflow:cache-python3.11-linux-arm64",
    ]


def test_the_engines_builder_refuses_to_export_an_emulated_platforms_cache(world: World) -> None:
    world.probe.platforms = ("linux/amd64", "linux/arm64")  # arm64 by qemu
    result = world.invoke(
        "cache", "refresh", "--python", "3.11", "--platform", "linux/amd64,linux/arm64"
    )
    assert isinstance(result.exception, BadInput)
    assert "emulated build (linux/arm64)" in result.exception.message
    assert "--builder" in (result.exception.hint or "")
    assert not world.runner.builds()


def test_cache_refresh_refuses_a_platform_without_emulation(world: World) -> None:
    result = world.invoke("cache", "refresh", "--platform", "linux/amd64,linux/arm64")
    assert isinstance(result.exception, BadInput)
    assert "linux/arm64" in result.exception.message
    assert "emulation" in (result.exception.hint or "")
    assert not world.runner.builds()


def test_cache_refresh_of_the_slim_flavour_keeps_the_regular_cache_apart(world: World) -> None:
    result = world.invoke("cache", "refresh", "--slim", "--python", "3.13")
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    ref = "reg.example:5000/airflow:cache-slim-python3.13-linux-amd64"
    assert cache_exports(build.args) == [ref]
    assert build_args(build)["AIRFLOW_EXTRAS"] == ""
