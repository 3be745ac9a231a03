"""`hangar image scan` on a real local base image against the real Debian security archive.

The outdated base was built from bookworm's main suite only, so bookworm-security has newer
versions of some of its packages: the scan must find them, agree with dpkg inside the image
on what is installed, and leave the image and the engine as they were. (The set-up script's
own base takes every update when it is built: nothing may be pending in it.)
"""

from __future__ import annotations

import json
import subprocess

import pytest
from debian.debian_support import Version

from hangar.infra.docker import DockerEngine
from tests.images import HANGAR, containers_of, docker_output

pytestmark = pytest.mark.integration


def hangar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HANGAR, *args], capture_output=True, text=True, check=False, timeout=600)


def test_an_outdated_base_image_has_pending_security_updates(outdated_base: str) -> None:
    image_id = docker_output("image", "inspect", "--format", "{{.Id}}", outdated_base).strip()
    before = containers_of(outdated_base, image_id)

    done = hangar("image", "scan", outdated_base, "--output", "json")

    assert done.returncode == 1, done.stderr  # --fail-on any: pending updates fail
    report = json.loads(done.stdout)
    assert report["image"] == outdated_base
    assert report["debian"] == {"codename": "bookworm", "arch": "amd64"}
    assert report["suite"] == "bookworm-security"
    pending = report["pending"]
    assert pending, "bookworm-security has nothing newer than bookworm's main suite?"
    assert all(Version(p["fixed"]) > Version(p["installed"]) for p in pending)
    count = len(pending)
    assert f"{count} security updates pending (from bookworm-security)" in done.stderr
    assert f"hangar: error: {outdated_base}: {count} security updates pending" in done.stderr

    # the scan changed nothing: same image, no container of it left behind
    assert (
        docker_output("image", "inspect", "--format", "{{.Id}}", outdated_base).strip() == image_id
    )
    assert containers_of(outdated_base, image_id) == before

    # what dpkg in the image says is installed is what the scan read (the test may run it)
    query = ("dpkg-query", "-W", "-f", "${Package} ${Version} ${source:Package}\\n")
    listed = docker_output("run", "--rm", "--network", "none", outdated_base, *query)
    installed = {name: (v, src) for name, v, src in (line.split() for line in listed.splitlines())}
    for update in pending:
        assert installed[update["package"]] == (update["installed"], update["source"])


def test_text_output_and_fail_on_none(outdated_base: str) -> None:
    done = hangar("image", "scan", outdated_base, "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    assert "bookworm-security" in done.stdout  # the table's title
    assert "security updates pending (from bookworm-security)" in done.stderr
    assert "hangar: error" not in done.stderr


def test_an_image_that_does_not_exist_exits_not_found() -> None:
    done = hangar("image", "scan", "127.0.0.1:5000/no-such-image:0")
    assert done.returncode == 8
    assert done.stderr.strip().splitlines()[-1].startswith("hangar: error: image ")


def test_the_engine_reads_files_and_folders_of_an_image_without_running_it(
    local_base: str, engine: DockerEngine
) -> None:
    image_id = docker_output("image", "inspect", "--format", "{{.Id}}", local_base).strip()
    before = containers_of(local_base, image_id)
    os_release = engine.read_file(
        local_base, "/etc/os-release"
    )  # a symlink to ../usr/lib/os-release
    assert os_release is not None
    assert b"VERSION_CODENAME=bookworm" in os_release
    assert engine.read_file(local_base, "/no/such/file") is None
    stdlib = engine.list_dir(local_base, "/usr/lib/python3.11", depth=2)
    assert "os.py" in stdlib
    assert "json/decoder.py" in stdlib
    assert "json/__pycache__/decoder.cpython-311.pyc" not in stdlib  # deeper than asked
    assert engine.list_dir(local_base, "/no/such/folder") == ()
    assert containers_of(local_base, image_id) == before
