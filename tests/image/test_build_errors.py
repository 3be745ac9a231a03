"""A build step that fails says why first: each install step broken on purpose, and the first
line the user reads about it is the step's own error (the line its script marked), in the
notes and in the error line, with the log's path after it; never the step's `RUN` command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.images import REPO, make_context

pytestmark = [pytest.mark.integration, pytest.mark.image]

SMALL = ("--python", "3.11", "--extras", "celery,postgres")


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_context(tmp_path_factory.mktemp("broken") / "ctx")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            # past hangar's own check of the extras: the build arg, as a plain build gives it
            ("--build-arg", "ADDITIONAL_AIRFLOW_EXTRAS=no-such-extra"),
            "unknown Airflow extra(s): no-such-extra; see https://airflow.apache.org/",
            id="bad-extra",
        ),
        pytest.param(
            ("--additional-python-deps", "apache-airflow-core==3.0.0", "--allow-upgrades"),
            "the requirements conflict with ",
            id="unresolvable-requirement",
        ),
        pytest.param(
            ("--additional-runtime-apt-deps", "no-such-package-hangar"),
            "apt-get install failed (exit 100): Unable to locate package no-such-package-hangar",
            id="missing-apt-package",
        ),
        pytest.param(
            ("--build-arg", "ADDITIONAL_RUNTIME_APT_COMMAND=echo 'no vendor key' >&2; exit 3"),
            "the apt command `echo 'no vendor key' >&2; exit 3` failed (exit 3): no vendor key",
            id="failing-apt-command",
        ),
    ],
)
def test_the_first_line_about_a_failed_step_is_its_own_error(
    context: Path, tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    env = {
        **os.environ,
        "HANGAR_IMAGE_NAME": f"hangar-broken-{uuid.uuid4().hex[:8]}",
        "HANGAR_LOG_DIR": str(tmp_path / "logs"),
        "COLUMNS": "250",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from hangar.cli.main import main; main()",
         "image", "build", "--context", str(context), *SMALL, *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    # the live line of the build, then the note before the log's last lines: both lead with it
    about = [line for line in lines if line.lower().startswith("3.11 failed")]
    assert about, done.stderr[-3000:]
    for line in about:
        assert line.split(" ", 2)[2].removeprefix(" ").startswith(expected), line
        assert "RUN" not in line
    error = lines[-1]
    assert error.startswith(f"hangar: error: 1 of 1 build(s) failed: 3.11: {expected}"), error
    assert "build-3.11.log)" in error
    assert "RUN" not in error
