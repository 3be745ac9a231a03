"""`hangar image verify IMAGE --profile helm`: the official Helm chart's containers started with
`docker run` as the chart starts them (helm_contract.py), against a real PostgreSQL and Redis:
the jobs must exit 0, every service must pass its probe, and a DAG run must succeed on the
Celery worker. Everything it starts is removed afterwards, whatever happened.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from hangar.errors import BadInput
from hangar.image.verifying.helm_contract import (
    ADMIN,
    API_PORT,
    CFG_PATH,
    COMPONENTS,
    DAG_ID,
    DAG_SOURCE,
    DAGS_PATH,
    FLOWER_PORT,
    LOCAL_SETTINGS_PATH,
    LOGS_PATH,
    NO_CLUSTER,
    SECURITY_OPTIONS,
    Component,
    Kind,
    Mount,
    airflow_cfg,
    standard_env,
)
from hangar.ports import Containers, Http, last_line

LOG_PORTS = (8793, 8794)  # the worker's and the triggerer's log servers
PROBE_SECONDS = 30  # one exec probe at most (the chart's timeoutSeconds is 20)
JOB_SECONDS = 600
API = f"http://127.0.0.1:{API_PORT}"
NO_PROVIDER = "invalid choice: 'kubernetes'"
ERROR_WORDS = re.compile(r"error|invalid choice|Traceback", re.IGNORECASE)
MAX_DETAIL = 200


@dataclass(frozen=True, kw_only=True)
class HelmRun:
    image: str
    database_url: str  # SQLAlchemy URL of an empty database the check may migrate
    broker_url: str  # Celery broker (Redis)
    timeout: float  # seconds for the services to pass their probes, and for the DAG run
    name: str  # prefix of the containers and the logs volume


@dataclass(frozen=True, kw_only=True)
class ContractRow:
    component: str
    command: str
    probe: str
    passed: bool
    detail: str


@dataclass(frozen=True, kw_only=True)
class HelmContract:
    containers: Containers
    http: Http
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def run(self, request: HelmRun, workdir: Path) -> tuple[ContractRow, ...]:
        self.ensure_ports_free()
        options = Options(request=request, workdir=workdir)
        options.write_files()
        started: list[str] = []
        try:
            rows = list(self.jobs(request, options, COMPONENTS))
            if all(row.passed for row in rows):
                services = [c for c in COMPONENTS if c.kind is Kind.SERVICE]
                for component in services:
                    name = options.container(component)
                    started.append(name)
                    self.containers.start(
                        request.image, component.args, name=name, options=options.of(component)
                    )
                rows += self.wait_for_services(request, options, services)
                rows.append(self.dag_run(request, ready=all(r.passed for r in rows)))
            else:
                rows += [not_run(c, "a job before it failed") for c in COMPONENTS[len(rows) :]]
            rows += self.jobs(request, options, NO_CLUSTER, stop_on_failure=False)
            return tuple(rows)
        finally:
            self.containers.remove(started, volumes=[options.logs_volume])

    # -- steps ------------------------------------------------------------------------------
    def ensure_ports_free(self) -> None:
        for port in (API_PORT, *LOG_PORTS, FLOWER_PORT):
            if self.http.request("GET", f"http://127.0.0.1:{port}/", timeout=3).status:
                raise BadInput(
                    f"port {port} on 127.0.0.1 is in use; the chart's containers need it "
                    f"(api-server {API_PORT}, log servers {LOG_PORTS[0]}/{LOG_PORTS[1]}, "
                    f"flower {FLOWER_PORT})",
                    hint="stop what listens there (`hangar quickstart down`?) and try again",
                )

    def jobs(
        self,
        request: HelmRun,
        options: Options,
        components: Sequence[Component],
        *,
        stop_on_failure: bool = True,
    ) -> list[ContractRow]:
        rows: list[ContractRow] = []
        for component in components:
            if component.kind is not Kind.JOB:
                continue
            started = self.clock()
            done = self.containers.run(
                request.image,
                component.args,
                name=options.container(component),
                options=options.of(component),
                timeout=JOB_SECONDS,
            )
            seconds = self.clock() - started
            output = done.stderr + done.stdout
            if done.ok:
                rows.append(ok(component, f"exit 0 in {seconds:.0f} s"))
            elif component.name == "airflow-cleanup-pods" and NO_PROVIDER in output:
                rows.append(
                    ok(component, "n/a: no cncf.kubernetes provider in the image (the "
                        "chart renders this job only with a KubernetesExecutor, which needs it)")
                )  # fmt: skip
            else:
                detail = f"exit {done.returncode}: {telling_line(output) or 'no output'}"
                rows.append(failed(component, detail))
                if stop_on_failure:
                    break
        return rows

    def wait_for_services(
        self, request: HelmRun, options: Options, services: Sequence[Component]
    ) -> list[ContractRow]:
        started = self.clock()
        deadline = started + request.timeout
        results: dict[str, ContractRow] = {}
        while len(results) < len(services):
            for component in services:
                if component.name in results:
                    continue
                name = options.container(component)
                state = self.containers.state(name)
                if state != "running":
                    log = last_line(self.containers.logs(name, tail=20)) or "no output"
                    results[component.name] = failed(component, f"{state}: {log}")
                elif self.probe_passes(component, name):
                    seconds = self.clock() - started
                    results[component.name] = ok(component, f"up in {seconds:.0f} s")
            if len(results) < len(services) and self.clock() > deadline:
                for component in services:
                    if component.name not in results:
                        log = last_line(self.containers.logs(options.container(component), tail=20))
                        detail = f"probe still failing after {request.timeout:.0f} s: {log}"
                        results[component.name] = failed(component, detail)
            elif len(results) < len(services):
                self.sleep(5)
        return [results[c.name] for c in services]

    def probe_passes(self, component: Component, name: str) -> bool:
        probe = component.probe
        if probe is None:
            log = self.containers.logs(name, tail=50)
            return any(line in log for line in component.ready_lines)
        if probe.http_path:
            url = f"http://127.0.0.1:{probe.port}{probe.http_path}"
            return self.http.request("GET", url, timeout=PROBE_SECONDS).status == HTTPStatus.OK
        return self.containers.exec(name, probe.exec, timeout=PROBE_SECONDS).ok

    def dag_run(self, request: HelmRun, *, ready: bool) -> ContractRow:
        component = DAG_RUN
        if not ready:
            return not_run(component, "a component is not up")
        login = self.http.request(
            "POST", f"{API}/auth/token", json_body={"username": ADMIN[0], "password": ADMIN[1]}
        )
        if login.status not in (HTTPStatus.OK, HTTPStatus.CREATED):
            return failed(component, f"POST /auth/token as {ADMIN[0]}: HTTP {login.status}")
        token = str(json.loads(login.body)["access_token"])
        deadline = self.clock() + request.timeout
        dag = f"{API}/api/v2/dags/{DAG_ID}"
        while self.http.request("GET", dag, token=token).status != HTTPStatus.OK:
            if self.clock() > deadline:
                return failed(component, f"the dag-processor never parsed {DAG_ID}")
            self.sleep(3)
        self.http.request("PATCH", dag, json_body={"is_paused": False}, token=token)
        started = self.clock()
        run = self.http.request(
            "POST", f"{dag}/dagRuns", json_body={"logical_date": None}, token=token
        )
        if run.status not in (HTTPStatus.OK, HTTPStatus.CREATED):
            return failed(component, f"triggering {DAG_ID}: HTTP {run.status}")
        run_url = f"{dag}/dagRuns/{json.loads(run.body)['dag_run_id']}"
        state = "queued"
        while state not in ("success", "failed") and self.clock() < deadline:
            self.sleep(3)
            state = str(json.loads(self.http.request("GET", run_url, token=token).body)["state"])
        seconds = self.clock() - started
        return row(component, passed=state == "success", detail=f"{state} after {seconds:.0f} s")


DAG_RUN = Component(
    name="DAG run",
    kind=Kind.JOB,
    args=("POST", f"/api/v2/dags/{DAG_ID}/dagRuns"),
    expect="run state success (scheduler → Celery worker)",
    template="the api-server, scheduler, dag-processor and worker together",
)


def row(component: Component, *, passed: bool, detail: str) -> ContractRow:
    if component.probe is not None:
        probe = component.probe.shown()
    elif component.ready_lines:
        probe = "log: " + " | ".join(component.ready_lines)
    else:
        probe = component.expect or "exit 0"
    return ContractRow(
        component=component.name,
        command=component.shown(),
        probe=probe,
        passed=passed,
        detail=detail,
    )


def telling_line(output: str) -> str:
    """The last line that says error (Airflow prints its help after some), else the last."""
    errors = [line for line in output.splitlines() if ERROR_WORDS.search(line)]
    text = errors[-1] if errors else last_line(output)
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def ok(component: Component, detail: str) -> ContractRow:
    return row(component, passed=True, detail=detail)


def failed(component: Component, detail: str) -> ContractRow:
    return row(component, passed=False, detail=detail)


def not_run(component: Component, why: str) -> ContractRow:
    return failed(component, f"not run: {why}")


@dataclass(frozen=True, kw_only=True)
class Options:
    """The `docker run` options of each component: the chart's security context, environment
    (an env file, so no value is on a command line) and mounts.
    """

    request: HelmRun
    workdir: Path

    @property
    def logs_volume(self) -> str:
        return f"{self.request.name}-logs"

    def container(self, component: Component) -> str:
        return f"{self.request.name}-{component.name.replace(' ', '-')}"

    def write_files(self) -> None:
        self.workdir.chmod(0o755)
        (self.workdir / "airflow.cfg").write_text(airflow_cfg(api_url=API))
        (self.workdir / "airflow_local_settings.py").write_text("")
        dags = self.workdir / "dags"
        dags.mkdir(exist_ok=True)
        (dags / f"{DAG_ID}.py").write_text(DAG_SOURCE)
        env_file = self.workdir / "standard.env"
        env_file.touch(mode=0o600)
        env = standard_env(
            database_url=self.request.database_url,
            broker_url=self.request.broker_url,
            fernet_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            api_secret=secrets.token_urlsafe(24),
            jwt_secret=secrets.token_urlsafe(24),
        )
        env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))

    def of(self, component: Component) -> tuple[str, ...]:
        args = list(SECURITY_OPTIONS)
        if component.standard_env:
            args += ["--env-file", str(self.workdir / "standard.env")]
        for key, value in component.env:
            args += ["-e", f"{key}={value}"]
        mounts = {
            Mount.CONFIG: [
                f"{self.workdir / 'airflow.cfg'}:{CFG_PATH}:ro",
                f"{self.workdir / 'airflow_local_settings.py'}:{LOCAL_SETTINGS_PATH}:ro",
            ],
            Mount.LOGS: [f"{self.logs_volume}:{LOGS_PATH}"],
            Mount.DAGS: [f"{self.workdir / 'dags'}:{DAGS_PATH}:ro"],
        }
        for mount in component.mounts:
            for volume in mounts[mount]:
                args += ["-v", volume]
        return tuple(args)
