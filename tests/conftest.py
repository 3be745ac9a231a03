"""The shared fixtures: the real engine, the small test images (built once per session),
PostgreSQL and Redis. Helpers they use live in tests/images.py and tests/services.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from hangar.infra.docker import DockerEngine
from hangar.infra.process import SubprocessRunner
from hangar.infra.registry import HttpRegistry
from tests import kept
from tests.images import (
    BASES,
    OUTDATED_BASE,
    REGISTRY,
    Built,
    build,
    constraints_for_tests,
    empty_repository,
    make_context,
    registry_base,
    remove_throwaway_images,
    run,
    small_image,
)
from tests.services import (
    PG_ADMIN_URL,
    PG_HOST,
    PG_PORT,
    REDIS_HOST,
    REDIS_PORT,
    SETUP_HINT,
    is_listening,
    mariadb,
    psql,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked `builder_cache` run first, on the builder the last session left (they
    take their steps from its cache); then modules marked `fresh_builder(n)`, by n, on a
    builder few builds have warmed: the session's one builder prune comes just before the first
    of them (pytest_runtest_setup). Some export a registry cache (`mode=max`), and this engine's
    BuildKit (Docker 26) grows past 10 GB preparing that export on a builder that many other
    builds have warmed (README, "warm builder"); the reproducibility module empties the builder
    before each of its builds, so it goes first, while there is little to lose. The sort is
    stable: every other test keeps its place.
    """

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("builder_cache") is not None:
            return -1
        marker = item.get_closest_marker("fresh_builder")
        return int(marker.args[0]) if marker is not None else sys.maxsize

    items.sort(key=rank)


RAN_ON_THE_ENGINE = pytest.StashKey[bool]()
PRUNED = pytest.StashKey[bool]()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("integration"):
        item.session.stash[RAN_ON_THE_ENGINE] = True
    if item.get_closest_marker("fresh_builder") and not item.session.stash.get(PRUNED, False):
        item.session.stash[PRUNED] = True
        subprocess.run(["docker", "buildx", "prune", "-af"], capture_output=True, check=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """After a run whose tests used the engine, its throwaway images go (they fill the disk
    otherwise), and so do the kept test images no run has used for a day (tests/kept.py); a run
    that only collected, or ran unit tests, touches nothing.
    """
    if session.stash.get(RAN_ON_THE_ENGINE, False):
        remove_throwaway_images()
        kept.sweep()


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


BuiltImages = dict[tuple[str, str], Built]


@pytest.fixture(scope="session")
def built_images() -> BuiltImages:
    """The session's small test images, by (Python version, target): each built once."""
    return {}


@pytest.fixture(scope="session")
def prod_image(make_image: Callable[..., Built], built_images: BuiltImages) -> str:
    """The small test image (Python 3.11, a few extras, the example DAG embedded)."""
    return small_image(make_image, built_images, "3.11")


@pytest.fixture(scope="session", params=sorted(BASES))
def prod_image_each_python(
    request: pytest.FixtureRequest, make_image: Callable[..., Built], built_images: BuiltImages
) -> str:
    """The small test image, once per Python version this machine has a base image for."""
    return small_image(make_image, built_images, request.param)


@pytest.fixture(scope="session")
def ci_image(make_image: Callable[..., Built], built_images: BuiltImages) -> str:
    """The `ci` target of the small test image: the production image plus test tooling."""
    return small_image(make_image, built_images, "3.11", target="ci")


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
def migrated_template(postgres: str, prod_image: str) -> Iterator[str]:
    """A database the small test image's entrypoint migrated (`_AIRFLOW_DB_MIGRATE`), once per
    session: the template of `migrated_db`. Dropped at the end.
    """
    name = f"hangar_template_{uuid.uuid4().hex[:10]}"
    psql(postgres, f"CREATE DATABASE {name}")
    url = f"postgresql://airflow:airflow@{PG_HOST}:{PG_PORT}/{name}"
    env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url, "_AIRFLOW_DB_MIGRATE": "true"}
    done = run(prod_image, "bash", "-c", "true", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    yield name
    psql(postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def migrated_db(postgres: str, migrated_template: str) -> Iterator[str]:
    """The URL of a new database holding Airflow's schema (a copy of `migrated_template`, made
    by PostgreSQL in a moment instead of a migration per test), dropped afterwards. For tests
    of what runs on a migrated database; the tests of migrating use `fresh_db`.
    """
    name = f"hangar_test_{uuid.uuid4().hex[:10]}"
    psql(postgres, f"CREATE DATABASE {name} TEMPLATE {migrated_template}")
    yield f"postgresql://airflow:airflow@{PG_HOST}:{PG_PORT}/{name}"
    psql(postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def mariadb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MariaDB server this session starts on the loopback (tests/services.py): its URL."""
    if shutil.which("mariadb-install-db") is None:
        pytest.fail(f"MariaDB's server is not installed; {SETUP_HINT.replace('start', 'install')}")
    with mariadb(tmp_path_factory.mktemp("mariadb")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not is_listening(REDIS_HOST, REDIS_PORT):
        pytest.fail(f"Redis is not listening on {REDIS_HOST}:{REDIS_PORT}; {SETUP_HINT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture(scope="session")
def fab_image(make_image: Callable[..., Built]) -> str:
    """A small image with the FAB auth manager's provider, for what only FAB supports (the
    official Helm chart's defaults among them: FAB auth manager, Celery executor), and the
    MySQL provider, whose driver `airflow db shell` needs for MariaDB.
    """
    extras = "celery,fab,mysql,postgres"
    built = make_image(
        python="3.11",
        files={"constraints-3.11.txt": constraints_for_tests("3.11", extras)},
        build_args={"AIRFLOW_EXTRAS": extras},
    )
    assert built.returncode == 0, built.output[-3000:]
    return built.ref


@pytest.fixture(scope="session")
def registry() -> HttpRegistry:
    """The local registry, answering."""
    reg = HttpRegistry(host=REGISTRY)
    reg.ensure_available()
    return reg


@pytest.fixture
def repo(registry: HttpRegistry) -> Iterator[str]:
    """A fresh repository in the local registry, emptied again at the end."""
    name = f"hangar-test-{uuid.uuid4().hex[:10]}"
    yield name
    empty_repository(registry, name)


@pytest.fixture(scope="session")
def local_base() -> str:
    """The Python 3.11 base image the set-up script made from Debian packages (current then)."""
    base = BASES["3.11"]
    if subprocess.run(["docker", "image", "inspect", base], capture_output=True).returncode:
        pytest.fail(f"{base} is not in the engine; run scripts/setup-env.sh first")
    return base


@pytest.fixture(scope="session")
def outdated_base(registry: HttpRegistry) -> str:
    """A Python 3.11 base built from bookworm's main suite alone, no update taken, in the local
    registry and the engine: whatever bookworm-security fixed since the last point release is
    pending in it.
    """
    base = registry_base(OUTDATED_BASE, "--main-only")
    subprocess.run(["docker", "pull", "--quiet", base], check=True, capture_output=True)
    return base
