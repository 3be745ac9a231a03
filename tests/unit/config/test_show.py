"""`hangar config show`: effective values, where each came from (defaults < file < env <
options), and secrets masked.
"""

from __future__ import annotations

import json
from pathlib import Path

from hangar.config import mask_credentials, resolve
from tests.fakes.world import World, make_project


def test_show_names_the_source_of_every_value(tmp_path: Path) -> None:
    world = World(
        root=make_project(tmp_path / "p", 'registry = "from.file:5000"\npythons = ["3.11"]\n')
    )
    world.environ["HANGAR_IMAGE_NAME"] = "from-env"
    result = world.invoke("config", "show", "--output", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["registry"] == {"value": "from.file:5000", "source": "hangar.toml"}
    assert shown["pythons"] == {"value": "3.11", "source": "hangar.toml"}
    assert shown["image_name"] == {"value": "from-env", "source": "env HANGAR_IMAGE_NAME"}
    assert shown["network"] == {"value": "host", "source": "default"}


def test_pyproject_tool_hangar_table_is_read(tmp_path: Path) -> None:
    world = World(root=make_project(tmp_path / "p"))
    (world.root / "pyproject.toml").write_text('[tool.hangar]\nimage_name = "mine"\n')
    shown = json.loads(world.invoke("config", "show", "--output", "json").output)
    assert shown["image_name"] == {"value": "mine", "source": "pyproject.toml"}


def test_secrets_are_masked_in_the_table_and_in_json(tmp_path: Path) -> None:
    world = World(root=make_project(tmp_path / "p"))
    world.environ["HANGAR_INDEX_URL"] = "https://user:hunter2@idx.example/simple"
    world.environ["HANGAR_BASE_IMAGE"] = "https://bob:pw9@x.example/python:{python}"
    for output in ("text", "json"):
        result = world.invoke("config", "show", "--output", output)
        assert result.exit_code == 0, result.output
        assert "hunter2" not in result.output
        assert "pw9" not in result.output
    shown = json.loads(world.invoke("config", "show", "--output", "json").output)
    assert shown["index_url"]["value"] == "****"
    assert shown["index_url"]["source"] == "env HANGAR_INDEX_URL"


def test_options_beat_environment_beat_file() -> None:
    config = resolve(
        files=[(Path("hangar.toml"), 'registry = "file"\n')],
        environ={"HANGAR_REGISTRY": "env"},
        options={"registry": "option"},
    )
    assert config.settings["registry"].value == "option"
    assert config.settings["registry"].source == "option --registry"
    config = resolve(files=[(Path("hangar.toml"), 'registry = "file"\n')], environ={}, options={})
    assert config.settings["registry"].source == "hangar.toml"


def test_mask_credentials_keeps_user_and_host() -> None:
    assert mask_credentials("https://u:p@h/simple") == "https://u:****@h/simple"
    assert mask_credentials("no credentials here") == "no credentials here"


def test_build_uses_the_environment_over_the_file(tmp_path: Path) -> None:
    world = World(root=make_project(tmp_path / "p", 'registry = "file.example"\n'))
    world.environ["HANGAR_REGISTRY"] = "env.example"
    result = world.invoke("image", "build", "--python", "3.11", "--dry-run")
    assert "--tag env.example/airflow:3.3.2-python3.11" in result.output
