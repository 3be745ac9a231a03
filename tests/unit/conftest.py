"""Fixtures of the unit tests that drive the real CLI against fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.world import SMALL_CONFIG, World, make_project


@pytest.fixture
def world(tmp_path: Path) -> World:
    """A project folder with a small hangar.toml, and fakes for the engine, registry and
    constraints behind the CLI.
    """
    return World(root=make_project(tmp_path / "project", SMALL_CONFIG))
