"""The official image's build args, given to a plain `docker buildx build`: each is honoured with
its meaning, taken as an alias of hangar's own, or stops the build at its start in one line that
names what to use instead (README, "Build args", column "official image"; the unit test of the
README holds that column against the official list).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hangar.image.verifying.checks import image_checks
from hangar.image.verifying.verify import image_facts, run_check
from hangar.infra.docker import DockerEngine
from tests.images import BASES, Built, constraints_for_tests, make_context, run

pytestmark = [pytest.mark.integration, pytest.mark.image]

# a stop comes from the first step of the build: well before anything is installed
STOP_WITHIN_SECONDS = 120


def plain_build(context: Path, *build_args: str) -> tuple[int, str, float]:
    """`docker buildx build` of `context` as a user of the official image types it: no
    PYTHON_BASE_IMAGE, only the given `NAME=VALUE` build args (and host networking, the only
    kind on these machines). Exit code, output, seconds.
    """
    args = [arg for pair in build_args for arg in ("--build-arg", pair)]
    started = time.monotonic()
    done = subprocess.run(
        [
            "docker",
            "buildx",
            "build",
            "--progress",
            "plain",
            "--network",
            "host",
            "--target",
            "main",
            *args,
            ".",
        ],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_context(tmp_path_factory.mktemp("official-args"))


@pytest.mark.parametrize(
    ("build_arg", "names"),
    [
        pytest.param(
            "INSTALL_MSSQL_CLIENT=true", "ADDITIONAL_RUNTIME_APT_COMMAND", id="mssql-client"
        ),
        pytest.param("INSTALL_MYSQL_CLIENT_TYPE=mysql", "use mariadb", id="mysql-client-type"),
        pytest.param("PYTHON_LTO=false", "PYTHON_BASE_IMAGE", id="python-lto"),
        pytest.param(
            "AIRFLOW_INSTALLATION_METHOD=.", "docker-context-files", id="sources-in-context"
        ),
        pytest.param("INSTALL_POSTGRES_CLIENT=maybe", "use true or false", id="not-a-boolean"),
    ],
)
def test_an_official_build_arg_that_cannot_be_honoured_stops_the_build_at_once(
    context: Path, build_arg: str, names: str
) -> None:
    base = f"BASE_IMAGE={BASES['3.13']}"
    code, output, took = plain_build(context, base, build_arg)
    assert code != 0
    error = [line for line in output.splitlines() if "hangar-error: build arg" in line]
    assert error, output[-3000:]
    assert build_arg in error[0]
    assert names in error[0]
    assert took < STOP_WITHIN_SECONDS
    assert "Installing" not in output  # nothing was installed before the stop


def test_base_image_is_the_base_when_python_base_image_is_not_given(context: Path) -> None:
    """BASE_IMAGE (the official name) picks the base: the Python 3.11 base, not the default
    3.13 one, is the one whose Python the check reads (AIRFLOW_PYTHON_VERSION, which stops the
    build when the base's Python is another).
    """
    code, output, _ = plain_build(
        context,
        f"BASE_IMAGE={BASES['3.11']}",
        "PYTHON_MAJOR_MINOR_VERSION=3.11",
        "AIRFLOW_PYTHON_VERSION=3.11.999",
    )
    assert code != 0
    error = next(line for line in output.splitlines() if "hangar-error: build arg" in line)
    assert "the base image has Python 3.11." in error
    assert "PYTHON_BASE_IMAGE" in error


@pytest.fixture(scope="module")
def without_clients(make_image: Callable[..., Built]) -> str:
    """The small image's extras (celery, postgres) with both database clients left out, built
    with the official build args that change what the image says of itself.
    """
    built = make_image(
        python="3.11",
        files={"constraints-3.11.txt": constraints_for_tests("3.11")},
        build_args={
            "INSTALL_POSTGRES_CLIENT": "false",
            "INSTALL_MYSQL_CLIENT": "false",
            "AIRFLOW_IMAGE_TYPE": "custom",
            "BUILD_ID": "build-42",
            "AIRFLOW_IMAGE_README_URL": "https://example.org/README.md",
        },
    )
    assert built.returncode == 0, built.output[-4000:]
    return built.ref


def test_a_client_left_out_takes_its_extra_with_it(without_clients: str) -> None:
    script = (
        "command -v psql mysql || true; "
        "pip list --format json; "
        'echo "$INSTALL_POSTGRES_CLIENT $INSTALL_MYSQL_CLIENT"'
    )
    done = run(without_clients, "bash", "-c", script)
    assert done.returncode == 0, done.stderr[-3000:]
    *found, listing, switches = done.stdout.strip().splitlines()
    assert found == []  # neither client
    installed = {d["name"].lower() for d in json.loads(listing)}
    assert "apache-airflow-providers-postgres" not in installed
    assert "psycopg2-binary" not in installed
    assert "apache-airflow-providers-celery" in installed
    assert switches == "false false"


def test_verify_expects_no_client_the_build_left_out(
    without_clients: str, engine: DockerEngine
) -> None:
    facts = image_facts(engine, without_clients)
    checks = {c.name: c for c in image_checks(extras=facts.labels["org.apache.airflow.extras"])}
    for name in ("tools", "providers"):
        result = run_check(engine, without_clients, checks[name], facts)
        assert result.passed, f"{name}: {result.detail}"


def test_official_build_args_say_what_they_said_there(
    without_clients: str, engine: DockerEngine
) -> None:
    config = engine.inspect_image(without_clients)["Config"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["AIRFLOW_IMAGE_TYPE"] == "custom"
    assert env["BUILD_ID"] == "build-42"
    assert env["AIRFLOW_INSTALLATION_METHOD"] == "apache-airflow"
    assert config["Labels"]["io.artifacthub.package.readme-url"] == "https://example.org/README.md"
    # AIRFLOW_SOURCES_FROM/TO: the Dockerfile it was built from, at /Dockerfile
    done = run(without_clients, "bash", "-c", "head -n 1 /Dockerfile")
    assert done.stdout.strip() == "# Production image of Apache Airflow, built by hangar."
