"""Import a DAG folder inside an image and say what is wrong with it: `check_dags` mounts the
folder read-only into a container of the image and runs inspect_dags.py there (the image's own
Python and Airflow, no database); `parse_report` turns its JSON line into a `DagReport`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from hangar.errors import BadInput, NotFound, StepFailed
from hangar.ports import Engine, ProcessResult, last_line, no_such_image

IN_IMAGE = "/opt/airflow/dags"  # where the official image keeps DAGs


@dataclass(frozen=True, kw_only=True)
class Problem:
    file: str  # relative to the DAG folder
    line: int | None
    message: str


@dataclass(frozen=True, kw_only=True)
class DagInfo:
    dag_id: str
    file: str
    tasks: int


@dataclass(frozen=True, kw_only=True)
class DagReport:
    image: str
    folder: str
    airflow: str
    dags: tuple[DagInfo, ...]
    problems: tuple[Problem, ...]  # import errors first, then DAGs without tasks or with a cycle

    @property
    def passed(self) -> bool:
        return not self.problems


def parse_report(stdout: str, *, image: str, folder: str) -> DagReport:
    """The report from inspect_dags.py's output (its JSON is the last line that is one)."""
    line = next((x for x in reversed(stdout.splitlines()) if x.startswith("{")), None)
    if line is None:
        raise StepFailed(
            f"{image} printed no DAG report",
            hint="is it an Airflow image? `docker run --rm IMAGE airflow version` should work",
        )
    data = json.loads(line)
    problems = [
        Problem(file=e["file"], line=e.get("line"), message=e["error"]) for e in data["errors"]
    ]
    problems += [
        Problem(file=d["file"], line=None, message=f"DAG {d['dag_id']} {d['problem']}")
        for d in data["dags"]
        if d.get("problem")
    ]
    return DagReport(
        image=image,
        folder=folder,
        airflow=data.get("airflow", ""),
        dags=tuple(
            DagInfo(dag_id=d["dag_id"], file=d["file"], tasks=d["tasks"]) for d in data["dags"]
        ),
        problems=tuple(problems),
    )


def check_dags(engine: Engine, image: str, folder: Path) -> DagReport:
    """Import every DAG file of `folder` inside `image` (mounted read-only where the official
    image keeps DAGs); nothing in the folder can change.
    """
    if not folder.is_dir():
        raise BadInput(f"no DAG folder at {folder}", hint="give the folder that holds DAG files")
    script = files("hangar.dags").joinpath("inspect_dags.py").read_text(encoding="utf-8")
    result = _run_in(
        engine,
        image,
        ("python", "-c", script, IN_IMAGE),
        docker_args=("-v", f"{folder.resolve()}:{IN_IMAGE}:ro"),
    )
    if not result.ok:
        raise StepFailed(
            f"importing the DAGs in {image} failed: {last_line(result.stderr)}",
            hint="run `hangar image verify IMAGE` to see whether the image itself works",
        )
    return parse_report(result.stdout, image=image, folder=str(folder))


TESTS_IN_IMAGE = "/opt/airflow/tests"
PYTEST_NO_TESTS = 5  # pytest's exit status when it collected nothing


@dataclass(frozen=True, kw_only=True)
class TestRun:
    """The folder's own tests, run by pytest inside the image."""

    image: str
    folder: str
    exit_code: int
    summary: str  # pytest's last line, e.g. "3 passed in 1.2s"
    output: str

    @property
    def collected(self) -> bool:
        return self.exit_code != PYTEST_NO_TESTS

    @property
    def passed(self) -> bool:
        return self.exit_code in (0, PYTEST_NO_TESTS)


def run_dag_tests(engine: Engine, image: str, dags: Path, tests: Path) -> TestRun:
    """Run pytest on `tests` (the DAG folder itself, or a folder of its own) inside `image`,
    the DAGs mounted read-only where the image keeps them and importable by module name.
    """
    if not tests.is_dir():
        raise BadInput(f"no tests folder at {tests}", hint="give the folder that holds the tests")
    mounts = ["-v", f"{dags.resolve()}:{IN_IMAGE}:ro"]
    target = IN_IMAGE
    if tests.resolve() != dags.resolve():
        mounts += ["-v", f"{tests.resolve()}:{TESTS_IN_IMAGE}:ro"]
        target = TESTS_IN_IMAGE
    env = {
        "PYTHONPATH": IN_IMAGE,
        "PYTHONDONTWRITEBYTECODE": "1",
        "AIRFLOW__CORE__DAGS_FOLDER": IN_IMAGE,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    result = _run_in(
        engine,
        image,
        ("python", "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", target, target),
        # run from the tests folder: pytest names tests by their path in it, as the user's own
        # `pytest` run in that folder would
        docker_args=(
            *mounts,
            "--workdir",
            target,
            *(a for k, v in env.items() for a in ("-e", f"{k}={v}")),
        ),
    )
    if "No module named pytest" in result.stderr:
        raise BadInput(
            f"{image} has no pytest",
            hint="build its ci target (`hangar image build --target ci`) and pass that image",
        )
    return TestRun(
        image=image,
        folder=str(tests),
        exit_code=result.returncode,
        summary=last_line(result.stdout).strip("= "),
        output=result.stdout + result.stderr,
    )


def _run_in(
    engine: Engine, image: str, command: Sequence[str], *, docker_args: Sequence[str]
) -> ProcessResult:
    """`command` in a throwaway container of `image`; NotFound when the engine has no such
    image (both checks run the folder through here).
    """
    result = engine.run_container(image, command, docker_args=docker_args)
    if no_such_image(result):
        raise NotFound(f"image {image} not found", hint="build it, or pull it first")
    return result
