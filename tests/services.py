"""The loopback services scripts/setup-env.sh starts for the image tests: PostgreSQL on
127.0.0.1:5432 (user, password and database `airflow`) and Redis on 127.0.0.1:6379; and the
servers a test starts itself, on a free loopback port, and stops by process id: MariaDB
(`mariadbd` from mariadb-server-core, which `scripts/setup-env.sh --test` installs).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_URL = f"postgresql://airflow:airflow@{PG_HOST}:{PG_PORT}/airflow"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
SETUP_HINT = "start it with: bash scripts/setup-env.sh --test --no-bases --no-venv"


def psql(url: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def is_listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (closed again when returned)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(args: list[str], *, env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """A foreground server, until the block ends; fails when it does not listen in time."""
    with log.open("w") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not is_listening("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def mariadb(folder: Path) -> Iterator[str]:
    """A MariaDB server of its own in `folder`, on a free loopback port, holding the database
    `airflow` that the user `airflow` (password `airflow`) owns: its URL, until the block ends.
    """
    data, socket_path, port = folder / "data", folder / "mariadb.sock", unused_port()
    server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root",
         "--auth-root-authentication-method=socket", "--skip-test-db"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    args = [
        server, "--no-defaults", f"--datadir={data}", f"--socket={socket_path}", f"--port={port}",
        "--bind-address=127.0.0.1", "--user=root", "--skip-log-bin",
    ]  # fmt: skip
    with running(args, env={}, port=port, log=folder / "mariadb.log"):
        sql = (
            "CREATE DATABASE airflow; CREATE USER 'airflow'@'%' IDENTIFIED BY 'airflow';"
            " GRANT ALL ON airflow.* TO 'airflow'@'%';"
        )
        client = ["mariadb", "--no-defaults", f"--socket={socket_path}", "--user=root"]
        subprocess.run([*client, "--execute", sql], check=True, capture_output=True, timeout=60)
        yield f"mysql://airflow:airflow@127.0.0.1:{port}/airflow"
