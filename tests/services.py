"""The loopback services scripts/setup-env.sh starts for the image tests: PostgreSQL on
127.0.0.1:5432 (user, password and database `airflow`) and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess

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
