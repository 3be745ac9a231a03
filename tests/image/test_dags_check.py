"""`hangar dags check` against a real image: a folder with a syntax error, an import error, a
DAG without tasks, a cycle and a good DAG gives one precise line for each problem, and leaves
the folder as it was (mounted read-only).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.images import HANGAR, REPO

pytestmark = [pytest.mark.integration, pytest.mark.image]

HEAD = """from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
"""
FILES = {
    "good.py": HEAD + 'with DAG("good", start_date=datetime(2026, 1, 1), schedule=None):\n'
    '    EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")\n',
    "broken.py": "from airflow.sdk import DAG\n\ndef broken(:\n    pass\n",
    "needs.py": "from airflow.sdk import DAG\nimport hangar_no_such_module\n",
    "empty.py": HEAD + 'dag = DAG("empty", start_date=datetime(2026, 1, 1), schedule=None)\n',
    "cycle.py": HEAD + 'with DAG("cycle", start_date=datetime(2026, 1, 1), schedule=None):\n'
    '    a = EmptyOperator(task_id="a")\n    b = EmptyOperator(task_id="b")\n    a >> b >> a\n',
}


def test_one_precise_line_per_problem_and_the_folder_untouched(
    prod_image: str, tmp_path: Path
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    before = sorted(p.name for p in folder.rglob("*"))
    done = subprocess.run(
        [HANGAR, "dags", "check", str(folder), "--image", prod_image, "--output", "json"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    report = json.loads(done.stdout)
    problems = {(p["file"], p["line"]): p["message"] for p in report["problems"]}
    assert problems.pop(("broken.py", 3)).startswith("SyntaxError")
    assert problems.pop(("needs.py", 2)) == (
        "ModuleNotFoundError: No module named 'hangar_no_such_module'"
    )
    assert problems.pop(("empty.py", None)) == "DAG empty has no tasks"
    ((where, message),) = problems.items()
    assert where[0] == "cycle.py"
    assert "Cycle detected" in message
    assert [d["dag_id"] for d in report["dags"]] == ["empty", "good"]
    assert sorted(p.name for p in folder.rglob("*")) == before  # no __pycache__ either


DAG_TESTS = """try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow before 3.1
    from airflow.models.dagbag import DagBag

import good


def test_the_dag_module_imports_by_name():
    assert good.__name__ == "good"


def test_the_dagbag_has_no_import_errors():
    bag = DagBag(dag_folder="/opt/airflow/dags")
    assert bag.import_errors == {}
    assert "good" in bag.dag_ids


def test_owner_is_set():
    assert False, "every DAG needs an owner"
"""


def test_pytest_runs_the_folders_tests_in_the_ci_image(ci_image: str, tmp_path: Path) -> None:
    dags, tests = tmp_path / "dags", tmp_path / "tests"
    dags.mkdir()
    tests.mkdir()
    (dags / "good.py").write_text(FILES["good.py"], encoding="utf-8")
    (tests / "test_dags.py").write_text(DAG_TESTS, encoding="utf-8")
    done = subprocess.run(
        [HANGAR, "dags", "check", str(dags), "--image", ci_image, "--pytest",
         "--tests", str(tests)],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "FAILED test_dags.py::test_owner_is_set" in done.stdout
    assert "1 failed, 2 passed" in done.stderr.strip().splitlines()[-1]
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        "dags", "good.py", "test_dags.py", "tests",
    ]  # fmt: skip
