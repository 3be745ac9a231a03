"""The quick start's Kerberos override end to end: `hangar quickstart up --kerberos` adds a
real MIT KDC (built from quickstart/kerberos FROM the image), the `airflow kerberos` side-car
holding the keytab, and a Celery worker that mounts only the ticket cache; a DAG task on that
worker gets a service ticket from the KDC with the side-car's ticket, and the worker has no
keytab to get one of its own. The KDC listens on an unused port of the host's loopback.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.images import REPO
from tests.integration.quickstart.deployment import (
    RUN_TIMEOUT,
    QuickStart,
    default_tagged,
    deployed,
)
from tests.services import unused_port

pytestmark = [pytest.mark.integration, pytest.mark.image, pytest.mark.timeout(1800)]

DAG_ID = "quickstart_kerberos"
PRINCIPAL = "airflow@QUICKSTART.HANGAR"
KEYTAB_DIR = "/etc/airflow-keytab"


@pytest.fixture(scope="module")
def quickstart(prod_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuickStart]:
    with (
        default_tagged(prod_image),
        deployed(
            tmp_path_factory.mktemp("quickstart-kerberos"),
            dags=REPO / "tests" / "quickstart" / "kerberos_dags",
            kerberos=True,
            env={"QUICKSTART_KDC_PORT": str(unused_port())},
        ) as deployment,
    ):
        yield deployment


def in_service(
    quickstart: QuickStart, service: str, script: str
) -> subprocess.CompletedProcess[str]:
    return quickstart.compose("exec", "-T", service, "bash", "-c", script, timeout=120)


def test_up_adds_the_kdc_and_the_side_car_and_all_are_healthy(quickstart: QuickStart) -> None:
    status = quickstart.hangar("status", timeout=120)
    assert status.returncode == 0, status.stderr
    for service in ("kdc", "airflow-kerberos", "airflow-worker"):
        assert service in status.stdout
    assert "unhealthy" not in status.stdout


def test_only_the_side_car_sees_the_keytab(quickstart: QuickStart) -> None:
    side_car = in_service(quickstart, "airflow-kerberos", f"test -r {KEYTAB_DIR}/airflow.keytab")
    assert side_car.returncode == 0, side_car.stderr
    for service in ("airflow-worker", "airflow-scheduler", "airflow-apiserver"):
        seen = in_service(quickstart, service, f"ls {KEYTAB_DIR}")
        assert seen.returncode != 0, f"{service} sees the keytab folder: {seen.stdout}"
    own = in_service(quickstart, "airflow-worker", f"kinit -k {PRINCIPAL}")
    assert own.returncode != 0
    assert "Key table file" in own.stderr, own.stderr


def test_the_worker_holds_the_side_cars_ticket_read_only(quickstart: QuickStart) -> None:
    ticket = in_service(quickstart, "airflow-worker", "klist")
    assert ticket.returncode == 0, ticket.stderr
    assert "Ticket cache: FILE:/var/kerberos-ccache/cache" in ticket.stdout
    assert f"Default principal: {PRINCIPAL}" in ticket.stdout
    write = in_service(quickstart, "airflow-worker", "touch /var/kerberos-ccache/other")
    assert "Read-only file system" in write.stderr, write.stderr


def test_a_task_on_the_worker_gets_a_service_ticket(quickstart: QuickStart) -> None:
    api = quickstart.unpause(DAG_ID)
    run_id = api.trigger()
    state, seen = api.wait_for_run(run_id, timeout=RUN_TIMEOUT)
    log = api.log_text(run_id, "service_ticket")
    assert state == "success", (seen, log[-3000:])
    assert f"quickstart-kerberos: service ticket for {PRINCIPAL}" in log
    assert f"{PRINCIPAL}: kvno = " in log


def test_down_removes_the_kerberos_volumes(quickstart: QuickStart) -> None:
    down = quickstart.hangar("down", "--volumes", timeout=300)
    assert down.returncode == 0, down.stderr
    volumes = subprocess.run(
        ["docker", "volume", "ls", "--quiet", "--filter",
         f"label=com.docker.compose.project={quickstart.project}"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert volumes.stdout.strip() == ""
