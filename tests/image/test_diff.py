"""`hangar image diff` of two real images built with different extras: what the second brings
is the http provider and what it depends on, nothing else changes, and the extras label says so.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest

from tests.images import HANGAR, REPO, TEST_EXTRAS, Built

pytestmark = [pytest.mark.integration, pytest.mark.image]


@pytest.fixture(scope="module")
def pair(make_image: Callable[..., Built]) -> tuple[Built, Built]:
    built = []
    for extras in (TEST_EXTRAS, f"{TEST_EXTRAS},http"):
        image = make_image(python="3.11", build_args={"AIRFLOW_EXTRAS": extras})
        assert image.returncode == 0, image.output[-4000:]
        built.append(image)
    return built[0], built[1]


def diff(a: str, b: str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, "image", "diff", a, b, *more],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def test_the_extra_provider_and_its_dependencies_are_all_that_was_added(
    pair: tuple[Built, Built],
) -> None:
    done = diff(pair[0].ref, pair[1].ref, "--output", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    kinds = {c["kind"] for c in found["python"]}
    assert kinds == {"added"}, found["python"]  # nothing removed, upgraded or downgraded
    providers = [c["name"] for c in found["python"] if "-providers-" in c["name"]]
    assert providers == ["apache-airflow-providers-http"]
    assert found["python"][0]["name"] == "apache-airflow-providers-http"  # providers first
    assert found["debian"] == []
    extras = [c for c in found["labels"] if c["name"] == "org.apache.airflow.extras"]
    assert [(c["old"], c["new"]) for c in extras] == [(TEST_EXTRAS, f"{TEST_EXTRAS},http")]


def test_the_text_report_names_the_provider_and_what_b_brings(pair: tuple[Built, Built]) -> None:
    done = diff(pair[0].ref, pair[1].ref)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "apache-airflow-providers-http" in done.stdout
    assert "Debian packages: none" in " ".join(done.stdout.split())
    same = diff(pair[1].ref, pair[1].ref)
    assert "The images are the same" in " ".join(same.stdout.split())
