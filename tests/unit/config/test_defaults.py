"""Defaults a user of the official image expects, and the environment overlay that the set-up
script writes where there is no Docker Hub (`hangar config show` names its file).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from hangar.errors import BadInput
from tests.fakes.world import World, build_args, make_project, value_of

OVERLAY = """# written by the set-up script
registry = "127.0.0.1:5000"
base_image = "127.0.0.1:5000/python:{python}-slim-{debian}"
quickstart_network = "host"
"""


def test_without_settings_builds_on_docker_hub_bases_into_a_local_image(tmp_path: Path) -> None:
    world = World(root=make_project(tmp_path / "p"))
    result = world.invoke("image", "build", "--dry-run")
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("docker buildx build")]
    args = shlex.split(line)
    assert "PYTHON_BASE_IMAGE=python:3.13-slim-trixie" in value_of(args, "--build-arg")
    assert value_of(args, "--tag") == ["airflow:3.3.2-python3.13"]
    assert world.runner.builds() == []  # printed, not run


def test_every_supported_python_gets_the_trixie_slim_base_by_default(tmp_path: Path) -> None:
    world = World(root=make_project(tmp_path / "p"))
    assert world.invoke("image", "build", "--python", "all").exit_code == 0
    bases = sorted(build_args(b)["PYTHON_BASE_IMAGE"] for b in world.runner.builds())
    assert bases == [
        "python:3.10-slim-trixie",
        "python:3.11-slim-trixie",
        "python:3.12-slim-trixie",
        "python:3.13-slim-trixie",
        "python:3.14-slim-trixie",
    ]


def test_debian_is_chosen_per_build_or_per_python_in_the_config(tmp_path: Path) -> None:
    world = World(root=make_project(tmp_path / "p"))
    result = world.invoke("image", "build", "--python", "3.12", "--debian", "bookworm")
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    assert build_args(build)["PYTHON_BASE_IMAGE"] == "python:3.12-slim-bookworm"

    world = World(root=make_project(tmp_path / "q"))
    world.environ["HANGAR_DEBIAN"] = "3.11=bookworm,trixie"
    assert world.invoke("image", "build", "--python", "3.11,3.12").exit_code == 0
    bases = sorted(build_args(b)["PYTHON_BASE_IMAGE"] for b in world.runner.builds())
    assert bases == ["python:3.11-slim-bookworm", "python:3.12-slim-trixie"]

    refused = world.invoke("image", "build", "--debian", "buster")
    assert refused.exit_code == 2
    assert "'buster' is not one of 'trixie', 'bookworm'" in refused.output


def test_the_overlay_is_used_and_shown_with_its_file(tmp_path: Path) -> None:
    overlay = tmp_path / "environment.toml"
    overlay.write_text(OVERLAY)
    world = World(root=make_project(tmp_path / "p"))
    world.environ["HANGAR_ENVIRONMENT_FILE"] = str(overlay)
    assert world.invoke("image", "build").exit_code == 0
    (build,) = world.runner.builds()
    assert build_args(build)["PYTHON_BASE_IMAGE"] == "127.0.0.1:5000/python:3.13-slim-trixie"
    shown = json.loads(world.invoke("config", "show", "--output", "json").output)
    assert shown["base_image"]["source"] == str(overlay)
    assert shown["quickstart_network"] == {"value": "host", "source": str(overlay)}
    assert shown["image_name"]["source"] == "default"


def test_the_project_file_beats_the_overlay(tmp_path: Path) -> None:
    overlay = tmp_path / "environment.toml"
    overlay.write_text(OVERLAY)
    world = World(root=make_project(tmp_path / "p", 'registry = "reg.example:5000"\n'))
    world.environ["HANGAR_ENVIRONMENT_FILE"] = str(overlay)
    shown = json.loads(world.invoke("config", "show", "--output", "json").output)
    assert shown["registry"] == {"value": "reg.example:5000", "source": "hangar.toml"}
    assert shown["base_image"]["source"] == str(overlay)


def test_the_registry_cache_without_a_registry_is_refused(tmp_path: Path) -> None:
    world = World(root=make_project(tmp_path / "p"))
    result = world.invoke("image", "build", "--cache", "registry")
    assert isinstance(result.exception, BadInput)
    assert "needs a registry" in result.exception.line()
    assert world.runner.builds() == []
    result = world.invoke("cache", "refresh")
    assert isinstance(result.exception, BadInput)
