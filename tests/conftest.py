"""Shared fixtures: the real engine, build contexts made from the repository's files, and the
small test images (a few extras) that the image tests run."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from hangar.constraints.cache import ensure_constraints
from hangar.constraints.resolve import Mode
from hangar.image.buildx import BuildParams, Secret, buildx_command
from hangar.infra.docker import DockerEngine
from hangar.infra.files import copy_build_context
from hangar.infra.index import SimpleIndex
from hangar.infra.process import SubprocessRunner
from hangar.infra.uv import UvResolver
from tests.services import (
    PG_ADMIN_URL,
    PG_HOST,
    PG_PORT,
    REDIS_HOST,
    REDIS_PORT,
    SETUP_HINT,
    is_listening,
    psql,
)

REPO = Path(__file__).resolve().parent.parent
REGISTRY = os.environ.get("HANGAR_REGISTRY", "127.0.0.1:5000")
CA_BUNDLE = Path(os.environ.get("HANGAR_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
# Python version -> base image the set-up script builds from Debian packages
BASES = {
    "3.11": f"{REGISTRY}/python:3.11-slim-bookworm",
    "3.13": f"{REGISTRY}/python:3.13-slim-trixie",
}
TEST_EXTRAS = "celery,postgres"
AIRFLOW_VERSION = "3.3.2"


@dataclass(frozen=True)
class Built:
    ref: str
    returncode: int
    output: str


def make_context(
    root: Path,
    *,
    dags: Path | None = None,
    files: Mapping[str, bytes | Path] | None = None,
) -> Path:
    """A build context holding exactly what a fresh clone gives the Dockerfile, plus `files`
    placed in docker-context-files and `dags` copied to dags/."""
    return copy_build_context(REPO, root, dags=dags, files=files)


def build(
    context: Path,
    *,
    tag: str,
    python: str = "3.11",
    build_args: Mapping[str, str] | None = None,
    secrets: tuple[Secret, ...] | None = None,
    base_image: str | None = None,
    env: Mapping[str, str] | None = None,
    target: str | None = "main",
) -> Built:
    """Build an image with the real engine and return its reference, exit code and output."""
    args = {
        "AIRFLOW_EXTRAS": TEST_EXTRAS,
        "COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
        "AIRFLOW_IMAGE_DATE_CREATED": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **(build_args or {}),
    }
    params = BuildParams(
        context=context,
        python=python,
        base_image=base_image or BASES[python],
        build_args=tuple(args.items()),
        secrets=secrets if secrets is not None else (Secret(id="ca-bundle", src=CA_BUNDLE),),
        tags=(tag,),
        target=target,
    )
    done = subprocess.run(
        ["docker", *buildx_command(params)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Built(ref=tag, returncode=done.returncode, output=done.stdout + done.stderr)


def run_options(
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    volumes: Mapping[Path, str] | None = None,
) -> list[str]:
    """`docker run` options: host networking (the only kind on these machines), environment,
    user, and read-only bind mounts."""
    args = ["--network", "host"]
    for key, value in (env or {}).items():
        args += ["-e", f"{key}={value}"]
    if user:
        args += ["--user", user]
    for host_path, container_path in (volumes or {}).items():
        args += ["-v", f"{host_path}:{container_path}:ro"]
    return args


def run(
    image: str,
    *command: str,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    volumes: Mapping[Path, str] | None = None,
    docker_args: tuple[str, ...] = (),
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`docker run --rm` an image's entrypoint with `command`; output captured as text."""
    return subprocess.run(
        ["docker", "run", "--rm", *run_options(env, user, volumes), *docker_args, image, *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def engine() -> DockerEngine:
    docker = DockerEngine(runner=SubprocessRunner())
    docker.ensure_available()
    return docker


@pytest.fixture(scope="session")
def make_image(
    engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Built]]:
    """Build a throwaway image from a fresh context; removed at the end of the session."""
    refs: list[str] = []

    def _make(
        *,
        dags: Path | None = None,
        files: Mapping[str, bytes | Path] | None = None,
        context: Path | None = None,
        **kwargs: object,
    ) -> Built:
        ctx = context or make_context(tmp_path_factory.mktemp("ctx"), dags=dags, files=files)
        tag = f"hangar-test:{uuid.uuid4().hex[:12]}"
        refs.append(tag)
        return build(ctx, tag=tag, **kwargs)  # type: ignore[arg-type]

    yield _make
    for ref in refs:
        subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


def constraints_for_tests(python: str, extras: str = TEST_EXTRAS) -> Path:
    """Constraints for the test images, generated by hangar from the real index and cached in
    .hangar/cache (keyed by every input), as `hangar image build` does."""
    return ensure_constraints(
        airflow_version=AIRFLOW_VERSION,
        python=python,
        extras=tuple(extras.split(",")),
        mode=Mode.CONSTRAINTS,
        cache_dir=REPO / ".hangar" / "cache" / "constraints",
        resolver=UvResolver(runner=SubprocessRunner()),
        index=SimpleIndex(index_url="https://pypi.org/simple"),
    )


_built: dict[tuple[str, str], Built] = {}


def _test_image(make_image: Callable[..., Built], python: str, target: str = "main") -> str:
    if (python, target) not in _built:
        built = make_image(
            python=python,
            dags=REPO / "tests" / "image" / "dags",
            files={f"constraints-{python}.txt": constraints_for_tests(python)},
            build_args={"EMBEDDED_DAGS": "dags"},
            target=target,
        )
        assert built.returncode == 0, built.output[-3000:]
        _built[python, target] = built
    return _built[python, target].ref


@pytest.fixture(scope="session")
def prod_image(make_image: Callable[..., Built]) -> str:
    """The small test image (Python 3.11, a few extras, the example DAG embedded)."""
    return _test_image(make_image, "3.11")


@pytest.fixture(scope="session", params=sorted(BASES))
def prod_image_each_python(request: pytest.FixtureRequest, make_image: Callable[..., Built]) -> str:
    """The small test image, once per Python version this machine has a base image for."""
    return _test_image(make_image, request.param)


@pytest.fixture(scope="session")
def ci_image(make_image: Callable[..., Built]) -> str:
    """The `ci` target of the small test image: the production image plus test tooling."""
    return _test_image(make_image, "3.11", target="ci")


@pytest.fixture(scope="session")
def postgres() -> str:
    if not is_listening(PG_HOST, PG_PORT):
        pytest.fail(f"PostgreSQL is not listening on {PG_HOST}:{PG_PORT}; {SETUP_HINT}")
    return PG_ADMIN_URL


@pytest.fixture
def fresh_db(postgres: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    name = f"hangar_test_{uuid.uuid4().hex[:10]}"
    psql(postgres, f"CREATE DATABASE {name}")
    yield f"postgresql://airflow:airflow@{PG_HOST}:{PG_PORT}/{name}"
    psql(postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not is_listening(REDIS_HOST, REDIS_PORT):
        pytest.fail(f"Redis is not listening on {REDIS_HOST}:{REDIS_PORT}; {SETUP_HINT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture(scope="session")
def fab_image(make_image: Callable[..., Built]) -> str:
    """A small image with the FAB auth manager's provider, for what only FAB supports."""
    extras = "fab,postgres"
    built = make_image(
        python="3.11",
        files={"constraints-3.11.txt": constraints_for_tests("3.11", extras)},
        build_args={"AIRFLOW_EXTRAS": extras},
    )
    assert built.returncode == 0, built.output[-3000:]
    return built.ref
