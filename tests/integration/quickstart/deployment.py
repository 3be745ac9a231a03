"""The quick start deployed for a test module, as the README tells it: the image `make image`
tags by default, `.env` from `.env.example`, then `hangar quickstart up` with neither --image
nor --hostnet (the machine's config selects host networking); its own database and Redis
database number, so it shares nothing with other tests; `down --volumes` at the end.

Needs what scripts/setup-env.sh starts (the engine, PostgreSQL on 127.0.0.1:5432 with the
`airflow` role, Redis on 127.0.0.1:6379) and the ports 8080, 8793, 8794 and 8974 free.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hangar.app import real_app
from hangar.config import Config
from hangar.image.building.plan import default_tag
from tests.images import REPO, docker

BASE_FILES = ("docker-compose.yaml", "docker-compose.hostnet.yaml")
KERBEROS_FILES = ("docker-compose.kerberos.yaml", "docker-compose.kerberos.hostnet.yaml")
API = "http://127.0.0.1:8080"
HOST_PORTS = (8080, 8793, 8794, 8974)
PG_ADMIN_URL = "postgresql://airflow:airflow@127.0.0.1:5432/postgres"
AIRFLOW_UID = 50001  # not the image's 50000: files on the mounts must follow AIRFLOW_UID
UP_TIMEOUT = 600
RUN_TIMEOUT = 300
HANGAR = Path(sys.executable).with_name("hangar")


@dataclass(frozen=True)
class QuickStart:
    directory: Path
    project: str
    up_output: str
    up_notes: str  # what `up` said on stderr
    files: tuple[str, ...]  # the compose files `hangar quickstart` chose

    def compose(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        files = [arg for name in self.files for arg in ("-f", name)]
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
            *args, *self.options, directory=self.directory, project=self.project, timeout=timeout
        )

    @property
    def options(self) -> tuple[str, ...]:
        return ("--kerberos",) if KERBEROS_FILES[0] in self.files else ()

    def unpause(self, dag_id: str) -> Api:
        api = Api("airflow", "airflow", dag_id)
        api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        return api


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

    def __init__(self, username: str, password: str, dag_id: str) -> None:
        self.dag_id = dag_id
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
        run = self.call("POST", f"/api/v2/dags/{self.dag_id}/dagRuns", {"logical_date": None})
        return str(run["dag_run_id"])

    def run_path(self, run_id: str) -> str:
        return f"/api/v2/dags/{self.dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}"

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


@contextlib.contextmanager
def default_tagged(prod_image: str) -> Iterator[str]:
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


@contextlib.contextmanager
def deployed(
    directory: Path,
    *,
    dags: Path,
    kerberos: bool = False,
    env: Mapping[str, str] | None = None,
) -> Iterator[QuickStart]:
    """`hangar quickstart up` (with --kerberos: the Kerberos override) in `directory`, a copy of
    quickstart/ with `dags` and extra .env lines `env`; down with its volumes afterwards.
    """
    busy = [port for port in HOST_PORTS if port_in_use(port)]
    if busy:
        pytest.fail(f"ports {busy} on 127.0.0.1 are in use; the quick start needs them free")
    suffix = uuid.uuid4().hex[:8]
    project, database = f"hangar-qs-{suffix}", f"hangar_qs_{suffix}"
    files = (*BASE_FILES, *(KERBEROS_FILES if kerberos else ()))
    for name in files:
        shutil.copy2(REPO / "quickstart" / name, directory / name)
    if kerberos:
        shutil.copytree(REPO / "quickstart" / "kerberos", directory / "kerberos")
    shutil.copytree(dags, directory / "dags")
    # the README: cp .env.example .env && sed -i "s/^AIRFLOW_UID=.*/AIRFLOW_UID=$(id -u)/" .env
    example = (REPO / "quickstart" / ".env.example").read_text()
    lines = re.sub(r"(?m)^AIRFLOW_UID=.*$", f"AIRFLOW_UID={AIRFLOW_UID}", example)
    lines += (
        f"QUICKSTART_DB_URL=postgresql+psycopg2://airflow:airflow@127.0.0.1:5432/{database}\n"
        f"QUICKSTART_BROKER_URL=redis://127.0.0.1:6379/{int(suffix, 16) % 8 + 8}\n"
    )
    lines += "".join(f"{key}={value}\n" for key, value in (env or {}).items())
    (directory / ".env").write_text(lines)
    options = ("--kerberos",) if kerberos else ()
    psql(f"CREATE DATABASE {database} OWNER airflow")
    try:
        up = hangar_quickstart(
            "up", "--timeout", str(UP_TIMEOUT), *options,
            directory=directory, project=project, timeout=UP_TIMEOUT + 300,
        )  # fmt: skip
        deployment = QuickStart(
            directory=directory, project=project, up_output=up.stdout, up_notes=up.stderr,
            files=files,
        )  # fmt: skip
        if up.returncode != 0:
            logs = deployment.compose("logs", "--tail", "30").stdout[-6000:]
            pytest.fail(
                f"hangar quickstart up failed ({up.returncode}): {up.stderr[-2000:]}\n{logs}"
            )
        yield deployment
    finally:
        hangar_quickstart(
            "down", "--volumes", *options, directory=directory, project=project, timeout=300
        )
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
