"""The quick start without an engine: reading `ps`, the settings and choices, compose's
recorded error output turned into one line with what to do, the compose adapter's command
lines, the Deployment service on a fake compose, and `hangar quickstart` on the fake world.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from click.testing import Result

from hangar.config import resolve
from hangar.errors import BadInput, EngineUnavailable, NotFound, StepFailed
from hangar.infra.compose import DockerCompose
from hangar.ports import Command, ProcessResult
from hangar.quickstart.deployment import Deployment
from hangar.quickstart.failures import Situation, explain, find_cause, last_error_line
from hangar.quickstart.settings import (
    ImageChoice,
    choose_image,
    choose_network,
    login,
    project_files,
    read_env_file,
)
from hangar.quickstart.state import INIT_SERVICE, SERVICES, ServiceState, judge, parse_ps
from tests.fakes.world import FakeRunner, World

REPO = Path(__file__).resolve().parents[3]
DEFAULT_TAG = "reg.example:5000/airflow:3.3.2-python3.13"  # SMALL_CONFIG's default tag

# Recorded: docker compose 2.26.1, engine 26.1.5 (containerd image store), no Docker Hub.
NO_DOCKER_HUB = (
    " redis Pulling \n postgres Pulling \n"
    ' postgres Error failed to resolve reference "docker.io/library/postgres:16": failed to do'
    ' request: Head "https://registry-1.docker.io/v2/library/postgres/manifests/16": dial tcp:'
    " lookup registry-1.docker.io on 10.255.255.53:53: no such host\n"
    'Error response from daemon: failed to resolve reference "docker.io/library/postgres:16":'
    ' failed to do request: Head "https://registry-1.docker.io/v2/library/postgres/manifests/16":'
    " dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host\n"
)
NOT_IN_REGISTRY = (
    " airflow-init Pulling \n"
    ' airflow-init Error failed to resolve reference "{ref}": {ref}: not found\n'
    'Error response from daemon: failed to resolve reference "{ref}": {ref}: not found\n'
)
INIT_FAILED = (
    " Container qs-airflow-init-1  Creating\n Container qs-airflow-init-1  Created\n"
    " Container qs-airflow-init-1  Starting\n Container qs-airflow-init-1  Started\n"
    " Container qs-airflow-init-1  Waiting\n"
    ' Container qs-airflow-init-1  service "airflow-init" didn\'t complete successfully: exit 1\n'
    'service "airflow-init" didn\'t complete successfully: exit 1\n'
)
UNHEALTHY = (
    " Container qs-airflow-worker-1  Started\n Container qs-airflow-worker-1  Waiting\n"
    "container qs-airflow-worker-1 is unhealthy\n"
)
WAIT_TIMEOUT = " Container qs-airflow-worker-1  Waiting\napplication not healthy after 10m0s\n"
NO_ENTRYPOINT = (
    " Container qs-airflow-init-1  Starting\n"
    "Error response from daemon: failed to create task for container: failed to create shim"
    ' task: OCI runtime create failed: unable to start container process: exec: "/entrypoint":'
    " stat /entrypoint: no such file or directory: unknown\n"
)
# Not recordable here (no network may be created on this machine): compose's own format
# (pkg/compose/create.go) with the daemon's answer on engines without the bridge driver.
NO_BRIDGE = (
    " Network quickstart_default  Creating\n Network quickstart_default  Error\n"
    "failed to create network quickstart_default: Error response from daemon: could not find"
    " plugin bridge in v1 plugin registry: plugin not found\n"
)
NO_VETH = (
    " Container quickstart-redis-1  Starting\n"
    "Error response from daemon: failed to create endpoint quickstart-redis-1 on network"
    " quickstart_default: failed to add the host (veth1a2b3c4) <=> sandbox (veth5d6e7f8) pair"
    " interfaces: operation not permitted\n"
)
# Engines with the classic image store name the registry, not the image; compose 2.30 and
# later name the image on its progress line.
CLASSIC_PULL = (
    " postgres Pulling \n postgres Error \n"
    'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup'
    " registry-1.docker.io: no such host\n"
)
NEW_COMPOSE_PULL = (
    "[+] up 1/2\n ✘ Image redis:7.2-bookworm Error failed to resolve reference ... 0.1s\n"
    'Error response from daemon: Get "https://registry-1.docker.io/v2/": EOF\n'
)
NO_ENGINE = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."
    " Is the docker daemon running?\n"
)
PORT_TAKEN = (
    "Error response from daemon: driver failed programming external connectivity on endpoint"
    " qs-airflow-apiserver-1: Bind for 0.0.0.0:8080 failed: port is already allocated\n"
)


def row(
    service: str, state: str = "running", health: str = "healthy", code: int = 0
) -> dict[str, object]:
    return {
        "Service": service,
        "State": state,
        "Health": health,
        "ExitCode": code,
        "Name": f"qs-{service}-1",
    }


def all_up() -> list[dict[str, object]]:
    return [row(INIT_SERVICE, "exited", "", 0), *(row(s) for s in SERVICES)]


def ps_lines(rows: list[dict[str, object]]) -> str:
    return "\n".join(json.dumps(r) for r in rows)


def failed(stderr: str, code: int = 1) -> ProcessResult:
    return ProcessResult(args=(), returncode=code, stderr=stderr)


def ok(stdout: str = "") -> ProcessResult:
    return ProcessResult(args=(), returncode=0, stdout=stdout)


# -- ps and readiness ---------------------------------------------------------------------


def test_ps_output_is_read_as_json_lines_or_as_an_array() -> None:
    assert parse_ps(ps_lines(all_up())) == parse_ps(json.dumps(all_up()))
    assert parse_ps(ps_lines(all_up()))[0] == ServiceState(
        service=INIT_SERVICE, state="exited", health="", exit_code=0, name=f"qs-{INIT_SERVICE}-1"
    )
    assert parse_ps("") == ()
    with pytest.raises(StepFailed, match="cannot read `docker compose ps` output"):
        parse_ps("{not json")


def test_up_means_init_exited_zero_and_every_service_healthy() -> None:
    assert judge(parse_ps(ps_lines(all_up()))).ready
    rows = all_up()
    rows[3] = row(SERVICES[2], health="starting")
    verdict = judge(parse_ps(ps_lines([r for r in rows if r["Service"] != "airflow-worker"])))
    assert (verdict.ready, verdict.waiting, verdict.failed) == (
        False, (SERVICES[2], "airflow-worker"), ()
    )  # fmt: skip


def test_a_failed_init_or_a_dead_or_unhealthy_service_is_a_failure() -> None:
    rows = all_up()
    rows[0] = row(INIT_SERVICE, "exited", "", 1)
    rows[1] = row("postgres", "exited", "", 137)
    rows[-1] = row("airflow-worker", health="unhealthy")
    verdict = judge(parse_ps(ps_lines(rows)))
    assert verdict.failed == (
        "airflow-init: exited with code 1",
        "postgres: exited (137)",
        "airflow-worker: unhealthy",
    )
    assert verdict.first_problem() == "airflow-init"


# -- settings and choices -----------------------------------------------------------------


def test_env_file_lines_comments_quotes_and_export() -> None:
    text = "# c\n\nAIRFLOW_UID=1000\nexport _AIRFLOW_WWW_USER_USERNAME='admin'\nX=\"a=b\"\nnoise\n"
    assert read_env_file(text) == {
        "AIRFLOW_UID": "1000",
        "_AIRFLOW_WWW_USER_USERNAME": "admin",
        "X": "a=b",
    }


def test_login_defaults_to_the_compose_files_defaults() -> None:
    assert (login({}).url, login({}).username, login({}).password) == (
        "http://localhost:8080", "airflow", "airflow"
    )  # fmt: skip
    custom = login({"_AIRFLOW_WWW_USER_USERNAME": "ops", "_AIRFLOW_WWW_USER_PASSWORD": "s3cret"})
    assert (custom.username, custom.password) == ("ops", "s3cret")


def test_project_files_include_the_override_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yaml").write_text("services: {}\n")
    assert project_files(tmp_path, hostnet=False) == (tmp_path / "docker-compose.yaml",)
    with pytest.raises(NotFound, match=r"docker-compose\.hostnet\.yaml"):
        project_files(tmp_path, hostnet=True)


def test_kerberos_adds_its_override_and_on_host_networking_its_hostnet_part(
    tmp_path: Path,
) -> None:
    names = (
        "docker-compose.yaml", "docker-compose.hostnet.yaml", "docker-compose.kerberos.yaml",
        "docker-compose.kerberos.hostnet.yaml",
    )  # fmt: skip
    for name in names:
        (tmp_path / name).write_text("services: {}\n")
    own = tmp_path / "mine.yaml"
    own.write_text("services: {}\n")

    def files(*, hostnet: bool) -> list[str]:
        found = project_files(tmp_path, hostnet=hostnet, kerberos=True, extra=[Path("mine.yaml")])
        return [p.name for p in found]

    assert files(hostnet=False) == [names[0], names[2], "mine.yaml"]
    assert files(hostnet=True) == [*names, "mine.yaml"]


def test_the_image_is_the_option_then_the_users_variable_then_the_default_tag() -> None:
    def pick(given: str | None, env_file: dict[str, str], environ: dict[str, str]) -> ImageChoice:
        return choose_image(
            given=given, env_file=env_file, environ=environ, default=DEFAULT_TAG,
            env_path=Path("qs/.env"),
        )  # fmt: skip

    mine = {"AIRFLOW_IMAGE_NAME": "mine:1"}
    assert pick("opt:1", mine, mine) == ImageChoice(ref="opt:1", source="--image")
    assert pick(None, {}, mine).source == "AIRFLOW_IMAGE_NAME in the environment"
    assert pick(None, mine, {}) == ImageChoice(ref="mine:1", source="AIRFLOW_IMAGE_NAME in qs/.env")
    default = pick(None, {"AIRFLOW_UID": "1000"}, {})
    assert (default.ref, default.default) == (DEFAULT_TAG, True)


def test_host_networking_follows_the_option_then_the_quickstart_network_setting() -> None:
    overlay = Path("/etc/hangar/environment.toml")
    host = resolve(
        files=[(overlay, 'quickstart_network = "host"\n')],
        environ={},
        options={},
        shown_as={overlay: str(overlay)},
    )
    plain = resolve(environ={}, options={})
    assert choose_network(given=None, config=host).hostnet
    assert (
        "quickstart_network = 'host' from /etc/hangar/environment.toml"
        in choose_network(given=None, config=host).source
    )
    assert not choose_network(given=False, config=host).hostnet
    assert not choose_network(given=None, config=plain).hostnet
    assert choose_network(given=True, config=plain).hostnet
    odd = resolve(environ={"HANGAR_QUICKSTART_NETWORK": "bridge"}, options={})
    with pytest.raises(BadInput, match="env HANGAR_QUICKSTART_NETWORK"):
        choose_network(given=None, config=odd)


# -- compose's errors, in its own words ------------------------------------------------------


def situation(*, hostnet: bool = False, image: ImageChoice | None = None) -> Situation:
    return Situation(directory=Path("/qs"), hostnet=hostnet, image=image)


def up_error(stderr: str, *, hostnet: bool = False, image: ImageChoice | None = None) -> str:
    where = situation(hostnet=hostnet, image=image)
    return explain(find_cause(stderr), what="up", situation=where, seconds=42).line()


def test_the_last_meaningful_line_skips_progress_and_warnings() -> None:
    assert (
        last_error_line(INIT_FAILED)
        == 'service "airflow-init" didn\'t complete successfully: exit 1'
    )
    text = ' Container qs-redis-1  Started\ntime="x" level=warning msg="obsolete"\n\n'
    assert last_error_line(text) == 'time="x" level=warning msg="obsolete"'
    assert last_error_line("\x1b[2Kboom\n[+] Running 3/3\n") == "boom"


def test_postgres_that_cannot_be_pulled_points_to_hostnet() -> None:
    line = up_error(NO_DOCKER_HUB)
    assert line.startswith('cannot pull postgres:16: Error response from daemon: failed to '
                           'resolve reference "docker.io/library/postgres:16"')  # fmt: skip
    assert "`hangar quickstart up --hostnet`" in line
    assert "\n" not in line
    assert "--hostnet" not in up_error(NO_DOCKER_HUB, hostnet=True)


def test_the_default_image_that_cannot_be_pulled_points_to_the_build() -> None:
    image = ImageChoice(ref=DEFAULT_TAG, source="the default tag", default=True)
    line = up_error(NOT_IN_REGISTRY.format(ref=DEFAULT_TAG), image=image)
    assert line == (
        f"cannot pull {DEFAULT_TAG}: Error response from daemon: failed to resolve reference "
        f'"{DEFAULT_TAG}": {DEFAULT_TAG}: not found (build it with `make image` or '
        "`hangar image build`, or pass --image; it comes from the default tag)"
    )


def test_an_image_from_env_says_where_it_came_from() -> None:
    image = ImageChoice(ref="hangar/airflow:3.3.2", source="AIRFLOW_IMAGE_NAME in /qs/.env")
    stderr = NO_DOCKER_HUB.replace("library/postgres:16", "hangar/airflow:3.3.2")
    assert up_error(stderr, image=image).endswith(
        "or pass --image; it comes from AIRFLOW_IMAGE_NAME in /qs/.env)"
    )


def test_an_image_given_with_the_option_is_not_sent_to_the_option_again() -> None:
    image = ImageChoice(ref="127.0.0.1:5000/nope:1", source="--image")
    line = up_error(NOT_IN_REGISTRY.format(ref=image.ref), image=image)
    assert line.endswith(
        "(check the name (`docker images` lists the engine's); without --image, "
        "`hangar quickstart up` runs the image `make image` built)"
    )


def test_newer_compose_names_the_image_on_its_progress_line() -> None:
    assert up_error(NEW_COMPOSE_PULL).startswith("cannot pull redis:7.2-bookworm: ")


@pytest.mark.parametrize("stderr", [NO_BRIDGE, NO_VETH], ids=["create-network", "endpoint"])
def test_no_bridge_networks_points_to_hostnet(stderr: str) -> None:
    line = up_error(stderr)
    assert line.startswith(f"cannot create the quick start's network: {last_error_line(stderr)}")
    assert line.endswith(
        "(this engine has no bridge networks: `hangar quickstart up --hostnet` puts every "
        'service on the host network (quickstart_network = "host" in hangar.toml makes that '
        "the default))"
    )


def test_a_failed_service_is_quoted_with_where_to_look() -> None:
    assert up_error(UNHEALTHY) == (
        "the quick start is not up after 42 s: container qs-airflow-worker-1 is unhealthy "
        "(see `docker compose logs airflow-worker` in /qs)"
    )
    assert "logs airflow-init" in up_error(INIT_FAILED)


def test_anything_else_is_quoted_with_the_logs_of_the_first_service() -> None:
    cause = find_cause(NO_ENTRYPOINT)
    readiness = judge(parse_ps(ps_lines([row(INIT_SERVICE, "created", "")])))
    error = explain(cause, what="up", situation=situation(), seconds=1, readiness=readiness)
    assert error.line() == (
        f"docker compose up failed: {last_error_line(NO_ENTRYPOINT)} "
        "(see `docker compose logs airflow-init` in /qs)"
    )


def test_no_engine_and_a_taken_port() -> None:
    error = explain(find_cause(NO_ENGINE), what="ps", situation=situation())
    assert isinstance(error, EngineUnavailable)
    assert error.message.startswith("docker compose ps cannot reach the Docker engine: Cannot")
    assert up_error(PORT_TAKEN).startswith("port 8080 is taken: Error response from daemon")


# -- the compose adapter ------------------------------------------------------------------


@dataclass
class Recorder:
    answer: ProcessResult = field(default_factory=ok)
    commands: list[Command] = field(default_factory=list)

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        self.commands.append(command)
        return self.answer


def test_every_compose_command_line_is_bounded_and_names_the_project(tmp_path: Path) -> None:
    runner = Recorder()
    compose = DockerCompose(
        runner=runner, directory=tmp_path, files=(tmp_path / "a.yaml", tmp_path / "b.yaml"),
        name="qs", env={"AIRFLOW_IMAGE_NAME": "img:1"},
    )  # fmt: skip
    compose.up(wait_timeout=90.5)
    compose.ps()
    compose.down(volumes=True)
    compose.logs("airflow-init", tail=20)
    up, ps, down, logs = runner.commands
    files = ("-f", str(tmp_path / "a.yaml"), "-f", str(tmp_path / "b.yaml"))
    project = ("docker", "compose", "--project-directory", str(tmp_path), *files, "-p", "qs")
    assert up.args == ("timeout", "--kill-after=10", "120", *project,
                       "up", "--detach", "--wait", "--wait-timeout", "90")  # fmt: skip
    assert (up.env, up.cwd, up.changes_state) == ({"AIRFLOW_IMAGE_NAME": "img:1"}, tmp_path, True)
    assert ps.args[3:] == (*project, "ps", "--all", "--format", "json")
    assert not ps.changes_state
    assert down.args[3:] == (*project, "down", "--remove-orphans", "--timeout", "30", "--volumes")
    assert logs.args[-6:] == (
        "logs",
        "--no-color",
        "--no-log-prefix",
        "--tail",
        "20",
        "airflow-init",
    )
    assert compose.shown("logs", "airflow-init") == "docker compose -p qs logs airflow-init"


# -- the Deployment service -----------------------------------------------------------------


@dataclass
class FakeCompose:
    """Answers each compose call from `answers` (by method); records the calls."""

    answers: dict[str, ProcessResult] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def _answer(self, name: str) -> ProcessResult:
        self.calls.append(name)
        return self.answers.get(name, ok(ps_lines(all_up()) if name == "ps" else ""))

    def version(self) -> ProcessResult:
        return self._answer("version")

    def up(self, *, wait_timeout: float) -> ProcessResult:
        return self._answer("up")

    def ps(self) -> ProcessResult:
        return self._answer("ps")

    def down(self, *, volumes: bool) -> ProcessResult:
        return self._answer("down")

    def logs(self, service: str, *, tail: int) -> ProcessResult:
        return self._answer("logs")

    def config(self) -> ProcessResult:
        return self._answer("config")

    def shown(self, *args: str) -> str:
        return " ".join(("docker", "compose", *args))


def deployment(
    directory: Path, compose: FakeCompose, environ: dict[str, str] | None = None
) -> Deployment:
    ticks = iter([100.0, 142.0])
    return Deployment(
        compose=compose,
        directory=directory,
        hostnet=False,
        environ=environ or {},
        clock=lambda: next(ticks),
    )


def test_up_prepares_the_folders_and_env_then_reports_the_login(tmp_path: Path) -> None:
    result = deployment(tmp_path, FakeCompose()).up(timeout=300, uid=1000)
    assert (result.seconds, result.login.password, result.wrote_env) == (
        42.0, "airflow", "AIRFLOW_UID=1000"
    )  # fmt: skip
    assert all((tmp_path / d).is_dir() for d in ("dags", "logs", "config", "plugins"))
    (tmp_path / ".env").write_text("AIRFLOW_IMAGE_NAME=mine:1")
    deployment(tmp_path, FakeCompose()).up(timeout=300, uid=0)
    assert read_env_file((tmp_path / ".env").read_text()) == {
        "AIRFLOW_IMAGE_NAME": "mine:1",
        "AIRFLOW_UID": "50000",
    }


def test_up_takes_airflow_uid_and_the_password_from_env_or_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("_AIRFLOW_WWW_USER_PASSWORD=pw\n")
    found = deployment(tmp_path, FakeCompose(), environ={"AIRFLOW_UID": "2000"})
    result = found.up(timeout=300, uid=1000)
    assert (result.wrote_env, result.login.password) == (None, "pw")
    assert (tmp_path / ".env").read_text() == "_AIRFLOW_WWW_USER_PASSWORD=pw\n"


def test_a_failed_init_is_quoted_with_the_end_of_its_log(tmp_path: Path) -> None:
    rows = [row(INIT_SERVICE, "exited", "", 1), row("postgres")]
    compose = FakeCompose(
        {"up": failed(INIT_FAILED), "ps": ok(ps_lines(rows)),
         "logs": ok("Performing migration\nERROR: You need to upgrade the database\n")}
    )  # fmt: skip
    with pytest.raises(StepFailed) as error:
        deployment(tmp_path, compose).up(timeout=300, uid=1000)
    assert error.value.line() == (
        'the quick start is not up after 42 s: service "airflow-init" didn\'t complete '
        "successfully: exit 1; its log ends: ERROR: You need to upgrade the database "
        f"(see `docker compose logs airflow-init` in {tmp_path})"
    )


def test_a_wait_timeout_names_the_services_still_coming(tmp_path: Path) -> None:
    rows = [*all_up()[:-1], row("airflow-worker", health="starting")]
    compose = FakeCompose({"up": failed(WAIT_TIMEOUT), "ps": ok(ps_lines(rows))})
    with pytest.raises(StepFailed) as error:
        deployment(tmp_path, compose).up(timeout=600, uid=1000)
    assert error.value.message == (
        "the quick start is not up after 42 s: application not healthy after 10m0s; "
        "not healthy yet: airflow-worker"
    )
    assert "logs airflow-worker" in (error.value.hint or "")


def test_a_pull_error_without_an_image_name_asks_compose_for_it(tmp_path: Path) -> None:
    config = {"services": {"postgres": {"image": "postgres:16"}, "redis": {"image": "redis:7"}}}
    compose = FakeCompose({"up": failed(CLASSIC_PULL, 18), "config": ok(json.dumps(config))})
    with pytest.raises(StepFailed, match=r"^cannot pull postgres:16: Error response from daemon"):
        deployment(tmp_path, compose).up(timeout=300, uid=1000)
    assert "ps" not in compose.calls  # a pull error needs no state


def test_no_compose_plugin_is_an_engine_error(tmp_path: Path) -> None:
    compose = FakeCompose({"version": failed("docker: 'compose' is not a docker command.")})
    with pytest.raises(EngineUnavailable, match="docker compose is not available"):
        deployment(tmp_path, compose).up(timeout=300, uid=1000)
    assert compose.calls == ["version"]


def test_down_failure_says_how_to_see_what_is_left(tmp_path: Path) -> None:
    compose = FakeCompose({"down": failed("Error response from daemon: removal in progress")})
    with pytest.raises(StepFailed) as error:
        deployment(tmp_path, compose).down(volumes=True)
    assert error.value.line() == (
        "docker compose down failed: Error response from daemon: removal in progress "
        f"(run `docker compose ps --all` in {tmp_path} to see what is left)"
    )


# -- `hangar quickstart` on the fake world ----------------------------------------------------


@dataclass
class QuickstartRunner(FakeRunner):
    """The world's runner, plus answers for compose and `docker image inspect`."""

    images: set[str] = field(default_factory=lambda: {DEFAULT_TAG})
    up_answer: ProcessResult = field(default_factory=ok)
    ps_answer: ProcessResult = field(default_factory=lambda: ok(ps_lines(all_up())))

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        args = command.args
        if args[1:3] == ("image", "inspect"):
            self.commands.append(command)
            found = args[3] in self.images
            return ProcessResult(args=args, returncode=0 if found else 1, stdout="[{}]")
        if "compose" in args and "version" not in args:
            self.commands.append(command)
            if "up" in args:
                return self.up_answer
            return self.ps_answer if "ps" in args else ok()
        return super().run(command, stream_to=stream_to)

    def compose_ups(self) -> list[Command]:
        return [c for c in self.commands if "compose" in c.args and "up" in c.args]


@dataclass
class QuickstartWorld:
    world: World
    runner: QuickstartRunner

    def invoke(self, *args: str) -> Result:
        return self.world.invoke("quickstart", *args)


@pytest.fixture
def qs(world: World) -> QuickstartWorld:
    """The world with the repository's compose files in <project>/quickstart."""
    folder = world.root / "quickstart"
    folder.mkdir()
    for name in ("docker-compose.yaml", "docker-compose.hostnet.yaml"):
        (folder / name).write_text((REPO / "quickstart" / name).read_text())
    world.runner = runner = QuickstartRunner()
    return QuickstartWorld(world=world, runner=runner)


def test_up_runs_the_default_tag_on_compose_networking_by_default(qs: QuickstartWorld) -> None:
    result = qs.invoke("up")
    assert result.exit_code == 0, result.output
    (up,) = qs.runner.compose_ups()
    assert up.env == {"AIRFLOW_IMAGE_NAME": DEFAULT_TAG}
    assert "docker-compose.hostnet.yaml" not in " ".join(up.args)
    assert f"image {DEFAULT_TAG} (the default tag of `hangar image build`); network: " in (
        result.stderr
    )
    assert result.stdout.splitlines()[-3:] == [
        "url: http://localhost:8080", "username: airflow", "password: airflow"
    ]  # fmt: skip


def test_up_uses_host_networking_when_the_overlay_says_so(qs: QuickstartWorld) -> None:
    overlay = qs.world.root / "environment.toml"
    overlay.write_text('quickstart_network = "host"\n')
    qs.world.environ["HANGAR_ENVIRONMENT_FILE"] = str(overlay)
    assert qs.invoke("up").exit_code == 0
    assert qs.invoke("up", "--no-hostnet").exit_code == 0
    first, second = qs.runner.compose_ups()
    assert "docker-compose.hostnet.yaml" in " ".join(first.args)
    assert "docker-compose.hostnet.yaml" not in " ".join(second.args)


def test_up_stops_before_starting_anything_when_the_default_image_is_missing(
    qs: QuickstartWorld,
) -> None:
    qs.runner.images = set()
    result = qs.invoke("up")
    assert isinstance(result.exception, NotFound)
    assert result.exception.line() == (
        f"image {DEFAULT_TAG} (the default tag of `hangar image build`) is not in the Docker "
        "engine (build it with `make image` or `hangar image build`, or pass --image)"
    )
    assert qs.runner.compose_ups() == []
    assert not (qs.world.root / "quickstart" / ".env").exists()


def test_up_with_an_image_runs_it_without_asking_the_engine(qs: QuickstartWorld) -> None:
    qs.runner.images = set()
    result = qs.invoke("up", "--image", "other:1")
    assert result.exit_code == 0, result.output
    assert qs.runner.compose_ups()[0].env == {"AIRFLOW_IMAGE_NAME": "other:1"}


def test_up_reports_compose_errors_in_one_line(qs: QuickstartWorld) -> None:
    qs.runner.up_answer = failed(NO_DOCKER_HUB, 18)
    result = qs.invoke("up")
    assert isinstance(result.exception, StepFailed)
    assert result.exception.message.startswith("cannot pull postgres:16: ")
    assert "--hostnet" in (result.exception.hint or "")


def test_status_names_what_is_not_up_and_where_to_look(qs: QuickstartWorld) -> None:
    assert qs.invoke("status").exit_code == 0
    rows = [*all_up()[:-1], row("airflow-worker", health="unhealthy")]
    qs.runner.ps_answer = ok(ps_lines(rows))
    result = qs.invoke("status", "-p", "qs")
    assert isinstance(result.exception, StepFailed)
    assert result.exception.line() == (
        "the quick start is not up: airflow-worker: unhealthy (`docker compose -p qs logs "
        f"airflow-worker` in {qs.world.root / 'quickstart'} shows why)"
    )
    assert result.stdout.splitlines()[-1].split() == ["airflow-worker", "running,", "unhealthy"]
    qs.runner.ps_answer = ok("")
    result = qs.invoke("status")
    assert isinstance(result.exception, StepFailed)
    assert result.exception.message.startswith("the quick start is not running: no containers")


def test_the_shipped_override_puts_every_service_on_the_host_network() -> None:
    """Every service of the main file is named in the override with network_mode: host
    (a service left out would need a bridge network).
    """
    main = (REPO / "quickstart" / "docker-compose.yaml").read_text()
    override = (REPO / "quickstart" / "docker-compose.hostnet.yaml").read_text()
    services = [
        line.strip().rstrip(":")
        for line in main.split("\nservices:\n", 1)[1].split("\nvolumes:", 1)[0].splitlines()
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":")
    ]
    assert set(services) == {*SERVICES, INIT_SERVICE, "airflow-cli", "flower"}
    for service in services:
        assert f"\n  {service}:" in override, service
    assert override.count("network_mode: host") == 2  # the two anchors every service uses


def test_env_example_leaves_the_image_to_hangar_and_matches_the_compose_fallback() -> None:
    example = read_env_file((REPO / "quickstart" / ".env.example").read_text())
    assert "AIRFLOW_IMAGE_NAME" not in example  # so `hangar quickstart up` runs the built image
    fallback = "${AIRFLOW_IMAGE_NAME:-hangar/airflow:3.3.2}"
    assert fallback in (REPO / "quickstart" / "docker-compose.yaml").read_text()
    assert (
        "# AIRFLOW_IMAGE_NAME=hangar/airflow:3.3.2"
        in (REPO / "quickstart" / ".env.example").read_text()
    )
