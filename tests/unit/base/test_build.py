"""`hangar base build` through the real CLI, with a recording runner."""

from __future__ import annotations

from hangar.errors import BadInput
from tests.fakes.world import (
    World,
)


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


def test_base_build_lists_the_security_updates_each_base_took(world: World) -> None:
    world.runner.script_output = (
        "[base] updating from bookworm-updates and bookworm-security\n"
        "security update: libssl3 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2\n"
        "security update: tzdata 2026b-0+deb12u1 -> 2026f-0+deb12u1\n"
    )
    result = world.invoke("base", "build", "--python", "3.11")
    assert result.exit_code == 0, result.output
    assert "security update: libssl3 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2" in result.output
    assert "2 security update(s)" in result.output


def test_base_build_passes_the_platforms_and_refuses_one_without_emulation(world: World) -> None:
    world.probe.platforms = ("linux/amd64", "linux/arm64")
    both = ("--python", "3.13", "--platform", "linux/amd64,linux/arm64", "--push")
    result = world.invoke("base", "build", *both)
    assert result.exit_code == 0, result.output
    (run,) = [c.args for c in world.runner.commands if c.args[0].endswith("build-base-image.sh")]
    assert run[-3:] == ("--platform", "linux/amd64,linux/arm64", "--push")
    unpushed = world.invoke("base", "build", *both[:-1])
    assert isinstance(unpushed.exception, BadInput)
    assert "it needs --push" in unpushed.exception.message

    world.probe.platforms = ("linux/amd64",)
    refused = world.invoke("base", "build", *both)
    assert isinstance(refused.exception, BadInput)
    assert refused.exception.message == "the builder cannot run linux/arm64 (it runs linux/amd64)"


def test_base_build_refuses_a_python_its_debian_release_does_not_ship(world: World) -> None:
    world.environ["HANGAR_DEBIAN"] = "trixie"
    refused = world.invoke("base", "build", "--python", "3.11")
    assert isinstance(refused.exception, BadInput)
    assert refused.exception.message.startswith("Debian trixie does not ship Python 3.11")
    assert "3.11 on bookworm, 3.13 on trixie" in (refused.exception.hint or "")
    assert not [c for c in world.runner.commands if c.args[0].endswith("build-base-image.sh")]


def test_the_314_base_comes_from_debians_testing_release(world: World) -> None:
    world.environ["HANGAR_DEBIAN"] = "3.11=bookworm,3.13=trixie,3.14=forky"
    result = world.invoke("base", "build", "--python", "3.14", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "build-base-image.sh --python 3.14 --codename forky" in result.output
