"""`hangar ci build-image --archive DIR`: each image goes to DIR/<python>.oci.tar and stays
there (a fork's images, handed over to the job that pushes them): nothing pushed or loaded.
"""

from __future__ import annotations

from pathlib import Path

from hangar.errors import BadInput
from tests.fakes.world import SMALL_CONFIG, World


def _world(tmp_path: Path) -> World:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "hangar.toml").write_text(SMALL_CONFIG)
    return World(root=folder)


def test_each_image_is_written_to_its_archive_and_neither_pushed_nor_loaded(
    tmp_path: Path,
) -> None:
    world = _world(tmp_path)
    done = world.invoke(
        "ci", "build-image", "--target", "main", "--python", "3.11",
        "--tag", "reg.example:5000/airflow:abc-python3.11", "--archive", "archives/prod",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (build,) = world.runner.builds()
    folder = world.root / "archives" / "prod"
    assert folder.is_dir()  # made for the exporter
    output = build.args[build.args.index("--output") + 1]
    assert output.startswith(f"type=oci,dest={folder / '3.11.oci.tar'},")
    assert "--push" not in build.args
    assert "--load" not in build.args
    assert any(arg.startswith("--provenance") for arg in build.args)  # the archive keeps it
    assert not [c for c in world.runner.commands if c.args[1:2] in (("load",), ("push",))]


def test_an_archive_cannot_also_be_pushed(tmp_path: Path) -> None:
    world = _world(tmp_path)
    done = world.invoke("ci", "build-image", "--push", "--archive", "archives/ci")
    assert isinstance(done.exception, BadInput)
    assert "--archive" in done.exception.message
    assert "--push" in done.exception.message
    assert world.runner.builds() == []
    assert not (world.root / "archives").exists()


def test_a_dry_run_makes_no_folder(tmp_path: Path) -> None:
    world = _world(tmp_path)
    done = world.invoke("ci", "build-image", "--python", "3.11", "--archive", "out", "--dry-run")
    assert done.exit_code == 0, done.output
    assert "would make the folder" in done.output
    assert "type=oci,dest=" in done.output
    assert not (world.root / "out").exists()
