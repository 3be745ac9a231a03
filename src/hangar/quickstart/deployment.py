"""The quick-start deployment as a service: check compose (and that the image to run is
there), prepare the folders and .env, start and wait, stop, report state. It reaches compose
and the engine only through ports (tests pass fakes) and never waits without a bound; each
failure is explained in compose's own words (failures.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hangar.errors import BadInput, EngineUnavailable, HangarError, NotFound
from hangar.ports import Compose, Engine, ProcessResult
from hangar.quickstart.failures import (
    Situation,
    explain,
    find_cause,
    last_error_line,
    needs_image_names,
    not_up,
)
from hangar.quickstart.settings import (
    ENV_FILE,
    MOUNTED_DIRS,
    ImageChoice,
    Login,
    compose_settings,
    login,
    read_env_file,
    with_airflow_uid,
)
from hangar.quickstart.state import Readiness, ServiceState, judge, parse_ps

LOG_TAIL = 20
# exit codes of `timeout` when it stopped compose (TERM, then KILL after the grace period)
DEADLINE_CODES = (124, 137)


def env_file_values(directory: Path) -> dict[str, str]:
    """The variables of the project's .env file (none when there is no such file)."""
    path = directory / ENV_FILE
    return read_env_file(path.read_text()) if path.is_file() else {}


@dataclass(frozen=True, kw_only=True)
class UpResult:
    login: Login
    seconds: float
    states: tuple[ServiceState, ...]
    wrote_env: str | None = None  # the AIRFLOW_UID line added to .env


@dataclass(frozen=True, kw_only=True)
class Deployment:
    compose: Compose
    directory: Path
    hostnet: bool
    engine: Engine | None = None  # to check that an image built here is there
    environ: Mapping[str, str] = field(default_factory=dict)
    extra_env: Mapping[str, str] = field(default_factory=dict)  # what hangar passes compose
    clock: Callable[[], float] = time.monotonic

    def situation(self, image: ImageChoice | None = None) -> Situation:
        return Situation(
            directory=self.directory, hostnet=self.hostnet, image=image, shown=self.compose.shown
        )

    # -- settings -------------------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        """What compose interpolates: the .env file, then the environment, then our extras."""
        return compose_settings(
            env_file=env_file_values(self.directory), environ=self.environ, extra=self.extra_env
        )

    def prepare(self, *, uid: int) -> str | None:
        """Create the mounted folders, and add AIRFLOW_UID to .env (creating it) when neither
        .env nor the environment sets it. Returns the line added, if any.
        """
        for name in MOUNTED_DIRS:
            (self.directory / name).mkdir(exist_ok=True)
        if "AIRFLOW_UID" in self.settings():
            return None
        path = self.directory / ENV_FILE
        text, line = with_airflow_uid(path.read_text() if path.is_file() else "", uid=uid)
        path.write_text(text)
        return line

    # -- checks ---------------------------------------------------------------------------
    def ensure_compose(self) -> None:
        result = self.compose.version()
        if not result.ok:
            raise EngineUnavailable(
                f"docker compose is not available: {last_error_line(result.stderr) or 'no output'}",
                hint="install the compose plugin (scripts/setup-env.sh does) and start dockerd",
            )

    def ensure_image(self, image: ImageChoice) -> None:
        """The default image is built here, not pulled: when it is missing, say so before
        anything starts.
        """
        if not image.default or self.engine is None:
            return
        self.engine.ensure_available()
        try:
            self.engine.inspect_image(image.ref)
        except NotFound:
            raise NotFound(
                f"image {image.ref} ({image.source}) is not in the Docker engine",
                hint="build it with `make image` or `hangar image build`, or pass --image",
            ) from None

    # -- steps ----------------------------------------------------------------------------
    def states(self) -> tuple[ServiceState, ...]:
        result = self.compose.ps()
        if not result.ok:
            raise self._failure("ps", result)
        return parse_ps(result.stdout)

    def up(self, *, timeout: float, uid: int, image: ImageChoice | None = None) -> UpResult:
        """Start everything and wait, at most `timeout` seconds, until every service is healthy."""
        if timeout <= 0:
            raise BadInput(f"--timeout must be positive, got {timeout}")
        self.ensure_compose()
        if image is not None:
            self.ensure_image(image)
        wrote = self.prepare(uid=uid)
        started = self.clock()
        result = self.compose.up(wait_timeout=timeout)
        seconds = self.clock() - started
        if not result.ok:
            raise self._up_failure(result, seconds=seconds, image=image)
        states = self.states()
        verdict = judge(states)
        if not verdict.ready:
            raise not_up(verdict, situation=self.situation(image), seconds=seconds)
        return UpResult(
            login=login(self.settings()), seconds=seconds, states=states, wrote_env=wrote
        )

    def down(self, *, volumes: bool) -> None:
        result = self.compose.down(volumes=volumes)
        if not result.ok:
            raise self._failure("down", result)

    # -- failures -------------------------------------------------------------------------
    def _failure(self, what: str, result: ProcessResult) -> HangarError:
        cause = find_cause(result.stderr or result.stdout)
        return explain(cause, what=what, situation=self.situation())

    def _up_failure(
        self, result: ProcessResult, *, seconds: float, image: ImageChoice | None
    ) -> HangarError:
        situation = self.situation(image)
        readiness = self._readiness() if result.returncode in DEADLINE_CODES else None
        if readiness is not None and not readiness.ready:
            return not_up(readiness, situation=situation, seconds=seconds)
        cause = find_cause(result.stderr or result.stdout)
        if needs_image_names(cause):
            cause = find_cause(result.stderr or result.stdout, images=self._service_images())
        if cause.kind in ("engine", "image", "network", "port"):
            return explain(cause, what="up", situation=situation)
        readiness = self._readiness()
        service = cause.service or (readiness.first_problem() if readiness else None)
        log_line = self._last_log_line(service) if service and cause.exited else ""
        return explain(
            cause,
            what="up",
            situation=situation,
            seconds=seconds,
            readiness=readiness,
            log_line=log_line,
        )

    def _readiness(self) -> Readiness | None:
        """What `ps` says after a failure; None when it cannot say (compose's own line is
        the news, ps only adds detail).
        """
        try:
            return judge(self.states())
        except HangarError:
            return None

    def _service_images(self) -> dict[str, str]:
        result = self.compose.config()
        if not result.ok:
            return {}
        try:
            services = json.loads(result.stdout).get("services", {})
        except (json.JSONDecodeError, AttributeError):
            return {}
        return {name: str(spec.get("image", "")) for name, spec in services.items() if spec}

    def _last_log_line(self, service: str) -> str:
        result = self.compose.logs(service, tail=LOG_TAIL)
        return last_error_line(result.stdout) if result.ok else ""
