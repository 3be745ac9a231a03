#!/usr/bin/env python
"""check-dags [FOLDER]: import every DAG file in FOLDER (default $AIRFLOW_HOME/dags) with the
installed Airflow and exit non-zero, listing each file and its error, if any fails to import.
Installed in the `ci` target of the image.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else Path(os.environ["AIRFLOW_HOME"]) / "dags")
    if not folder.is_dir():
        print(f"check-dags: no such folder: {folder}", file=sys.stderr)
        return 2
    # examples are never part of the check (Airflow 3.2+ has no include_examples argument)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "false"
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow before 3.1
        from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=folder)
    for path, error in sorted(bag.import_errors.items()):
        print(f"IMPORT ERROR {path}:\n{error}", file=sys.stderr)
    errors = len(bag.import_errors)
    print(f"check-dags: {len(bag.dag_ids)} DAG(s) imported, {errors} error(s) in {folder}")
    return 1 if bag.import_errors else 0


if __name__ == "__main__":
    sys.exit(main())
