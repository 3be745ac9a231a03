"""`hangar image build` in any folder: the folder supplies docker-context-files/, dags/ and
requirements.txt, hangar supplies the recipe; `--dockerfile` builds with the user's own.
"""

from __future__ import annotations

from pathlib import Path

from hangar import __version__
from hangar.image.building.plan import HANGAR_VERSION_LABEL
from tests.fakes.world import SMALL_CONFIG, World, value_of


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "my-airflow"
    folder.mkdir()
    (folder / "hangar.toml").write_text(SMALL_CONFIG)
    return folder


def test_an_empty_folder_builds_with_hangars_recipe(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    world = World(root=folder)
    result = world.invoke("image", "build", "--python", "3.11")
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    context = Path(build.args[-1])
    assert context == folder / ".hangar" / "context"
    assert (context / "Dockerfile").is_file()
    assert (context / "scripts" / "docker" / "entrypoint.sh").is_file()
    assert (context / "docker-context-files" / "constraints-3.11.txt").is_file()
    assert "--file" not in build.args


def test_the_folder_supplies_wheels_requirements_and_dags(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "docker-context-files").mkdir()
    (folder / "docker-context-files" / "mine-1.0-py3-none-any.whl").write_bytes(b"wheel")
    (folder / "requirements.txt").write_text("six==1.16.0\n")
    (folder / "dags").mkdir()
    (folder / "dags" / "a.py").write_text("# a DAG\n")
    world = World(root=folder)
    result = world.invoke("image", "build", "--python", "3.11", "--embedded-dags", "dags")
    assert result.exit_code == 0, result.output
    context = Path(world.runner.builds()[0].args[-1])
    files = context / "docker-context-files"
    assert (files / "mine-1.0-py3-none-any.whl").read_bytes() == b"wheel"
    assert (files / "requirements.txt").read_text() == "six==1.16.0\n"
    assert (context / "dags" / "a.py").is_file()
    # the user's folder is left as it was (only .hangar/ is hangar's)
    assert sorted(p.name for p in folder.iterdir()) == [
        ".hangar",
        "dags",
        "docker-context-files",
        "hangar.toml",
        "requirements.txt",
    ]


def test_dockerfile_builds_the_folder_with_the_users_own(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "Dockerfile").write_text("ARG PYTHON_BASE_IMAGE\nFROM ${PYTHON_BASE_IMAGE}\n")
    world = World(root=folder)
    result = world.invoke(
        "image", "build", "--python", "3.11", "--dockerfile", "Dockerfile", "--target", "main"
    )
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    assert value_of(build.args, "--file") == [str(folder / "Dockerfile")]
    assert build.args[-1] == str(folder)


def test_a_missing_dockerfile_is_one_line_and_exit_8(tmp_path: Path) -> None:
    world = World(root=_folder(tmp_path))
    result = world.invoke("image", "build", "--dockerfile", "nope/Dockerfile")
    assert result.exit_code != 0
    assert "no Dockerfile at" in str(result.exception)


def test_every_image_is_labelled_with_the_hangar_that_built_it(tmp_path: Path) -> None:
    world = World(root=_folder(tmp_path))
    assert world.invoke("image", "build", "--python", "3.11").exit_code == 0
    (build,) = world.runner.builds()
    assert f"{HANGAR_VERSION_LABEL}={__version__}" in value_of(build.args, "--label")
