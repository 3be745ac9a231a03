"""`airflow db shell` runs its database's own client in the image, as in the official one: a
query typed into it on a terminal (tests/image/terminal.py) answers from PostgreSQL (the
loopback server scripts/setup-env.sh starts), from MariaDB (a server of its own the session
starts on the loopback) and from SQLite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.images import run

pytestmark = [pytest.mark.integration, pytest.mark.image]

TERMINAL = Path(__file__).with_name("terminal.py")
# each client's prompt and the line that ends it
PROMPTS = {
    "postgres": (r"=[>#] $", r"\q"),
    "sqlite": (r"sqlite> $", ".quit"),
    "mariadb": (r"\]> $", "quit"),
}


def db_shell(image: str, url: str, client: str) -> str:
    """What the terminal showed when `SELECT 40 + 2;` was typed into `airflow db shell`."""
    prompt, quit_line = PROMPTS[client]
    env = {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
        "PROMPT": prompt,
        "QUERY": "SELECT 40 + 2;",
        "ANSWER": r"\b42\b",
        "QUIT": quit_line,
    }
    done = run(
        image,
        *("python", "/tmp/terminal.py", "airflow", "db", "shell"),
        env=env,
        volumes={TERMINAL: "/tmp/terminal.py"},
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def answer_rows(shown: str) -> list[str]:
    """The lines of the terminal that hold the answer alone (a table cell or a bare value)."""
    return [line.strip("| \r") for line in shown.splitlines() if line.strip("| \r") == "42"]


def test_db_shell_queries_postgres(prod_image: str, fresh_db: str) -> None:
    assert answer_rows(db_shell(prod_image, fresh_db, "postgres")) == ["42"]


def test_db_shell_queries_sqlite(prod_image: str) -> None:
    assert answer_rows(db_shell(prod_image, "sqlite:////tmp/airflow.db", "sqlite")) == ["42"]


def test_db_shell_queries_mariadb(fab_image: str, mariadb_url: str) -> None:
    """The image with the mysql extra (its driver) runs the MariaDB client against the server."""
    assert answer_rows(db_shell(fab_image, mariadb_url, "mariadb")) == ["42"]
