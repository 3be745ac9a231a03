"""Reproducible builds: the same inputs give the same image digest, even built twice on an
emptied builder (`hangar image build --source-date-epoch`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.images import REPO, TEST_EXTRAS, constraints_for_tests, make_context

pytestmark = [pytest.mark.integration, pytest.mark.image]

HANGAR = str(Path(sys.executable).parent / "hangar")
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


@pytest.fixture
def tags() -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for ref in made:
        subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


def _build(context: Path, tag: str) -> str:
    subprocess.run(["docker", "buildx", "prune", "-af"], capture_output=True, check=True)
    done = subprocess.run(
        [
            HANGAR, "image", "build", "--python", "3.11", "--extras", TEST_EXTRAS,
            "--context", str(context), "--source-date-epoch", EPOCH, "--tag", tag,
            "--output", "json",
        ],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    inspected = subprocess.run(
        ["docker", "image", "inspect", tag], capture_output=True, text=True, check=True
    )
    image = json.loads(inspected.stdout)[0]
    assert image["Config"]["Labels"]["org.opencontainers.image.created"] == "2026-01-01T00:00:00Z"
    return str(image["Id"])


def test_two_builds_on_an_emptied_builder_give_the_same_digest(
    tmp_path: Path, tags: list[str]
) -> None:
    context = make_context(
        tmp_path / "ctx", files={"constraints-3.11.txt": constraints_for_tests("3.11")}
    )
    first, second = (f"hangar-test/reproducible:{uuid.uuid4().hex[:8]}" for _ in range(2))
    tags += [first, second]
    assert _build(context, first) == _build(context, second)
