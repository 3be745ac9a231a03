"""`hangar ci push-archive`: an image handed over as an OCI archive is checked (blobs against
their names, the labels against the commit and Python asked for) before anything is pushed.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import Result

from hangar.errors import BadInput, StepFailed
from tests.fakes.world import World
from tests.oci_archive import make_archive

SHA = "0123456789abcdef0123456789abcdef01234567"
LABELS = {
    "org.apache.airflow.main-image.commit-sha": SHA,
    "org.opencontainers.image.revision": SHA,
    "org.apache.airflow.python.version": "3.13",
}
TARGET = "reg.example:5000/airflow/ci"


def push(world: World, archive: Path, *more: str) -> Result:
    return world.invoke(
        "ci", "push-archive", str(archive), "--image", f"{TARGET}:{SHA}-python3.13",
        "--commit", SHA, "--python", "3.13", *more,
    )  # fmt: skip


def test_the_archived_image_is_pushed_under_its_tag_with_the_digest_the_build_made(
    world: World, tmp_path: Path
) -> None:
    archive, digest = make_archive(tmp_path / "ci.tar", labels=LABELS)
    done = push(world, archive)
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == digest
    assert world.registry.tags["airflow/ci"] == {f"{SHA}-python3.13": digest}
    # the image, its attestation and the index itself; every blob of both manifests
    assert len([k for k in world.registry.manifests if k[0] == "airflow/ci"]) == 3
    assert len(world.registry.blobs) == 4


def test_an_image_of_another_commit_or_python_is_refused_and_nothing_is_pushed(
    world: World, tmp_path: Path
) -> None:
    other = {**LABELS, "org.opencontainers.image.revision": "f" * 40}
    archive, _digest = make_archive(tmp_path / "ci.tar", labels=other)
    done = push(world, archive)
    assert isinstance(done.exception, StepFailed)  # exit 1
    assert "its image is of commit" in done.exception.message
    archive, _digest = make_archive(
        tmp_path / "py.tar", labels={**LABELS, "org.apache.airflow.python.version": "3.11"}
    )
    done = push(world, archive)
    assert isinstance(done.exception, StepFailed)
    assert "its image is of Python 3.11" in done.exception.message
    assert world.registry.tags == {}
    assert world.registry.blobs == {}


def test_a_changed_blob_or_no_archive_at_all_is_bad_input(world: World, tmp_path: Path) -> None:
    archive, _digest = make_archive(tmp_path / "ci.tar", labels=LABELS, tamper=True)
    done = push(world, archive)
    assert isinstance(done.exception, BadInput)  # exit 5
    assert "does not hash to its name" in done.exception.message
    text = tmp_path / "notes.txt"
    text.write_text("not an archive\n")
    done = push(world, text)
    assert isinstance(done.exception, BadInput)
    assert "is not an OCI archive" in done.exception.message
    assert world.registry.blobs == {}


def test_a_dry_run_pushes_nothing(world: World, tmp_path: Path) -> None:
    archive, digest = make_archive(tmp_path / "ci.tar", labels=LABELS)
    done = push(world, archive, "--dry-run")
    assert done.exit_code == 0, done.output
    assert f"would push {TARGET}:{SHA}-python3.13 ({digest})" in done.stderr
    assert world.registry.tags == {}
    assert world.registry.blobs == {}


def _folder(tmp_path: Path, *pythons: str, commit: str = SHA) -> Path:
    folder = tmp_path / "archives" / "ci"
    folder.mkdir(parents=True)
    for python in pythons:
        labels = {**LABELS, "org.apache.airflow.python.version": python}
        labels["org.opencontainers.image.revision"] = commit
        labels["org.apache.airflow.main-image.commit-sha"] = commit
        make_archive(folder / f"{python}.oci.tar", labels=labels, salt=python)
    return folder


def test_a_folder_of_archives_is_pushed_each_under_the_commit_and_its_python(
    world: World, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, "3.11", "3.13")
    done = world.invoke("ci", "push-archive", str(folder), "--image", TARGET, "--commit", SHA)
    assert done.exit_code == 0, done.output
    assert set(world.registry.tags["airflow/ci"]) == {f"{SHA}-python3.11", f"{SHA}-python3.13"}
    assert len(done.stdout.split()) == 2  # one digest per image


def test_one_wrong_archive_in_a_folder_stops_every_push(world: World, tmp_path: Path) -> None:
    folder = _folder(tmp_path, "3.11", "3.13")
    # named 3.13, built as 3.11: the name says which tag it would get, the labels disagree
    make_archive(
        folder / "3.13.oci.tar", labels=LABELS | {"org.apache.airflow.python.version": "3.11"}
    )
    done = world.invoke("ci", "push-archive", str(folder), "--image", TARGET, "--commit", SHA)
    assert isinstance(done.exception, StepFailed)
    assert "3.13.oci.tar is not the image of" in done.exception.message
    assert world.registry.tags == {}
    assert world.registry.blobs == {}  # 3.11 sorts first and was fine, yet nothing went out


def test_a_folder_holding_another_file_or_a_tagged_target_is_refused(
    world: World, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, "3.11")
    (folder / "run-me.sh").write_text("#!/bin/sh\n")
    done = world.invoke("ci", "push-archive", str(folder), "--image", TARGET, "--commit", SHA)
    assert isinstance(done.exception, BadInput)
    assert "run-me.sh is not a <python>.oci.tar archive" in done.exception.message
    (folder / "run-me.sh").unlink()
    done = world.invoke(
        "ci", "push-archive", str(folder), "--image", f"{TARGET}:latest", "--commit", SHA
    )
    assert isinstance(done.exception, BadInput)
    assert "without a tag" in done.exception.message
    assert world.registry.tags == {}


def test_nothing_handed_over_pushes_nothing_and_passes(world: World, tmp_path: Path) -> None:
    missing = tmp_path / "archives" / "prod"
    done = world.invoke("ci", "push-archive", str(missing), "--image", TARGET, "--commit", SHA)
    assert done.exit_code == 0, done.output
    assert "nothing to push" in done.stderr
    assert world.registry.tags == {}
