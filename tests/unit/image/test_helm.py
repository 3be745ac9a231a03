"""The Helm-contract check's logic, with containers and HTTP faked: what is started and how,
what stops it, what each row says. (tests/image/test_helm_contract.py runs it for real.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hangar.errors import BadInput
from hangar.image.verifying.helm import HelmContract, HelmRun
from hangar.image.verifying.helm_contract import COMPONENTS, NO_CLUSTER, airflow_cfg
from hangar.ports import HttpReply, ProcessResult
from tests.fakes.world import World

REQUEST = HelmRun(
    image="registry.example/airflow:3",
    database_url="postgresql+psycopg2://u:secret-pw@127.0.0.1/db",
    broker_url="redis://127.0.0.1:6379/1",
    timeout=60,
    name="hangar-helm-test",
)


@dataclass
class FakeContainers:
    failing_job: str = ""
    exited: str = ""  # a service that stops right away
    runs: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    volumes_removed: list[str] = field(default_factory=list)

    def start(self, ref: str, args: Sequence[str], *, name: str, options: Sequence[str]) -> None:
        self.started.append(name)
        self.runs.append((name, tuple(args), tuple(options)))

    def run(
        self, ref: str, args: Sequence[str], *, name: str, options: Sequence[str], timeout: float
    ) -> ProcessResult:
        self.runs.append((name, tuple(args), tuple(options)))
        code = 1 if name.endswith(self.failing_job or "-none-") else 0
        output = "usage: airflow\nerror: boom: no such command\n  -h, --help  show help\n"
        return ProcessResult(args=(), returncode=code, stderr=output * code)

    def exec(self, name: str, command: Sequence[str], *, timeout: float) -> ProcessResult:
        return ProcessResult(args=(), returncode=0)

    def state(self, name: str) -> str:
        return "exited (1)" if self.exited and name.endswith(self.exited) else "running"

    def logs(self, name: str, *, tail: int) -> str:
        return "Trimming airflow logs to 15 days.\nImportError: no module named flower\n"

    def remove(self, names: Sequence[str], volumes: Sequence[str] = ()) -> None:
        self.removed += names
        self.volumes_removed += volumes


@dataclass
class FakeHttp:
    busy_port: int = 0
    calls: list[tuple[str, str]] = field(default_factory=list)

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: object = None,
        token: str | None = None,
        timeout: float = 10,
    ) -> HttpReply:
        self.calls.append((method, url))
        if self.busy_port and url.endswith(f":{self.busy_port}/"):
            return HttpReply(status=404)  # something answers there
        if url.endswith("/auth/token"):
            return HttpReply(status=201, body=json.dumps({"access_token": "t"}).encode())
        if url.endswith("/dagRuns"):
            return HttpReply(status=200, body=json.dumps({"dag_run_id": "r1"}).encode())
        if url.endswith("/dagRuns/r1"):
            return HttpReply(status=200, body=json.dumps({"state": "success"}).encode())
        if url.endswith("/"):
            return HttpReply(status=0)  # nothing listens on the other ports
        return HttpReply(status=200)


def contract(containers: FakeContainers, http: FakeHttp) -> HelmContract:
    return HelmContract(containers=containers, http=http, clock=lambda: 0.0, sleep=lambda _s: None)


def test_every_component_runs_with_the_charts_security_context_and_passes(tmp_path: Path) -> None:
    containers, http = FakeContainers(), FakeHttp()
    rows = contract(containers, http).run(REQUEST, tmp_path)

    names = [r.component for r in rows]
    assert names == [*(c.name for c in COMPONENTS), "DAG run", *(c.name for c in NO_CLUSTER)]
    assert all(r.passed for r in rows), [r for r in rows if not r.passed]
    for _name, _args, options in containers.runs:
        assert options[:6] == (
            "--user", "50000:0", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"
        )  # fmt: skip
    worker = next(run for run in containers.runs if run[0] == "hangar-helm-test-worker")
    assert worker[1] == ("bash", "-c", "exec \\\nairflow celery worker")
    assert "DUMB_INIT_SETSID=0" in worker[2]
    # everything started is removed, the logs volume too
    assert set(containers.started) <= set(containers.removed)
    assert containers.volumes_removed == ["hangar-helm-test-logs"]


def test_secrets_reach_containers_through_an_env_file_only(tmp_path: Path) -> None:
    containers = FakeContainers()
    contract(containers, FakeHttp()).run(REQUEST, tmp_path)
    for _name, args, options in containers.runs:
        assert not any("secret-pw" in word for word in (*args, *options))
    env_file = tmp_path / "standard.env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://u:secret-pw@" in (
        env_file.read_text()
    )


def test_a_failing_job_stops_the_rest_and_says_why(tmp_path: Path) -> None:
    containers = FakeContainers(failing_job="create-user")
    rows = {r.component: r for r in contract(containers, FakeHttp()).run(REQUEST, tmp_path)}
    assert rows["run-airflow-migrations"].passed
    assert not rows["create-user"].passed
    assert rows["create-user"].detail == "exit 1: error: boom: no such command"
    assert rows["api-server"].detail == "not run: a job before it failed"
    assert containers.started == []  # no service was started


def test_a_service_that_exits_fails_with_the_end_of_its_log(tmp_path: Path) -> None:
    containers = FakeContainers(exited="flower")
    rows = {r.component: r for r in contract(containers, FakeHttp()).run(REQUEST, tmp_path)}
    assert rows["flower"].detail == "exited (1): ImportError: no module named flower"
    assert rows["DAG run"].detail == "not run: a component is not up"
    assert rows["scheduler"].passed


def test_a_busy_port_stops_before_anything_starts(tmp_path: Path) -> None:
    containers = FakeContainers()
    with pytest.raises(BadInput, match=r"port 8793 on 127\.0\.0\.1 is in use"):
        contract(containers, FakeHttp(busy_port=8793)).run(REQUEST, tmp_path)
    assert containers.runs == []


def test_the_config_is_the_charts_with_the_execution_api_on_loopback() -> None:
    cfg = airflow_cfg(api_url="http://127.0.0.1:8080")
    assert "execution_api_server_url = http://127.0.0.1:8080/execution/" in cfg
    assert "executor = CeleryExecutor" in cfg
    assert "standalone_dag_processor = True" in cfg
    assert "principal = airflow@FOO.COM" in cfg


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (("--platform", "linux/arm64"), "--platform"),
        (("--check", "user"), "--check"),
        (("--key", "KEY"), "--key"),
    ],
)
def test_the_helm_profile_refuses_options_it_would_not_honour(
    world: World, extra: tuple[str, ...], named: str
) -> None:
    key = world.root / "cosign.pub"
    key.write_text("key\n", encoding="utf-8")
    extra = tuple(str(key) if e == "KEY" else e for e in extra)
    result = world.invoke(
        "image", "verify", "registry.example/airflow:3", "--profile", "helm",
        "--database-url", "postgresql://u@127.0.0.1/db", "--broker-url", "redis://127.0.0.1/1",
        *extra,
    )  # fmt: skip
    assert isinstance(result.exception, BadInput)
    assert result.exception.message == f"--profile helm does not take {named}"
    assert not world.runner.commands  # nothing was started
