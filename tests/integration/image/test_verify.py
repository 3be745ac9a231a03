"""`hangar image verify` on a good image and on one broken on purpose."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.image]

HANGAR = str(Path(sys.executable).parent / "hangar")


def verify(image: str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, "image", "verify", image, "--output", "json", *more],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.fixture
def wrong_user_image(prod_image: str) -> Iterator[str]:
    """The good image with a different USER: the kind of mistake a derived image makes."""
    tag = f"hangar-test:wrong-user-{uuid.uuid4().hex[:8]}"
    built = subprocess.run(
        ["docker", "build", "--network", "host", "--tag", tag, "-"],
        input=f"FROM {prod_image}\nUSER 1234:0\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    yield tag
    subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False)


def test_verify_passes_on_the_good_image(prod_image: str) -> None:
    done = verify(prod_image)
    report = json.loads(done.stdout)
    failed = [c for c in report["checks"] if not c["passed"]]
    assert done.returncode == 0, failed
    assert report["passed"]


def test_verify_fails_naming_the_check_on_a_broken_image(wrong_user_image: str) -> None:
    done = verify(wrong_user_image)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    failed = {c["name"]: c["detail"] for c in json.loads(done.stdout)["checks"] if not c["passed"]}
    assert "user" in failed
    assert "1234" in failed["user"]
    assert "user" in done.stderr.splitlines()[-1]  # the one-line error names it too
