"""`hangar dags check` through the real CLI, with an engine whose container prints what the
in-image inspector prints: one precise line per problem, the folder mounted read-only, exit 1.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hangar.errors import BadInput, StepFailed
from hangar.ports import ProcessResult
from tests.fakes.scan import FakeEngine
from tests.fakes.world import World

IMAGE = "reg.example:5000/airflow:3.3.2-python3.13"
REPORT = {
    "airflow": "3.3.2",
    "errors": [
        {"file": "broken.py", "line": 3, "error": "SyntaxError: invalid syntax"},
        {"file": "needs.py", "line": 2, "error": "ModuleNotFoundError: No module named 'x'"},
    ],
    "dags": [
        {"dag_id": "empty", "file": "empty.py", "tasks": 0, "problem": "has no tasks"},
        {"dag_id": "good", "file": "good.py", "tasks": 2, "problem": None},
    ],
}


@dataclass
class DagEngine(FakeEngine):
    printed: str = ""
    pytest: ProcessResult | None = None  # what `python -m pytest` in the image answers
    runs: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)

    def run_container(
        self, ref: str, command: Sequence[str], *, docker_args: Sequence[str] = ()
    ) -> ProcessResult:
        self.runs.append((ref, tuple(command), tuple(docker_args)))
        if tuple(command[:3]) == ("python", "-m", "pytest") and self.pytest is not None:
            return self.pytest
        return ProcessResult(args=(), returncode=0, stdout=self.printed, stderr="")


CLEAN = {**REPORT, "errors": [], "dags": [REPORT["dags"][1]]}  # type: ignore[index]


def test_each_problem_is_one_line_with_file_and_line_and_the_check_fails(
    world: World, tmp_path: Path
) -> None:
    engine = DagEngine(printed="a log line Airflow printed\n" + json.dumps(REPORT) + "\n")
    world.engine = engine
    result = world.invoke("dags", "check", str(tmp_path), "--image", IMAGE)
    assert isinstance(result.exception, StepFailed)
    assert result.exception.message == f"3 DAG problem(s) in {tmp_path}"
    rows = [" ".join(line.strip("│ ").split()) for line in result.stdout.splitlines()]
    assert "broken.py │ 3 │ SyntaxError: invalid syntax" in rows
    assert "needs.py │ 2 │ ModuleNotFoundError: No module named 'x'" in rows
    assert "empty.py │ - │ DAG empty has no tasks" in rows
    assert not any(row.startswith("good.py") for row in rows)
    ((ref, command, docker_args),) = engine.runs
    assert ref == IMAGE
    assert command[:2] == ("python", "-c")
    assert command[-1] == "/opt/airflow/dags"
    assert docker_args == ("-v", f"{tmp_path.resolve()}:/opt/airflow/dags:ro")


def test_a_clean_folder_passes_with_json_for_ci(world: World, tmp_path: Path) -> None:
    world.engine = DagEngine(printed=json.dumps(CLEAN) + "\n")
    result = world.invoke("dags", "check", str(tmp_path), "--image", IMAGE, "--output", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["passed"] is True
    assert [d["dag_id"] for d in found["dags"]] == ["good"]


def test_a_folder_that_is_not_there_is_bad_input(world: World, tmp_path: Path) -> None:
    world.engine = DagEngine()
    result = world.invoke("dags", "check", str(tmp_path / "nope"), "--image", IMAGE)
    assert isinstance(result.exception, BadInput)


def test_pytest_runs_the_folders_tests_in_the_image_and_a_failure_fails(
    world: World, tmp_path: Path
) -> None:
    failed = ProcessResult(
        args=(),
        returncode=1,
        stdout="FAILED test_dags.py::test_owner - AssertionError\n"
        "========= 1 failed, 2 passed in 0.40s =========\n",
    )
    tests = tmp_path / "tests"
    tests.mkdir()
    engine = DagEngine(printed=json.dumps(CLEAN) + "\n", pytest=failed)
    world.engine = engine
    result = world.invoke(
        "dags", "check", str(tmp_path), "--image", IMAGE, "--pytest", "--tests", str(tests)
    )
    assert isinstance(result.exception, StepFailed)
    assert result.exception.message == (
        f"the tests in {tests} failed in {IMAGE}: 1 failed, 2 passed in 0.40s"
    )
    assert "FAILED test_dags.py::test_owner" in result.stdout
    _, (ref, command, docker_args) = engine.runs
    assert ref == IMAGE
    assert command[-1] == "/opt/airflow/tests"
    assert f"{tests.resolve()}:/opt/airflow/tests:ro" in docker_args
    assert f"{tmp_path.resolve()}:/opt/airflow/dags:ro" in docker_args
    assert "PYTHONPATH=/opt/airflow/dags" in docker_args


def test_pytest_without_tests_passes_and_an_image_without_pytest_says_which_to_use(
    world: World, tmp_path: Path
) -> None:
    nothing = ProcessResult(args=(), returncode=5, stdout="no tests ran in 0.01s\n")
    world.engine = DagEngine(printed=json.dumps(CLEAN) + "\n", pytest=nothing)
    result = world.invoke(
        "dags", "check", str(tmp_path), "--image", IMAGE, "--pytest", "--output", "json"
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["passed"] is True
    assert found["pytest"]["summary"] == "no tests ran in 0.01s"

    missing = ProcessResult(args=(), returncode=1, stderr="/usr/bin/python: No module named pytest")
    world.engine = DagEngine(printed=json.dumps(CLEAN) + "\n", pytest=missing)
    result = world.invoke("dags", "check", str(tmp_path), "--image", IMAGE, "--pytest")
    assert isinstance(result.exception, BadInput)
    assert "--target ci" in (result.exception.hint or "")
