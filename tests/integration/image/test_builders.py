"""`--builder NAME` with a second real buildx builder: the docker builder of a second docker
context (this engine has no standalone BuildKit image to start a container builder, so a
builder on another context proves the path). `hangar env status` lists it with its node and
platforms, `hangar image build --builder NAME` builds with it, and an unknown name stops before
any build with the names there are.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.images import HANGAR, REPO, docker

pytestmark = pytest.mark.integration

TINY = """\
ARG PYTHON_BASE_IMAGE
FROM ${PYTHON_BASE_IMAGE} AS main
RUN echo "built by a named builder" > /built-by
"""


def hangar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=900
    )


@pytest.fixture
def second_builder() -> Iterator[str]:
    name = f"hangar-test-{uuid.uuid4().hex[:8]}"
    created = docker("context", "create", name, "--docker", "host=unix:///var/run/docker.sock")
    assert created.returncode == 0, created.stderr
    try:
        yield name
    finally:
        docker("context", "rm", "--force", name)


def test_a_second_builder_is_listed_and_builds(second_builder: str, tmp_path: Path) -> None:
    status = hangar("env", "status", "--output", "json")
    rows = {row["what"]: row["detail"] for row in json.loads(status.stdout)}
    assert rows[f"builder {second_builder}"].startswith("docker: ")
    assert "linux/amd64" in rows[f"builder {second_builder}"]

    (tmp_path / "Dockerfile").write_text(TINY)
    tag = f"hangar-test-builder:{uuid.uuid4().hex[:8]}"
    built = hangar(
        "image", "build", "--context", str(tmp_path), "--dockerfile", str(tmp_path / "Dockerfile"),
        "--builder", second_builder, "--tag", tag, "--output", "json",
    )  # fmt: skip
    try:
        assert built.returncode == 0, built.stderr[-3000:]
        log = Path(json.loads(built.stdout)["builds"][0]["log"])
        assert f'building with "{second_builder}" instance' in log.read_text()
        content = docker("run", "--rm", "--entrypoint", "cat", tag, "/built-by")
        assert content.stdout.strip() == "built by a named builder"
    finally:
        docker("image", "rm", "-f", tag)


def test_an_unknown_builder_stops_before_any_build(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(TINY)
    done = hangar(
        "image", "build", "--context", str(tmp_path), "--dockerfile", str(tmp_path / "Dockerfile"),
        "--builder", "no-such-builder",
    )  # fmt: skip
    assert done.returncode == 5, done.stderr
    assert "no buildx builder named no-such-builder (there are: default" in done.stderr
