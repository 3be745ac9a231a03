"""Building: build args change the image as their names say (ACCEPTANCE 22-27), secrets leave
no trace, the image can be extended, and impossible builds stop with a message naming the cause.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from hangar.image.building.buildx import Secret
from tests.images import BASES, CA_BUNDLE, REPO, Built, run

pytestmark = [pytest.mark.integration, pytest.mark.image]

MARKER = f"hangar-secret-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def secret_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA bundle that works (the system's) with a unique marker line, and index URLs that
    carry the marker as credentials.
    """
    folder = tmp_path_factory.mktemp("secrets")
    ca = folder / "ca.pem"
    ca.write_text(CA_BUNDLE.read_text() + f"\n# {MARKER}\n")
    extra = folder / "extra-index-urls"
    extra.write_text(f"https://hangar:{MARKER}@pypi.org/simple\n")
    return {"ca": ca, "extra": extra}


@pytest.fixture(scope="module")
def customised(make_image: Callable[..., Built], secret_files: dict[str, Path]) -> Built:
    """One build exercising many build args at once, with pip as the installer and every
    secret given.
    """
    built = make_image(
        python="3.11",
        build_args={
            "AIRFLOW_UID": "1234",
            "AIRFLOW_USE_UV": "false",
            "ADDITIONAL_PYTHON_DEPS": "six==1.16.0",
            "ADDITIONAL_RUNTIME_APT_DEPS": "jq",
            "ADDITIONAL_DEV_APT_DEPS": "libyaml-dev",
            "AIRFLOW_EXTRAS": "postgres",
            "ADDITIONAL_AIRFLOW_EXTRAS": "http",
        },
        secrets=(
            Secret(id="ca-bundle", src=secret_files["ca"]),
            Secret(id="index-url", env="HANGAR_TEST_INDEX_URL"),
            Secret(id="extra-index-urls", src=secret_files["extra"]),
        ),
        env={"HANGAR_TEST_INDEX_URL": f"https://hangar:{MARKER}-primary@pypi.org/simple"},
    )
    assert built.returncode == 0, built.output[-4000:]
    return built


def sh(image: str, script: str, *docker_args: str) -> subprocess.CompletedProcess[str]:
    return run(image, "bash", "-c", script, docker_args=docker_args)


def test_uid_build_arg_sets_the_airflow_user_id(customised: Built) -> None:
    assert sh(customised.ref, "id -u; id -g").stdout.split() == ["1234", "0"]


def test_additional_python_deps_win_over_constraints(customised: Built) -> None:
    shown = sh(customised.ref, "pip show six").stdout
    assert "Version: 1.16.0" in shown


def test_additional_runtime_apt_deps_are_in_the_final_image(customised: Built) -> None:
    assert sh(customised.ref, "jq --version").returncode == 0


def test_dev_apt_deps_stay_in_the_build_stage(customised: Built) -> None:
    listed = sh(
        customised.ref, "dpkg -s libyaml-dev >/dev/null 2>&1 && echo present || echo absent"
    )
    assert listed.stdout.strip() == "absent"


def test_additional_extras_install_their_providers(customised: Built) -> None:
    listed = sh(customised.ref, "airflow providers list -o json").stdout
    names = {p["package_name"] for p in json.loads(listed)}
    assert {"apache-airflow-providers-postgres", "apache-airflow-providers-http"} <= names


def test_pip_installer_is_selectable(customised: Built) -> None:
    # uv is not in the venv when pip installed it, and the pinned pip is
    out = sh(customised.ref, "command -v uv || echo none; pip --version").stdout
    assert "none" in out
    assert "pip 26.3" in out


def test_secrets_leave_no_trace_in_layers_history_labels_or_env(customised: Built) -> None:
    ref = customised.ref
    history = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    inspect = subprocess.run(
        ["docker", "image", "inspect", ref], capture_output=True, text=True, check=True
    ).stdout
    assert MARKER not in history
    assert MARKER not in inspect  # labels, env, config
    # every byte of every layer
    saved = subprocess.run(["docker", "save", ref], capture_output=True, check=True).stdout
    assert MARKER.encode() not in saved  # uncompressed or not, check both
    tar_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"{uuid.uuid4().hex}.tar"
    tar_path.write_bytes(saved)
    try:
        with tarfile.open(tar_path) as outer:
            for member in outer.getmembers():
                blob = outer.extractfile(member)
                if blob is None:
                    continue
                data = blob.read()
                if data[:2] == b"\x1f\x8b":
                    import gzip

                    data = gzip.decompress(data)
                assert MARKER.encode() not in data, f"secret found in {member.name}"
    finally:
        tar_path.unlink()
    # and the build's own output never echoed it either
    assert MARKER not in customised.output


def test_extending_the_image_with_apt_and_pip_works(
    prod_image_each_python: str, tmp_path: Path, make_image: Callable[..., Built]
) -> None:
    """The README's way of extending, on each Debian release (3.11: bookworm, 3.13: trixie)."""
    (tmp_path / "Dockerfile").write_text(
        f"FROM {prod_image_each_python}\n"
        "USER root\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq "
        "&& rm -rf /var/lib/apt/lists/*\n"
        "USER airflow\n"
        # the secret is readable by root only unless mounted for the airflow UID
        "RUN --mount=type=secret,id=ca-bundle,uid=50000 PIP_CERT=/run/secrets/ca-bundle "
        "pip install --no-cache-dir six==1.16.0\n"
    )
    built = make_image(context=tmp_path, python="3.11", target=None)
    assert built.returncode == 0, built.output[-3000:]
    check = sh(built.ref, "jq --version && python -c 'import six, airflow; print(six.__version__)'")
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().endswith("1.16.0")


@pytest.fixture(scope="module")
def offline_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every wheel a small Airflow needs (plus uv and pip), as a user would download them."""
    folder = tmp_path_factory.mktemp("wheels")
    pip = [
        str(REPO / ".venv" / "bin" / "python"),
        "-m",
        "pip",
        "download",
        "--isolated",
        "--quiet",
        "--only-binary=:all:",
        "--python-version",
        "3.11",
        "--platform",
        "manylinux_2_36_x86_64",
        "--platform",
        "manylinux_2_28_x86_64",
        "--platform",
        "manylinux_2_17_x86_64",
        "--platform",
        "manylinux2014_x86_64",
        "--platform",
        "linux_x86_64",
        "-d",
        str(folder),
    ]
    env = {**os.environ, "PIP_CERT": str(CA_BUNDLE)}
    done = subprocess.run(
        [*pip, "apache-airflow[postgres]==3.3.2", "six==1.16.0", "uv==0.13.9", "pip==26.3"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return folder


def test_wheels_and_requirements_in_the_context_install_offline(
    make_image: Callable[..., Built], offline_wheels: Path, tmp_path: Path
) -> None:
    files: dict[str, bytes | Path] = {w.name: w for w in offline_wheels.glob("*.whl")}
    files["requirements.txt"] = b"six==1.16.0\n"
    dead_index = tmp_path / "index"
    dead_index.write_text("http://127.0.0.1:9/simple\n")  # nothing listens: any index use fails
    built = make_image(
        python="3.11",
        files=files,
        build_args={
            "AIRFLOW_EXTRAS": "postgres",
            "INSTALL_DISTRIBUTIONS_FROM_CONTEXT": "true",
        },
        secrets=(Secret(id="index-url", src=dead_index),),
    )
    assert built.returncode == 0, built.output[-4000:]
    out = sh(built.ref, "pip show six | grep Version; airflow version").stdout
    assert "Version: 1.16.0" in out
    assert "3.3.2" in out


@pytest.mark.parametrize(
    ("build_args", "base", "expected"),
    [
        pytest.param(
            {"PYTHON_MAJOR_MINOR_VERSION": "3.9"},
            "3.11",
            "Python 3.9 is not in the base image",
            id="unknown-python-version",
        ),
        pytest.param(
            {"AIRFLOW_EXTRAS": "postgres,no-such-extra"},
            "3.11",
            "unknown Airflow extra(s): no-such-extra",
            id="unknown-extra",
        ),
        pytest.param(
            {"ADDITIONAL_PYTHON_DEPS": "apache-airflow-core==3.0.0"},
            "3.11",
            "the requirements conflict",
            id="conflicting-requirements",
        ),
        pytest.param(
            {},
            "127.0.0.1:5000/python:3.11-does-not-exist",
            "3.11-does-not-exist",
            id="unreachable-base-image",
        ),
    ],
)
def test_impossible_build_stops_with_a_message_naming_the_cause(
    make_image: Callable[..., Built], build_args: dict[str, str], base: str, expected: str
) -> None:
    args = dict(build_args)
    python = args.pop("PYTHON_MAJOR_MINOR_VERSION", "3.11")
    built = make_image(build_args=args, python=python, base_image=BASES.get(base, base))
    assert built.returncode != 0
    assert expected in built.output, built.output[-3000:]
