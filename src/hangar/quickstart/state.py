"""The services of the quick start (quickstart/docker-compose.yaml), how to read
`docker compose ps`, and when the deployment counts as up. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hangar.errors import StepFailed

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
# the services of the compose file that `up` does not start (profiles debug and flower)
PROFILE_SERVICES = ("airflow-cli", "flower")


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

    def first_problem(self) -> str | None:
        """The service to look at first: the first that failed, else the first still waited for."""
        first = (*self.failed, *self.waiting)
        return first[0].split(":")[0] if first else None


def parse_ps(text: str) -> tuple[ServiceState, ...]:
    """`docker compose ps --all --format json`: a JSON array (older compose) or one object
    per line (compose 2.21 and later).
    """
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
    A service that exited, died or turned unhealthy has failed; anything else is still coming.
    """
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


def service_of(container: str) -> str:
    """The service a compose container belongs to: `<project>-<service>-<n>` (or the old
    `<project>_<service>_<n>`) -> `<service>`, for the services of the quick start; the
    container's name otherwise.
    """
    for service in sorted((*SERVICES, INIT_SERVICE, *PROFILE_SERVICES), key=len, reverse=True):
        if re.search(rf"(^|[-_]){re.escape(service)}[-_]\d+$", container):
            return service
    return container
