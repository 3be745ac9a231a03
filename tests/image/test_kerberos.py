"""Kerberos-authenticated workers, the side-car pattern, against a real KDC: only the `airflow
kerberos` side-car sees the keytab and keeps a ticket cache fresh on a shared folder; the worker
sees only that cache and runs a DAG task that reads a page Apache httpd protects with
mod_auth_gssapi. Tickets live 40 seconds, so the test also sees the cache expire while the
side-car is down (the task fails with a Kerberos error) and heal when it is back.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.images import docker, run
from tests.kerberos import PAGE, REALM, Protected, Realm, kdc, missing_tools, protected_page

pytestmark = [
    pytest.mark.integration,
    pytest.mark.image,
    pytest.mark.skipif(
        bool(missing_tools()),
        reason=f"no {', '.join(missing_tools())} (scripts/setup-env.sh --test installs them)",
    ),
]

DAGS = Path(__file__).parent / "kerberos_dags"
PRINCIPAL = f"airflow/localhost@{REALM}"
CACHE_DIR = "/var/run/airflow-kerberos"
CACHE = f"{CACHE_DIR}/ccache"
KRB5_CONF = "/etc/krb5-hangar.conf"
KEYTAB = "/etc/airflow.keytab"
LIFETIME = 40  # seconds, the KDC's max_life


@pytest.fixture
def realm() -> Iterator[tuple[Realm, Protected]]:
    # not below pytest's own (private) folder: httpd's user must reach its keytab
    with tempfile.TemporaryDirectory(prefix="hangar-kerberos-") as scratch:
        folder = Path(scratch)
        folder.chmod(0o755)
        (folder / "kdc").mkdir()
        (folder / "www").mkdir()
        with (
            kdc(folder / "kdc", lifetime=f"{LIFETIME}s") as found,
            protected_page(found, folder / "www") as page,
        ):
            yield found, page


def database(db: str) -> dict[str, str]:
    """Every component gets the metadata database, as the chart gives it to each."""
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db.replace("postgresql://", "postgresql+psycopg2://")
    }


@contextlib.contextmanager
def side_car(image: str, realm: Realm, keytab: Path, cache_dir: Path, db: str) -> Iterator[str]:
    """`airflow kerberos`, as the chart's kerberos side-car runs it: keytab and ticket cache."""
    name = f"hangar-kerberos-{uuid.uuid4().hex[:8]}"
    conn = [f"--env={k}={v}" for k, v in database(db).items()]
    started = docker(
        "run", "-d", "--network", "host", "--name", name, *conn,
        "-v", f"{keytab}:{KEYTAB}:ro", "-v", f"{realm.krb5_conf}:{KRB5_CONF}:ro",
        "-v", f"{cache_dir}:{CACHE_DIR}",
        "-e", f"KRB5_CONFIG={KRB5_CONF}",
        "-e", f"AIRFLOW__KERBEROS__KEYTAB={KEYTAB}",
        "-e", f"AIRFLOW__KERBEROS__PRINCIPAL={PRINCIPAL}",
        "-e", f"AIRFLOW__KERBEROS__CCACHE={CACHE}",
        "-e", "AIRFLOW__KERBEROS__REINIT_FREQUENCY=10",
        "-e", "AIRFLOW__KERBEROS__FORWARDABLE=False",
        "-e", "AIRFLOW__KERBEROS__INCLUDE_IP=False",
        image, "kerberos",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        yield name
    finally:
        docker("rm", "-f", name, timeout=60)


def ticket_valid(realm: Realm, cache: Path) -> bool:
    """`klist -s` on the shared cache, from outside the containers."""
    env = {**realm.env(), "KRB5CCNAME": f"FILE:{cache}"}
    return subprocess.run(["klist", "-s"], env=env, check=False).returncode == 0


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def worker_task(image: str, realm: Realm, page: Protected, cache_dir: Path, db: str) -> str:
    """The DAG task, run on a worker container that sees only the ticket cache (read-only)."""
    done = run(
        image, "airflow", "dags", "test", "kerberos_check",
        env={
            **database(db),
            "AIRFLOW__CORE__DAGS_FOLDER": "/opt/airflow/kerberos-dags",
            "KRB5CCNAME": f"FILE:{CACHE}",
            "KRB5_CONFIG": KRB5_CONF,
            "PROTECTED_URL": page.url,
        },
        volumes={
            DAGS: "/opt/airflow/kerberos-dags", realm.krb5_conf: KRB5_CONF, cache_dir: CACHE_DIR
        },
        timeout=600,
    )  # fmt: skip
    return done.stdout + done.stderr


def test_worker_reads_a_kerberos_protected_page_with_the_side_cars_ticket_only(
    prod_image: str, realm: tuple[Realm, Protected], tmp_path: Path, migrated_db: str
) -> None:
    kerberos, page = realm
    keytab = kerberos.keytab(PRINCIPAL, "airflow.keytab")
    os.chown(keytab, 0, 0)
    keytab.chmod(0o640)  # the airflow user is in group 0, as in the chart
    cache_dir = tmp_path / "ccache"
    cache_dir.mkdir()
    os.chown(cache_dir, 50000, 0)
    cache = cache_dir / "ccache"

    tools = run(prod_image, "bash", "-c", "command -v kinit klist kdestroy")
    assert tools.returncode == 0, f"no Kerberos client in the image: {tools.stdout}"

    with side_car(prod_image, kerberos, keytab, cache_dir, migrated_db) as name:
        wait_for(lambda: ticket_valid(kerberos, cache), 90, "the side-car's first ticket")
        # renewed: still valid after more than one ticket lifetime
        time.sleep(LIFETIME + 5)
        assert ticket_valid(kerberos, cache), docker("logs", name).stderr[-2000:]

        output = worker_task(prod_image, kerberos, page, cache_dir, migrated_db)
        assert f"protected page: {PAGE.strip()}" in output, output[-3000:]
        # the worker has no keytab, so it cannot get a ticket of its own
        own = run(
            prod_image, "bash", "-c", f"kinit -k -t {KEYTAB} {PRINCIPAL}",
            env={"KRB5_CONFIG": KRB5_CONF}, volumes={kerberos.krb5_conf: KRB5_CONF},
        )  # fmt: skip
        assert own.returncode != 0
        assert "Key table file" in own.stderr, own.stderr

    # side-car gone: the ticket runs out and the task fails saying so
    wait_for(lambda: not ticket_valid(kerberos, cache), LIFETIME + 30, "the ticket to expire")
    failed = worker_task(prod_image, kerberos, page, cache_dir, migrated_db)
    assert "Kerberos: no valid ticket in FILE:/var/run/airflow-kerberos/ccache" in failed
    assert "protected page:" not in failed

    # side-car back: healed
    with side_car(prod_image, kerberos, keytab, cache_dir, migrated_db):
        wait_for(lambda: ticket_valid(kerberos, cache), 90, "a ticket again")
        healed = worker_task(prod_image, kerberos, page, cache_dir, migrated_db)
        assert f"protected page: {PAGE.strip()}" in healed, healed[-3000:]
