"""hangar installed as a tool: a wheel built from this repository, installed into a fresh
venv outside the checkout, builds images in folders that hold no recipe of their own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hangar import __version__
from hangar.image.building.plan import HANGAR_VERSION_LABEL
from tests.images import REPO, TEST_EXTRAS, constraints_for_tests

pytestmark = [pytest.mark.integration, pytest.mark.image]
UV = Path(sys.executable).with_name("uv")


@pytest.fixture(scope="module")
def installed_hangar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `hangar` console script of a fresh venv that has only the built wheel."""
    root = tmp_path_factory.mktemp("tool")
    subprocess.run(
        [UV, "build", "--wheel", "--out-dir", root / "dist", REPO],
        check=True,
        capture_output=True,
    )
    (wheel,) = (root / "dist").glob("hangar-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "hangar/recipe/Dockerfile" in archive.namelist()
    subprocess.run([sys.executable, "-m", "venv", root / "venv"], check=True)
    subprocess.run(
        [UV, "pip", "install", "--native-tls", "--python", root / "venv/bin/python", wheel],
        check=True,
        capture_output=True,
    )
    return root / "venv" / "bin" / "hangar"


def _hangar(hangar: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run(
        [hangar, *args], cwd=folder, env=env, capture_output=True, text=True, check=False
    )


def _wheel(folder: Path) -> Path:
    """A small pure-Python wheel (module `hangar_probe`), as a user would bring one."""
    name, version = "hangar_probe", "1.0"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": b"ANSWER = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    lines = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = ("\n".join([*lines, f"{info}/RECORD,,"]) + "\n").encode()
    target = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return target


@pytest.fixture
def tag() -> Iterator[str]:
    ref = f"hangar-test/tool:{uuid.uuid4().hex[:8]}"
    yield ref
    subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


def _labels(ref: str) -> dict[str, str]:
    done = subprocess.run(
        ["docker", "image", "inspect", ref], capture_output=True, text=True, check=True
    )
    labels: dict[str, str] = json.loads(done.stdout)[0]["Config"]["Labels"]
    return labels


def test_builds_from_an_empty_folder(installed_hangar: Path, tmp_path: Path, tag: str) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    done = _hangar(
        installed_hangar, folder, "image", "build", "--python", "3.11",
        "--extras", TEST_EXTRAS, "--tag", tag,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert _labels(tag)[HANGAR_VERSION_LABEL] == __version__
    version = subprocess.run(
        ["docker", "run", "--rm", tag, "airflow", "version"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert version.stdout.strip().splitlines()[-1] == "3.3.2"


def test_builds_a_folder_with_wheels(installed_hangar: Path, tmp_path: Path, tag: str) -> None:
    folder = tmp_path / "with-wheels"
    files = folder / "docker-context-files"
    files.mkdir(parents=True)
    _wheel(files)
    (files / "constraints-3.11.txt").write_bytes(constraints_for_tests("3.11").read_bytes())
    done = _hangar(
        installed_hangar, folder, "image", "build", "--python", "3.11",
        "--extras", TEST_EXTRAS, "--tag", tag,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    script = "import hangar_probe; print(hangar_probe.ANSWER)"
    probe = subprocess.run(
        ["docker", "run", "--rm", tag, "python", "-c", script],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip().splitlines()[-1] == "42"
    assert sorted(p.name for p in folder.iterdir()) == [".hangar", "docker-context-files"]


def test_version_names_the_hangar_release(installed_hangar: Path, tmp_path: Path) -> None:
    done = _hangar(installed_hangar, tmp_path, "--version")
    assert done.returncode == 0
    assert __version__ in done.stdout
