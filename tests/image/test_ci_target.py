"""The `ci` target: the production image plus pytest and a DAG import check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.images import run

pytestmark = [pytest.mark.integration, pytest.mark.image]


def test_ci_image_imports_the_embedded_dags(ci_image: str) -> None:
    done = run(ci_image, "bash", "-c", "check-dags")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1 DAG(s) imported, 0 error(s)" in done.stdout


def test_ci_image_names_a_dag_file_that_does_not_import(ci_image: str, tmp_path: Path) -> None:
    # (Airflow only parses files that mention both "airflow" and "dag")
    (tmp_path / "broken.py").write_text(
        "from airflow.sdk import dag\nimport no_such_module_for_hangar\n"
    )
    tmp_path.chmod(0o755)
    (tmp_path / "broken.py").chmod(0o644)
    done = run(ci_image, "bash", "-c", "check-dags /dags", volumes={tmp_path: "/dags"})
    assert done.returncode == 1
    assert "broken.py" in done.stderr
    assert "no_such_module_for_hangar" in done.stderr


def test_ci_image_has_pytest_next_to_airflow(ci_image: str) -> None:
    done = run(ci_image, "python", "-c", "import pytest, airflow; print(pytest.__version__)")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "9.2.0"
