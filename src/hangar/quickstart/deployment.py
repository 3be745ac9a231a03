"""The quick-start deployment (quickstart/docker-compose.yaml): which services it has, how to
read `docker compose ps`, when it counts as up, and the bounded up/down/status steps.

Pure logic, plus `Deployment`, which runs `docker compose` through a Runner (so tests use a
fake) and never waits without a bound.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hangar.errors import BadInput, EngineUnavailable, NotFound, StepFailed
from hangar.ports import Command, Runner, last_line

# Long-running services, each with a health check, in start order.
SERVICES = (
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
INIT_SERVICE = "airflow-init"  # one-shot: must exit 0
COMPOSE_FILE = "docker-compose.yaml"
HOSTNET_FILE = "docker-compose.hostnet.yaml"
MOUNTED_DIRS = ("dags", "logs", "config", "plugins")
DEFAULT_USERNAME = "airflow"
DEFAULT_PASSWORD = "airflow"  # the quick start's documented default
API_PORT = 8080
ROOT_FALLBACK_UID = 50000
KILL_GRACE_SECONDS = 10


@dataclass(frozen=True, kw_only=True)
class Project:
    """A compose project: its folder, compose files, name and extra environment."""

    directory: Path
    files: tuple[Path, ...]
    name: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def compose(
        self, *args: str, timeout: float | None = None, changes_state: bool = True
    ) -> Command:
        """`docker compose` with this project's files, optionally killed after `timeout` s."""
        base: list[str] = ["docker", "compose", "--project-directory", str(self.directory)]
        for path in self.files:
            base += ["-f", str(path)]
        if self.name:
            base += ["-p", self.name]
        if timeout is not None:
            base = ["timeout", f"--kill-after={KILL_GRACE_SECONDS}", str(int(timeout)), *base]
        return Command(
            args=(*base, *args), cwd=self.directory, env=dict(self.env), changes_state=changes_state
        )


@dataclass(frozen=True, kw_only=True)
class ServiceState:
    service: str
    state: str  # created, running, restarting, exited, dead ...
    health: str  # healthy, starting, unhealthy, "" (no health check)
    exit_code: int = 0
    name: str = ""

    @property
    def summary(self) -> str:
        if self.state == "exited":
            return f"exited ({self.exit_code})"
        return f"{self.state}, {self.health}" if self.health else self.state


@dataclass(frozen=True, kw_only=True)
class Readiness:
    ready: bool
    failed: tuple[str, ...] = ()  # "service: why"
    waiting: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Login:
    url: str
    username: str
    password: str


def parse_ps(text: str) -> tuple[ServiceState, ...]:
    """`docker compose ps --all --format json`: a JSON array (older compose) or one object
    per line (compose 2.21 and later)."""
    text = text.strip()
    if not text:
        return ()
    rows: list[dict[str, Any]]
    try:
        data = json.loads(text)
        rows = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise StepFailed(f"cannot read `docker compose ps` output: {exc}") from exc
    return tuple(
        ServiceState(
            service=str(row.get("Service", "")),
            state=str(row.get("State", "")).lower(),
            health=str(row.get("Health", "")).lower(),
            exit_code=int(row.get("ExitCode", 0) or 0),
            name=str(row.get("Name", "")),
        )
        for row in rows
    )


def judge(states: Sequence[ServiceState], services: Sequence[str] = SERVICES) -> Readiness:
    """Up means: the init step exited 0 and every long-running service is running and healthy.
    A service that exited, died or turned unhealthy has failed; anything else is still coming."""
    by_name = {s.service: s for s in states}
    failed: list[str] = []
    waiting: list[str] = []
    init = by_name.get(INIT_SERVICE)
    if init is None or init.state != "exited":
        waiting.append(INIT_SERVICE)
    elif init.exit_code != 0:
        failed.append(f"{INIT_SERVICE}: exited with code {init.exit_code}")
    for name in services:
        state = by_name.get(name)
        if state is None:
            waiting.append(name)
        elif state.state in ("exited", "dead"):
            failed.append(f"{name}: {state.summary}")
        elif state.health == "unhealthy":
            failed.append(f"{name}: unhealthy")
        elif state.state != "running" or state.health not in ("healthy", ""):
            waiting.append(name)
    return Readiness(ready=not failed and not waiting, failed=tuple(failed), waiting=tuple(waiting))


def read_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines of a compose .env file (comments, blanks and `export` allowed)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def login(settings: Mapping[str, str]) -> Login:
    """The URL and admin login the deployment ends up with (same defaults as the compose file)."""
    return Login(
        url=f"http://localhost:{API_PORT}",
        username=settings.get("_AIRFLOW_WWW_USER_USERNAME") or DEFAULT_USERNAME,
        password=settings.get("_AIRFLOW_WWW_USER_PASSWORD") or DEFAULT_PASSWORD,
    )


def airflow_uid(uid: int) -> int:
    """The AIRFLOW_UID to use for a user: their own UID, but not root's (Airflow would run as
    root); then the image's airflow user."""
    return ROOT_FALLBACK_UID if uid == 0 else uid


def project_files(
    directory: Path, *, hostnet: bool, extra: Sequence[Path] = ()
) -> tuple[Path, ...]:
    files = [directory / COMPOSE_FILE]
    if hostnet:
        files.append(directory / HOSTNET_FILE)
    files += [p if p.is_absolute() else directory / p for p in extra]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise NotFound(
            f"compose file not found: {', '.join(missing)}",
            hint="run from the repository root, or pass --dir (the folder of docker-compose.yaml)",
        )
    return tuple(files)


@dataclass(frozen=True, kw_only=True)
class UpResult:
    login: Login
    seconds: float
    states: tuple[ServiceState, ...]
    wrote_env: str | None = None  # the AIRFLOW_UID line added to .env


@dataclass
class Deployment:
    project: Project
    runner: Runner
    clock: Callable[[], float] = time.monotonic

    def ensure_compose(self) -> None:
        result = self.runner.run(
            Command(args=("docker", "compose", "version"), changes_state=False)
        )
        if not result.ok:
            raise EngineUnavailable(
                f"docker compose is not available: {last_line(result.stderr) or 'no output'}",
                hint="install the compose plugin (scripts/setup-env.sh does) and start dockerd",
            )

    def settings(self) -> dict[str, str]:
        """What compose interpolates: the .env file, then the environment, then our extras."""
        env_file = self.project.directory / ".env"
        values = read_env_file(env_file.read_text()) if env_file.is_file() else {}
        prefixes = ("_AIRFLOW", "AIRFLOW")
        values.update({k: v for k, v in os.environ.items() if k.startswith(prefixes)})
        values.update(self.project.env)
        return values

    def prepare(self, *, uid: int) -> str | None:
        """Create the mounted folders, and add AIRFLOW_UID to .env (creating it) when neither
        .env nor the environment sets it. Returns the line added, if any."""
        for name in MOUNTED_DIRS:
            (self.project.directory / name).mkdir(exist_ok=True)
        if "AIRFLOW_UID" in self.settings():
            return None
        env_file = self.project.directory / ".env"
        text = env_file.read_text() if env_file.is_file() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        line = f"AIRFLOW_UID={airflow_uid(uid)}"
        env_file.write_text(f"{text}# added by `hangar quickstart up`\n{line}\n")
        return line

    def states(self) -> tuple[ServiceState, ...]:
        result = self.runner.run(
            self.project.compose("ps", "--all", "--format", "json", timeout=60, changes_state=False)
        )
        if not result.ok:
            raise StepFailed(f"docker compose ps failed: {last_line(result.stderr) or 'no output'}")
        return parse_ps(result.stdout)

    def up(self, *, timeout: float, uid: int) -> UpResult:
        """Start everything and wait, at most `timeout` seconds, until every service is healthy."""
        if timeout <= 0:
            raise BadInput(f"--timeout must be positive, got {timeout}")
        self.ensure_compose()
        wrote = self.prepare(uid=uid)
        started = self.clock()
        result = self.runner.run(
            self.project.compose(
                "up",
                "--detach",
                "--wait",
                "--wait-timeout",
                str(int(timeout)),
                timeout=timeout + 30,
            )
        )
        seconds = self.clock() - started
        states = self.states()
        verdict = judge(states)
        if not result.ok or not verdict.ready:
            problems = verdict.failed or tuple(f"{s}: not healthy yet" for s in verdict.waiting)
            detail = "; ".join(problems) or last_line(result.stderr) or "docker compose up failed"
            first = (verdict.failed or verdict.waiting or (INIT_SERVICE,))[0].split(":")[0]
            raise StepFailed(
                f"the deployment is not up after {seconds:.0f} s: {detail}",
                hint=f"see `docker compose logs {first}` in {self.project.directory}",
            )
        return UpResult(
            login=login(self.settings()), seconds=seconds, states=states, wrote_env=wrote
        )

    def down(self, *, volumes: bool, timeout: float = 120) -> None:
        args = ["down", "--remove-orphans", "--timeout", "30"]
        if volumes:
            args.append("--volumes")
        result = self.runner.run(self.project.compose(*args, timeout=timeout))
        if not result.ok:
            raise StepFailed(
                f"docker compose down failed: {last_line(result.stderr) or 'no output'}",
                hint="run `docker compose ps --all` in the quick-start folder to see what is left",
            )
