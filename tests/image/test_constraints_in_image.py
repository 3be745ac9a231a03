"""An image built from hangar-generated constraints installs exactly the pinned versions, and
keeps that file as /home/airflow/constraints.txt.
"""

from __future__ import annotations

import re

import pytest

from tests.images import constraints_for_tests, run

pytestmark = [pytest.mark.integration, pytest.mark.image, pytest.mark.network]


def pins(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def test_installed_versions_are_exactly_the_generated_constraints(prod_image: str) -> None:
    wanted = pins(constraints_for_tests("3.11").read_text())
    frozen = run(prod_image, "bash", "-c", "pip freeze --all")
    assert frozen.returncode == 0, frozen.stderr
    installed = pins(frozen.stdout)
    differing = {
        name: (version, wanted[name])
        for name, version in installed.items()
        if name in wanted and version != wanted[name]
    }
    assert not differing, f"installed (left) differs from the constraints (right): {differing}"
    # the image holds Airflow's whole dependency tree from the file, not a stray resolution
    unpinned = sorted(
        set(installed)
        - set(wanted)
        - {"apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk", "pip"}
    )
    assert not unpinned, f"installed but not in the constraints: {unpinned}"


def test_image_keeps_the_constraints_it_was_built_with(prod_image: str) -> None:
    kept = run(prod_image, "bash", "-c", "cat /home/airflow/constraints.txt")
    assert kept.stdout == constraints_for_tests("3.11").read_text()
