"""`hangar image verify IMAGE --profile helm` for real: the containers the official Helm chart
starts with its default values, started with `docker run` under the chart's securityContext
against the PostgreSQL and Redis scripts/setup-env.sh runs; the jobs exit 0, every service
passes the chart's probe, and a DAG run succeeds on the Celery worker. An image without the
FAB provider (which the chart's default auth manager needs) fails at the create-user job, and
nothing is left behind either way. Ports 8080, 8793, 8794 and 5555 must be free.
"""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.images import HANGAR, docker_output

pytestmark = [pytest.mark.integration, pytest.mark.image, pytest.mark.timeout(1500)]

COMPONENTS = [
    "run-airflow-migrations", "create-user", "wait-for-airflow-migrations", "api-server",
    "scheduler", "dag-processor", "triggerer", "worker", "flower", "scheduler-log-groomer",
    "DAG run", "worker-kerberos", "airflow-cleanup-pods", "pod-template base",
]  # fmt: skip


def verify_helm(image: str, db: str, broker: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, "image", "verify", image, "--profile", "helm", "--output", "json",
         "--database-url", db.replace("postgresql://", "postgresql+psycopg2://"),
         "--broker-url", broker, "--timeout", "600"],
        capture_output=True, text=True, timeout=1400, check=False,
    )  # fmt: skip


def left_behind() -> str:
    containers = docker_output("ps", "--all", "--quiet", "--filter", "name=hangar-helm-")
    volumes = docker_output("volume", "ls", "--quiet", "--filter", "name=hangar-helm-")
    return containers + volumes


def broker() -> str:
    return f"redis://127.0.0.1:6379/{uuid.uuid4().int % 8 + 1}"


def test_the_charts_containers_come_up_and_run_a_dag(
    fab_image: str, fresh_db: str, redis_url: str
) -> None:
    done = verify_helm(fab_image, fresh_db, broker())
    report = json.loads(done.stdout)
    rows = {row["component"]: row for row in report["components"]}
    failed = {name: row["detail"] for name, row in rows.items() if not row["passed"]}
    assert not failed, (failed, done.stderr[-2000:])
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(rows) == COMPONENTS
    assert rows["api-server"]["probe"] == "GET :8080/api/v2/monitor/health"
    assert rows["worker"]["command"] == "bash -c exec airflow celery worker"
    assert rows["DAG run"]["detail"].startswith("success after")
    assert left_behind() == ""


def test_an_image_without_the_fab_provider_fails_at_the_create_user_job(
    prod_image: str, fresh_db: str, redis_url: str
) -> None:
    done = verify_helm(prod_image, fresh_db, broker())
    assert done.returncode == 1, done.stderr
    rows = {row["component"]: row for row in json.loads(done.stdout)["components"]}
    assert rows["run-airflow-migrations"]["passed"]
    assert not rows["create-user"]["passed"]
    assert "invalid choice: 'users'" in rows["create-user"]["detail"], rows["create-user"]
    assert rows["api-server"]["detail"] == "not run: a job before it failed"
    assert "the Helm chart's contract failed for create-user" in done.stderr
    assert left_behind() == ""
