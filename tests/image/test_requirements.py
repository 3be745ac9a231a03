"""Extra requirements checked before a build, against the real image, the real resolver and
the package index: a requirement that would move Airflow is caught in seconds with the
package named; a harmless one passes, and the build then installs exactly what was reported.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.images import HANGAR, REPO, constraints_for_tests, docker, docker_output, make_context

pytestmark = [pytest.mark.integration, pytest.mark.image, pytest.mark.network]

MOVES_AIRFLOW = "apache-airflow>=3.4.0b1"
HARMLESS = "cowsay"  # pure Python, not in the image


def hangar(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, *args], cwd=cwd, capture_output=True, text=True, timeout=1500, check=False
    )


def installed_version(image: str, name: str) -> str:
    script = f"import importlib.metadata as m; print(m.version({name!r}))"
    return docker_output("run", "--rm", "--network", "none", image, "python", "-c", script).strip()


def check(image: str, folder: Path, *requirements: str) -> subprocess.CompletedProcess[str]:
    """`image check-requirements` of a requirements file holding `requirements`, JSON out."""
    file = folder / "requirements.txt"
    file.write_text("".join(f"{r}\n" for r in requirements))
    return hangar("image", "check-requirements", image, "-r", str(file), "--output", "json")


def test_a_requirement_that_moves_airflow_is_a_conflict_naming_it(
    prod_image: str, tmp_path: Path
) -> None:
    done = check(prod_image, tmp_path, HARMLESS, MOVES_AIRFLOW)
    assert done.returncode == 6, done.stderr
    report = json.loads(done.stdout)
    assert "apache-airflow>=3.4.0b1" in report["conflict"]
    moved = {c["name"]: (c["old"], c["new"]) for c in report["unheld"]}
    assert moved["apache-airflow"][0] == "3.3.2"
    assert moved["apache-airflow"][1].startswith("3.4.0")
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"hangar: error: {prod_image}: the requirements cannot be resolved")
    assert "apache-airflow 3.3.2 -> 3.4.0" in line


def test_a_harmless_requirement_passes_and_the_build_installs_what_was_reported(
    prod_image: str, tmp_path: Path
) -> None:
    checked = check(prod_image, tmp_path, HARMLESS)
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert [(c["name"], c["kind"]) for c in report["changes"]] == [(HARMLESS, "added")]
    reported = report["changes"][0]["new"]

    context = make_context(
        tmp_path / "ctx", files={"constraints-3.11.txt": constraints_for_tests("3.11")}
    )
    tag = f"hangar-test-req:{uuid.uuid4().hex[:10]}"
    common = ("image", "build", "--python", "3.11", "--extras", "celery,postgres")
    refused = hangar(
        *common, "--context", str(context), "--tag", tag,
        "--additional-python-deps", MOVES_AIRFLOW,
    )  # fmt: skip
    assert refused.returncode == 6, refused.stderr
    assert "--allow-upgrades" in refused.stderr
    assert docker("image", "inspect", tag).returncode != 0  # stopped before building

    built = hangar(
        *common, "--context", str(context), "--tag", tag,
        "--additional-python-deps", HARMLESS,
    )  # fmt: skip
    try:
        assert built.returncode == 0, built.stderr[-3000:]
        assert f"add {HARMLESS} {reported}" in built.stdout + built.stderr
        assert installed_version(tag, HARMLESS) == reported
        assert installed_version(tag, "apache-airflow") == installed_version(
            prod_image, "apache-airflow"
        )
    finally:
        docker("image", "rm", "--force", tag)
