"""The image works against a real PostgreSQL: the entrypoint migrates the database and a DAG
baked in with EMBEDDED_DAGS runs to success with `airflow dags test`.
"""

from __future__ import annotations

import pytest

from tests.images import run
from tests.services import psql

pytestmark = [pytest.mark.integration, pytest.mark.image]


def test_embedded_dag_runs_to_success_against_postgres(
    prod_image: str,
    fresh_db: str,
) -> None:
    env = {
        "_AIRFLOW_DB_MIGRATE": "true",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": fresh_db.replace(
            "postgresql://", "postgresql+psycopg2://"
        ),
    }
    conn = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]}
    listed = run(prod_image, "bash", "-c", "ls /opt/airflow/dags", env=conn)
    assert "example_hangar.py" in listed.stdout
    done = run(
        prod_image,
        "airflow",
        "dags",
        "test",
        "example_hangar",
        env=env,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "hangar total=6" in output
    states = psql(fresh_db, "SELECT state FROM dag_run WHERE dag_id = 'example_hangar'")
    assert states.splitlines() == ["success"]
