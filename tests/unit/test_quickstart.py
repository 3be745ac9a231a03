"""The quick start's pure logic and its compose steps, with a fake runner."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from hangar.errors import EngineUnavailable, NotFound, StepFailed
from hangar.ports import Command, ProcessResult
from hangar.quickstart.deployment import (
    INIT_SERVICE,
    SERVICES,
    Deployment,
    Project,
    ServiceState,
    airflow_uid,
    judge,
    login,
    parse_ps,
    project_files,
    read_env_file,
)

REPO = Path(__file__).resolve().parents[2]


def row(
    service: str, state: str = "running", health: str = "healthy", code: int = 0
) -> dict[str, object]:
    return {
        "Service": service,
        "State": state,
        "Health": health,
        "ExitCode": code,
        "Name": f"p-{service}-1",
    }


def all_up() -> list[dict[str, object]]:
    return [row(INIT_SERVICE, "exited", "", 0), *(row(s) for s in SERVICES)]


def states(rows: list[dict[str, object]]) -> tuple[ServiceState, ...]:
    return parse_ps("\n".join(json.dumps(r) for r in rows))


def test_ps_output_is_read_as_json_lines_or_as_an_array() -> None:
    lines = "\n".join(json.dumps(r) for r in all_up())
    assert parse_ps(lines) == parse_ps(json.dumps(all_up()))
    assert parse_ps(lines)[0] == ServiceState(
        service=INIT_SERVICE, state="exited", health="", exit_code=0, name=f"p-{INIT_SERVICE}-1"
    )
    assert parse_ps("") == ()


def test_unreadable_ps_output_is_one_clear_error() -> None:
    with pytest.raises(StepFailed, match="cannot read `docker compose ps` output"):
        parse_ps("{not json")


def test_up_means_init_exited_zero_and_every_service_healthy() -> None:
    verdict = judge(states(all_up()))
    assert verdict.ready
    assert verdict.failed == ()
    assert verdict.waiting == ()


def test_services_still_starting_are_waited_for() -> None:
    rows = all_up()
    rows[3] = row(SERVICES[2], health="starting")
    verdict = judge(states([r for r in rows if r["Service"] != "airflow-worker"]))
    assert not verdict.ready
    assert verdict.waiting == (SERVICES[2], "airflow-worker")
    assert verdict.failed == ()


def test_a_failed_init_or_a_dead_or_unhealthy_service_is_a_failure() -> None:
    rows = all_up()
    rows[0] = row(INIT_SERVICE, "exited", "", 1)
    rows[1] = row("postgres", "exited", "", 137)
    rows[-1] = row("airflow-worker", health="unhealthy")
    verdict = judge(states(rows))
    assert not verdict.ready
    assert verdict.failed == (
        "airflow-init: exited with code 1",
        "postgres: exited (137)",
        "airflow-worker: unhealthy",
    )


def test_env_file_lines_comments_quotes_and_export() -> None:
    text = (
        "# comment\n\nAIRFLOW_UID=1000\n"
        "export _AIRFLOW_WWW_USER_USERNAME='admin'\nX=\"a=b\"\nnoise\n"
    )
    assert read_env_file(text) == {
        "AIRFLOW_UID": "1000",
        "_AIRFLOW_WWW_USER_USERNAME": "admin",
        "X": "a=b",
    }


def test_login_defaults_to_the_compose_files_defaults() -> None:
    assert login({}).username == "airflow"
    assert login({}).password == "airflow"
    assert login({}).url == "http://localhost:8080"
    custom = login({"_AIRFLOW_WWW_USER_USERNAME": "ops", "_AIRFLOW_WWW_USER_PASSWORD": "s3cret"})
    assert (custom.username, custom.password) == ("ops", "s3cret")


def test_root_gets_the_images_airflow_uid_and_everyone_else_their_own() -> None:
    assert airflow_uid(0) == 50000
    assert airflow_uid(1000) == 1000


def test_project_files_include_the_override_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yaml").write_text("services: {}\n")
    assert project_files(tmp_path, hostnet=False) == (tmp_path / "docker-compose.yaml",)
    with pytest.raises(NotFound, match=r"docker-compose\.hostnet\.yaml"):
        project_files(tmp_path, hostnet=True)


def test_compose_command_is_bounded_by_timeout(tmp_path: Path) -> None:
    project = Project(
        directory=tmp_path, files=(tmp_path / "a.yaml", tmp_path / "b.yaml"), name="qs"
    )
    command = project.compose("up", "-d", timeout=90.5)
    assert command.args == (
        "timeout", "--kill-after=10", "90",
        "docker", "compose", "--project-directory", str(tmp_path),
        "-f", str(tmp_path / "a.yaml"), "-f", str(tmp_path / "b.yaml"), "-p", "qs",
        "up", "-d",
    )  # fmt: skip
    assert project.compose("ps").args[:2] == ("docker", "compose")


@dataclass
class FakeRunner:
    """Answers `docker compose ...` by the subcommand; records every command."""

    answers: dict[str, ProcessResult]
    commands: list[Command] = field(default_factory=list)

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        self.commands.append(command)
        args = command.args[command.args.index("compose") + 1 :]
        key = next((a for a in args if a in self.answers), "")
        return self.answers.get(key, ProcessResult(args=command.args, returncode=0))


def ok(stdout: str = "") -> ProcessResult:
    return ProcessResult(args=(), returncode=0, stdout=stdout)


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("AIRFLOW_UID", "_AIRFLOW_WWW_USER_USERNAME", "_AIRFLOW_WWW_USER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "docker-compose.yaml").write_text("services: {}\n")
    return tmp_path


def deployment(directory: Path, runner: FakeRunner) -> Deployment:
    ticks = iter([100.0, 142.0])
    project = Project(directory=directory, files=(directory / "docker-compose.yaml",))
    return Deployment(project=project, runner=runner, clock=lambda: next(ticks))


def test_up_prepares_the_folders_and_env_then_reports_the_login(project_dir: Path) -> None:
    runner = FakeRunner({"ps": ok("\n".join(json.dumps(r) for r in all_up()))})
    result = deployment(project_dir, runner).up(timeout=300, uid=1000)
    assert result.seconds == 42.0
    assert (result.login.username, result.login.password) == ("airflow", "airflow")
    assert result.wrote_env == "AIRFLOW_UID=1000"
    assert "AIRFLOW_UID=1000" in (project_dir / ".env").read_text()
    assert all((project_dir / d).is_dir() for d in ("dags", "logs", "config", "plugins"))
    up = next(c for c in runner.commands if "up" in c.args)
    assert up.args[:3] == ("timeout", "--kill-after=10", "330")
    assert up.args[-5:] == ("up", "--detach", "--wait", "--wait-timeout", "300")


def test_up_adds_airflow_uid_to_an_env_file_without_it(project_dir: Path) -> None:
    (project_dir / ".env").write_text("AIRFLOW_IMAGE_NAME=mine:1")
    runner = FakeRunner({"ps": ok(json.dumps(all_up()))})
    result = deployment(project_dir, runner).up(timeout=300, uid=0)
    assert result.wrote_env == "AIRFLOW_UID=50000"
    assert read_env_file((project_dir / ".env").read_text()) == {
        "AIRFLOW_IMAGE_NAME": "mine:1",
        "AIRFLOW_UID": "50000",
    }


def test_up_keeps_an_existing_env_file(project_dir: Path) -> None:
    (project_dir / ".env").write_text("AIRFLOW_UID=2000\n_AIRFLOW_WWW_USER_PASSWORD=pw\n")
    runner = FakeRunner({"ps": ok(json.dumps(all_up()))})
    result = deployment(project_dir, runner).up(timeout=300, uid=1000)
    assert result.wrote_env is None
    assert result.login.password == "pw"
    assert (project_dir / ".env").read_text() == "AIRFLOW_UID=2000\n_AIRFLOW_WWW_USER_PASSWORD=pw\n"


def test_up_names_the_failing_service_and_where_to_look(project_dir: Path) -> None:
    rows = all_up()
    rows[-1] = row("airflow-worker", health="unhealthy")
    runner = FakeRunner(
        {
            "up": ProcessResult(
                args=(), returncode=1, stderr="container airflow-worker is unhealthy"
            ),
            "ps": ok(json.dumps(rows)),
        }
    )
    with pytest.raises(StepFailed) as failed:
        deployment(project_dir, runner).up(timeout=300, uid=1000)
    assert failed.value.line() == (
        "the deployment is not up after 42 s: airflow-worker: unhealthy "
        f"(see `docker compose logs airflow-worker` in {project_dir})"
    )


def test_no_compose_plugin_is_an_engine_error(project_dir: Path) -> None:
    runner = FakeRunner(
        {
            "version": ProcessResult(
                args=(), returncode=1, stderr="'compose' is not a docker command."
            )
        }
    )
    with pytest.raises(EngineUnavailable, match="docker compose is not available"):
        deployment(project_dir, runner).up(timeout=300, uid=1000)


def test_down_removes_orphans_and_volumes_only_when_asked(project_dir: Path) -> None:
    runner = FakeRunner({})
    deployment(project_dir, runner).down(volumes=False)
    deployment(project_dir, runner).down(volumes=True)
    first, second = (c.args[c.args.index("down") :] for c in runner.commands)
    assert first == ("down", "--remove-orphans", "--timeout", "30")
    assert second == ("down", "--remove-orphans", "--timeout", "30", "--volumes")


def test_the_shipped_override_puts_every_service_on_the_host_network() -> None:
    """Every service of the main file is named in the override with network_mode: host
    (a service left out would need a bridge network)."""
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
