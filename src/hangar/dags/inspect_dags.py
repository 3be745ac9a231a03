"""Run inside an Airflow image by `hangar dags check` (python -c): import every DAG file of the
folder given as the first argument with the image's Airflow (no database) and print one JSON
line: the import errors (file, line, the exception's last line) and each DAG (file, tasks, the
problem it has: no tasks, a cycle). Only the standard library and Airflow are used.
"""

import contextlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any


def error_line(path: str, text: str) -> int | None:
    """The line of `path` the error points at: the last traceback frame in that file, or a
    SyntaxError's `(file, line N)`.
    """
    frames = re.findall(rf'File "{re.escape(path)}", line (\d+)', text)
    if frames:
        return int(frames[-1])
    syntax = re.findall(rf"\({re.escape(Path(path).name)}, line (\d+)\)", text)
    if syntax:
        return int(syntax[-1])
    found = re.findall(r"line (\d+)", text)
    return int(found[-1]) if found else None


def main() -> None:
    folder = sys.argv[1]
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "false"
    import airflow  # type: ignore[import-not-found]

    try:
        from airflow.dag_processing.dagbag import DagBag  # type: ignore[import-not-found]
    except ImportError:  # Airflow before 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[import-not-found]
    cycles: Any = None
    with contextlib.suppress(ImportError):
        from airflow.utils import dag_cycle_tester as cycles  # type: ignore[import-not-found,no-redef]
    bag = DagBag(dag_folder=folder)
    errors = []
    for path, text in sorted(bag.import_errors.items()):
        lines = [line for line in str(text).strip().splitlines() if line.strip()]
        errors.append(
            {
                "file": os.path.relpath(path, folder),
                "line": error_line(path, str(text)),
                "error": lines[-1].strip() if lines else "import failed",
            }
        )
    dags = []
    for dag_id, dag in sorted(bag.dags.items()):
        problem = None
        if not dag.tasks:
            problem = "has no tasks"
        elif cycles is not None:
            try:
                cycles.check_cycle(dag)
            except Exception as cycle:  # noqa: BLE001 - AirflowDagCycleException, by any name
                problem = f"has a cycle: {cycle}"
        dags.append(
            {
                "dag_id": dag_id,
                "file": os.path.relpath(dag.fileloc, folder),
                "tasks": len(dag.tasks),
                "problem": problem,
            }
        )
    report = {"airflow": airflow.__version__, "errors": errors, "dags": dags}
    print(json.dumps(report))  # noqa: T201 - the report is this script's output


main()
