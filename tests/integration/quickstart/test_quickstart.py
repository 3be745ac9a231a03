"""The quick start end to end, as the README tells it: the image `make image` tags by
default, `.env` from `.env.example`, then `hangar quickstart up` with neither --image nor
--hostnet (the machine's config selects host networking); a DAG run through the Celery
worker and the triggerer, task logs through the REST API, a scheduler restart in the middle
of a run, and a clean `down`.

The session's small test image stands in for `make image`: it is tagged with the default tag
that hangar's config gives on this machine (the tag is restored or removed afterwards); see
deployment.py for what the deployment needs.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from hangar.quickstart.settings import project_files
from tests.images import REPO, docker
from tests.integration.quickstart.deployment import (
    AIRFLOW_UID,
    API,
    RUN_TIMEOUT,
    Api,
    QuickStart,
    default_tagged,
    deployed,
)

pytestmark = [pytest.mark.integration, pytest.mark.image, pytest.mark.timeout(1800)]

DAG_ID = "hangar_quickstart"


@pytest.fixture(scope="module")
def quickstart_image(prod_image: str) -> Iterator[str]:
    with default_tagged(prod_image) as ref:
        yield ref


@pytest.fixture(scope="module")
def quickstart(
    quickstart_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QuickStart]:
    with deployed(
        tmp_path_factory.mktemp("quickstart"), dags=REPO / "tests" / "quickstart" / "dags"
    ) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def api(quickstart: QuickStart) -> Api:
    return quickstart.unpause(DAG_ID)


def test_up_runs_the_default_image_on_host_networking(
    quickstart: QuickStart, quickstart_image: str
) -> None:
    assert f"image {quickstart_image} (the default tag of `hangar image build`)" in (
        quickstart.up_notes
    )
    assert "network: host (quickstart_network = 'host' from " in quickstart.up_notes
    images = quickstart.compose("images", "--format", "json", timeout=60)
    assert images.returncode == 0, images.stderr
    running = {row["ID"].removeprefix("sha256:") for row in json.loads(images.stdout)}
    wanted = docker("image", "inspect", "--format", "{{.Id}}", quickstart_image).stdout.strip()
    assert running == {wanted.removeprefix("sha256:")}, (running, wanted)


def test_up_prints_the_url_and_login(quickstart: QuickStart) -> None:
    assert quickstart.up_output.splitlines() == [
        "url: http://localhost:8080",
        "username: airflow",
        "password: airflow",
    ]
    status = quickstart.hangar("status", timeout=120)
    assert status.returncode == 0, status.stderr
    for service in (
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
    ):
        assert f"{service}" in status.stdout
    assert "unhealthy" not in status.stdout


def test_health_endpoint_reports_every_component_healthy(quickstart: QuickStart) -> None:
    health_url = f"{API}/api/v2/monitor/health"
    with urllib.request.urlopen(health_url, timeout=30) as response:  # noqa: S310 -- loopback
        health = json.loads(response.read())
    for component in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
        assert health[component]["status"] == "healthy", health


def test_wrong_password_is_refused(quickstart: QuickStart) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        Api("airflow", "not-the-password", DAG_ID)
    assert refused.value.code in (401, 403)


def test_dag_runs_on_the_worker_and_defers_to_the_triggerer(
    quickstart: QuickStart, api: Api
) -> None:
    run_id = api.trigger()
    state, seen = api.wait_for_run(run_id, timeout=RUN_TIMEOUT)
    assert state == "success", seen
    assert any(tasks.get("wait_on_triggerer") == "deferred" for tasks in seen), seen
    assert set(api.tasks(run_id).values()) == {"success"}

    assert "hangar-quickstart: hello from" in api.log_text(run_id, "hello")
    deferred_log = api.log_text(run_id, "wait_on_triggerer")
    assert "hangar-quickstart: deferring for 10" in deferred_log
    assert "resumed after the triggerer fired" in deferred_log
    assert ".trigger." in deferred_log  # the triggerer's part of the log is served too

    worker_log = quickstart.compose("logs", "airflow-worker").stdout
    assert DAG_ID in worker_log
    assert "hello" in worker_log


def test_files_on_the_mounts_belong_to_airflow_uid(quickstart: QuickStart) -> None:
    created = list((quickstart.directory / "logs").rglob("*"))
    created += list((quickstart.directory / "config").iterdir())
    assert any(p.name.endswith(".log") for p in created)
    assert {p.stat().st_uid for p in created} == {AIRFLOW_UID}


def test_scheduler_restart_mid_run_loses_no_work(quickstart: QuickStart, api: Api) -> None:
    run_id = api.trigger()
    state, seen = api.wait_for_run(
        run_id, timeout=RUN_TIMEOUT, until=lambda tasks: tasks.get("slow") == "running"
    )
    assert state == "running", (state, seen)
    assert seen[-1].get("slow") == "running", seen

    restart = quickstart.compose("restart", "airflow-scheduler", timeout=180)
    assert restart.returncode == 0, restart.stderr

    state, seen = api.wait_for_run(run_id, timeout=RUN_TIMEOUT)
    assert state == "success", seen
    assert set(api.tasks(run_id).values()) == {"success"}
    assert "hangar-quickstart: slept 20 s" in api.log_text(run_id, "slow")


def test_down_leaves_no_containers(quickstart: QuickStart) -> None:
    down = quickstart.hangar("down", "--volumes", timeout=300)
    assert down.returncode == 0, down.stderr
    left = subprocess.run(
        [
            "docker",
            "ps",
            "--all",
            "--quiet",
            "--filter",
            f"label=com.docker.compose.project={quickstart.project}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert left.stdout.strip() == ""
    volumes = subprocess.run(
        [
            "docker",
            "volume",
            "ls",
            "--quiet",
            "--filter",
            f"label=com.docker.compose.project={quickstart.project}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert volumes.stdout.strip() == ""


@pytest.mark.parametrize(
    ("hostnet", "kerberos"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["docker-compose.yaml", "with-hostnet", "with-kerberos", "with-kerberos-and-hostnet"],
)
def test_compose_files_are_valid_for_docker_compose(hostnet: bool, kerberos: bool) -> None:
    """The user-facing file cannot start here (no Docker Hub, no bridge network), but compose
    must accept it, alone and with the overrides `hangar quickstart` adds, with the same
    services (and the Kerberos ones).
    """
    chosen = project_files(REPO / "quickstart", hostnet=hostnet, kerberos=kerberos)
    files = [arg for path in chosen for arg in ("-f", str(path))]
    done = subprocess.run(
        ["docker", "compose", *files, "--profile", "debug", "--profile", "flower",
         "config", "--services"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == {
        "postgres", "redis", "airflow-init", "airflow-apiserver", "airflow-scheduler",
        "airflow-dag-processor", "airflow-triggerer", "airflow-worker", "airflow-cli", "flower",
        *(("kdc", "airflow-kerberos") if kerberos else ()),
    }  # fmt: skip
