"""The quick start end to end, as the README tells it: the image `make image` tags by
default, `.env` from `.env.example`, then `hangar quickstart up` with neither --image nor
--hostnet (the machine's config selects host networking); a DAG run through the Celery
worker and the triggerer, task logs through the REST API, a scheduler restart in the middle
of a run, and a clean `down`.

The session's small test image stands in for `make image`: it is tagged with the default tag
that hangar's config gives on this machine (the tag is restored or removed afterwards).
Needs what scripts/setup-env.sh starts (the engine, PostgreSQL on 127.0.0.1:5432 with the
`airflow` role, Redis on 127.0.0.1:6379) and the ports 8080, 8793, 8794 and 8974 free. Each
run gets its own database and Redis database number, so it shares nothing with other tests.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hangar.app import real_app
from hangar.config import Config
from hangar.image.plan import default_tag
from tests.images import REPO, docker

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

API = "http://127.0.0.1:8080"
HOST_PORTS = (8080, 8793, 8794, 8974)
PG_ADMIN_URL = "postgresql://airflow:airflow@127.0.0.1:5432/postgres"
AIRFLOW_UID = 50001  # not the image's 50000: files on the mounts must follow AIRFLOW_UID
DAG_ID = "hangar_quickstart"
UP_TIMEOUT = 600
RUN_TIMEOUT = 300
HANGAR = Path(sys.executable).with_name("hangar")


@dataclass(frozen=True)
class QuickStart:
    directory: Path
    project: str
    up_output: str
    up_notes: str  # what `up` said on stderr

    def compose(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        files = ("-f", "docker-compose.yaml", "-f", "docker-compose.hostnet.yaml")
        return subprocess.run(
            ["docker", "compose", *files, "-p", self.project, *args],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def hangar(
        self, *args: str, timeout: float = UP_TIMEOUT + 120
    ) -> subprocess.CompletedProcess[str]:
        return hangar_quickstart(
            *args, directory=self.directory, project=self.project, timeout=timeout
        )


def hangar_config() -> Config:
    """The settings `hangar` itself reads here: defaults, the machine's overlay
    (/etc/hangar/environment.toml), the project's file, HANGAR_* variables.
    """
    return dataclasses.replace(real_app(), cwd=REPO).config()


def hangar_environment() -> dict[str, str]:
    """The environment for `hangar`: this one, with host networking selected the way the
    set-up script's overlay does it, where this machine's config does not already.
    """
    env = dict(os.environ)
    if hangar_config()["quickstart_network"] != "host":
        env["HANGAR_QUICKSTART_NETWORK"] = "host"  # containers here use host networking only
    env.pop("AIRFLOW_IMAGE_NAME", None)  # the image must be hangar's default choice
    return env


def hangar_quickstart(
    *args: str, directory: Path, project: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`hangar quickstart COMMAND --dir DIR -p PROJECT ...`, from the repository root."""
    command, *rest = args
    return subprocess.run(
        [str(HANGAR), "quickstart", command, "--dir", str(directory), "-p", project, *rest],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=hangar_environment(),
        check=False,
    )


def psql(sql: str) -> None:
    subprocess.run(["psql", PG_ADMIN_URL, "-qc", sql], check=True, capture_output=True, timeout=60)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Api:
    """The Airflow REST API with a SimpleAuthManager token."""

    def __init__(self, username: str, password: str) -> None:
        body = self._call("POST", "/auth/token", {"username": username, "password": password})
        self.token = str(body["access_token"])

    def _call(self, method: str, path: str, data: Any = None, token: str | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 -- http://127.0.0.1 only
            API + path,
            method=method,
            data=None if data is None else json.dumps(data).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- as above
            return json.loads(response.read() or b"null")

    def call(self, method: str, path: str, data: Any = None) -> Any:
        return self._call(method, path, data, self.token)

    def trigger(self) -> str:
        run = self.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None})
        return str(run["dag_run_id"])

    def run_path(self, run_id: str) -> str:
        return f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id, safe='')}"

    def tasks(self, run_id: str) -> dict[str, str | None]:
        body = self.call("GET", self.run_path(run_id) + "/taskInstances")
        return {ti["task_id"]: ti["state"] for ti in body["task_instances"]}

    def wait_for_run(
        self,
        run_id: str,
        *,
        timeout: float,
        until: Callable[[dict[str, str | None]], bool] | None = None,
    ) -> tuple[str, list[dict[str, str | None]]]:
        """Poll the run until it ends (or `until(task states)` holds); returns its state and
        every distinct set of task states seen.
        """
        seen: list[dict[str, str | None]] = []
        deadline = time.monotonic() + timeout
        state = "unknown"
        while time.monotonic() < deadline:
            state = str(self.call("GET", self.run_path(run_id))["state"])
            tasks = self.tasks(run_id)
            if not seen or seen[-1] != tasks:
                seen.append(tasks)
            if state in ("success", "failed") or (until is not None and until(tasks)):
                return state, seen
            time.sleep(2)
        return state, seen

    def log_text(self, run_id: str, task_id: str) -> str:
        body = self.call("GET", self.run_path(run_id) + f"/taskInstances/{task_id}/logs/1")
        content = body["content"]
        if isinstance(content, str):
            return content
        return "\n".join(str(event.get("event", "")) for event in content)


@pytest.fixture(scope="module")
def quickstart_image(prod_image: str) -> Iterator[str]:
    """The session's small test image (Python 3.11, celery and postgres extras) under the tag
    `make image` gives the default image on this machine; the quick start mounts its own
    dags/ over the DAG the image embeds. Whatever had that tag before gets it back.
    """
    config = hangar_config()
    ref = default_tag(
        config, python=config["default_python"], airflow_version=config["airflow_version"]
    )
    before = docker("image", "inspect", "--format", "{{.Id}}", ref)
    tagged = docker("tag", prod_image, ref)
    assert tagged.returncode == 0, tagged.stderr
    try:
        yield ref
    finally:
        if before.returncode == 0:
            docker("tag", before.stdout.strip(), ref)
        else:
            docker("image", "rm", ref)


@pytest.fixture(scope="module")
def quickstart(
    quickstart_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QuickStart]:
    busy = [port for port in HOST_PORTS if port_in_use(port)]
    if busy:
        pytest.fail(f"ports {busy} on 127.0.0.1 are in use; the quick start needs them free")
    suffix = uuid.uuid4().hex[:8]
    project, database = f"hangar-qs-{suffix}", f"hangar_qs_{suffix}"
    directory = tmp_path_factory.mktemp("quickstart")
    for name in ("docker-compose.yaml", "docker-compose.hostnet.yaml"):
        shutil.copy2(REPO / "quickstart" / name, directory / name)
    shutil.copytree(REPO / "tests" / "quickstart" / "dags", directory / "dags")
    # the README: cp .env.example .env && sed -i "s/^AIRFLOW_UID=.*/AIRFLOW_UID=$(id -u)/" .env
    example = (REPO / "quickstart" / ".env.example").read_text()
    env = re.sub(r"(?m)^AIRFLOW_UID=.*$", f"AIRFLOW_UID={AIRFLOW_UID}", example)
    (directory / ".env").write_text(
        f"{env}"
        f"QUICKSTART_DB_URL=postgresql+psycopg2://airflow:airflow@127.0.0.1:5432/{database}\n"
        f"QUICKSTART_BROKER_URL=redis://127.0.0.1:6379/{int(suffix, 16) % 8 + 8}\n"
    )
    psql(f"CREATE DATABASE {database} OWNER airflow")
    try:
        up = hangar_quickstart(
            "up",
            "--timeout",
            str(UP_TIMEOUT),
            directory=directory,
            project=project,
            timeout=UP_TIMEOUT + 120,
        )
        deployment = QuickStart(
            directory=directory, project=project, up_output=up.stdout, up_notes=up.stderr
        )
        if up.returncode != 0:
            logs = deployment.compose("logs", "--tail", "30").stdout[-6000:]
            pytest.fail(
                f"hangar quickstart up failed ({up.returncode}): {up.stderr[-2000:]}\n{logs}"
            )
        yield deployment
    finally:
        hangar_quickstart("down", "--volumes", directory=directory, project=project, timeout=300)
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture(scope="module")
def api(quickstart: QuickStart) -> Api:
    return Api("airflow", "airflow")


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
        Api("airflow", "not-the-password")
    assert refused.value.code in (401, 403)


def test_dag_runs_on_the_worker_and_defers_to_the_triggerer(
    quickstart: QuickStart, api: Api
) -> None:
    api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
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


@pytest.mark.parametrize("override", [False, True], ids=["docker-compose.yaml", "with-hostnet"])
def test_compose_files_are_valid_for_docker_compose(override: bool) -> None:
    """The user-facing file cannot start here (no Docker Hub, no bridge network), but compose
    must accept it, alone and with the override, with the same services.
    """
    files = ["-f", str(REPO / "quickstart" / "docker-compose.yaml")]
    if override:
        files += ["-f", str(REPO / "quickstart" / "docker-compose.hostnet.yaml")]
    done = subprocess.run(
        ["docker", "compose", *files, "--profile", "debug", "--profile", "flower",
         "config", "--services"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == {
        "postgres", "redis", "airflow-init", "airflow-apiserver", "airflow-scheduler",
        "airflow-dag-processor", "airflow-triggerer", "airflow-worker", "airflow-cli", "flower",
    }  # fmt: skip
