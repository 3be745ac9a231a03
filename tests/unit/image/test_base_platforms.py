"""A multi-platform build checks, before it starts, that its base image has every platform asked
for as BuildKit will resolve it: the engine's builder takes the engine's own copy of the name
before the registry's index, so a single-platform copy left in the engine stops the build in one
line that says what to run.
"""

from __future__ import annotations

from hangar.errors import NotFound
from hangar.ports import Builder, BuilderNode, ImageCopy
from tests.fakes.world import World

BASE = "reg.example:5000/python:3.11-slim-bookworm"  # the fake world's base for 3.11
BOTH = ("--python", "3.11", "--platform", "linux/amd64,linux/arm64", "--push")
INDEX = ImageCopy(digest="sha256:index", platforms=("linux/amd64", "linux/arm64/v8"))
AMD64_ONLY = ImageCopy(digest="sha256:amd64", platforms=("linux/amd64",))


def _world(world: World) -> World:
    world.probe.platforms = ("linux/amd64", "linux/arm64")
    world.probe.registry_copies[BASE] = INDEX
    return world


def test_an_engine_copy_hiding_the_registrys_index_stops_the_build(world: World) -> None:
    _world(world).probe.engine_copies[BASE] = AMD64_ONLY
    done = world.invoke("image", "build", *BOTH)
    assert isinstance(done.exception, NotFound)
    assert done.exception.message == (
        f"base image {BASE}: the engine's own copy (linux/amd64) hides the registry's index "
        "(linux/amd64, linux/arm64/v8), and the engine's builder builds on it"
    )
    assert done.exception.hint is not None
    assert f"docker pull {BASE}" in done.exception.hint
    assert not world.runner.builds()


def test_the_engine_holding_the_index_itself_builds(world: World) -> None:
    # a pulled index: the engine reports its own platform, under the index's digest
    _world(world).probe.engine_copies[BASE] = ImageCopy(
        digest="sha256:index", platforms=("linux/amd64",)
    )
    done = world.invoke("image", "build", *BOTH)
    assert done.exit_code == 0, done.output
    assert len(world.runner.builds()) == 1


def test_a_base_without_a_platform_says_how_to_build_it(world: World) -> None:
    _world(world).probe.registry_copies[BASE] = AMD64_ONLY
    done = world.invoke("image", "build", *BOTH)
    assert isinstance(done.exception, NotFound)
    assert done.exception.message == f"base image {BASE} has no linux/arm64 (it has linux/amd64)"
    assert "hangar base build --platform linux/amd64,linux/arm64 --push" in (
        done.exception.hint or ""
    )


def test_a_builder_that_reads_registries_ignores_the_engines_copy(world: World) -> None:
    _world(world).probe.engine_copies[BASE] = AMD64_ONLY
    world.probe.extra_builders = (
        Builder(
            name="remote",
            driver="docker-container",
            nodes=(BuilderNode(name="n", status="running", platforms=world.probe.platforms),),
        ),
    )
    done = world.invoke("image", "build", *BOTH, "--builder", "remote")
    assert done.exit_code == 0, done.output


def test_the_machines_own_platform_alone_is_not_checked(world: World) -> None:
    world.probe.engine_copies[BASE] = AMD64_ONLY
    world.probe.registry_copies[BASE] = AMD64_ONLY
    done = world.invoke("image", "build", "--python", "3.11")
    assert done.exit_code == 0, done.output
