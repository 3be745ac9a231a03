"""Selective checks: a table of changed-file sets and events and the decisions they give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hangar.ci.selective import (
    OUTPUT_KEYS,
    SelectiveInput,
    category,
    decide,
    github_output,
)
from hangar.errors import BadInput
from tests.fakes.world import World

ALL = ("3.11", "3.13")


def _decide(event: str, files: tuple[str, ...] | None, override: tuple[str, ...] = ()) -> dict:  # type: ignore[type-arg]
    decision = decide(
        SelectiveInput(
            event=event,
            changed_files=files,
            pythons=ALL,
            default_python="3.13",
            airflow_version="3.3.2",
            upgrade_cutoff="2026-11-21T12:00:00Z",
            python_override=override,
        )
    )
    return decision.outputs()


# event, changed files -> pythons, ci image, prod image, tests, upgrade, push constraints/latest
CASES = [
    pytest.param(
        "pull_request",
        ("README.md", "docs/ci.md"),
        ["3.13"],
        "false",
        "false",
        "false",
        "false",
        "false",
        id="docs only: nothing to build or test",
    ),
    pytest.param(
        "pull_request",
        ("Dockerfile",),
        list(ALL),
        "true",
        "true",
        "true",
        "false",
        "false",
        id="Dockerfile: both images, every Python, latest constraints",
    ),
    pytest.param(
        "pull_request",
        ("scripts/docker/entrypoint.sh", "README.md"),
        list(ALL),
        "true",
        "true",
        "true",
        "false",
        "false",
        id="image scripts and docs",
    ),
    pytest.param(
        "pull_request",
        ("pyproject.toml",),
        list(ALL),
        "true",
        "true",
        "true",
        "true",
        "false",
        id="setup changed: upgrade the constraints",
    ),
    pytest.param(
        "pull_request",
        ("hangar.toml",),
        list(ALL),
        "true",
        "true",
        "true",
        "true",
        "false",
        id="hangar.toml (Airflow version) changed: upgrade",
    ),
    pytest.param(
        "pull_request",
        ("tests/image/dags/example_hangar.py",),
        ["3.13"],
        "true",
        "false",
        "true",
        "false",
        "false",
        id="a DAG: CI image and its import check only",
    ),
    pytest.param(
        "pull_request",
        ("src/hangar/image/building/tags.py", "tests/unit/image/test_tags.py"),
        ["3.13"],
        "true",
        "true",
        "true",
        "false",
        "false",
        id="hangar code: default Python only",
    ),
    pytest.param(
        "pull_request_target",
        (".github/workflows/ci-tests.yml",),
        list(ALL),
        "true",
        "true",
        "true",
        "false",
        "false",
        id="CI definitions: every image and test, latest constraints",
    ),
    pytest.param(
        "pull_request",
        ("some/new/file.cfg",),
        ["3.13"],
        "true",
        "true",
        "true",
        "false",
        "false",
        id="an unknown file counts as code",
    ),
    pytest.param(
        "pull_request",
        None,
        list(ALL),
        "true",
        "true",
        "true",
        "true",
        "false",
        id="changed files unknown: everything",
    ),
    pytest.param(
        "push",
        ("README.md",),
        list(ALL),
        "true",
        "true",
        "true",
        "true",
        "true",
        id="canary: everything, upgrade and push, whatever changed",
    ),
    pytest.param(
        "schedule",
        (),
        list(ALL),
        "true",
        "true",
        "true",
        "true",
        "true",
        id="scheduled: everything",
    ),
]


@pytest.mark.parametrize(
    ("event", "files", "pythons", "ci", "prod", "tests", "upgrade", "push"), CASES
)
def test_decisions(
    event: str,
    files: tuple[str, ...] | None,
    pythons: list[str],
    ci: str,
    prod: str,
    tests: str,
    upgrade: str,
    push: str,
) -> None:
    out = _decide(event, files)
    assert json.loads(out["python-versions"]) == pythons
    assert (out["ci-image"], out["prod-image"], out["run-tests"]) == (ci, prod, tests)
    assert out["upgrade-constraints"] == upgrade
    assert out["push-constraints"] == push
    assert out["push-latest"] == push


def test_python_override_replaces_the_decided_versions() -> None:
    out = _decide("push", ("Dockerfile",), override=("3.11",))
    assert json.loads(out["python-versions"]) == ["3.11"]


def test_outputs_carry_the_values_later_jobs_use() -> None:
    out = _decide("push", ())
    assert tuple(out) == OUTPUT_KEYS
    assert out["airflow-version"] == "3.3.2"
    assert out["upgrade-cutoff"] == "2026-11-21T12:00:00Z"


def test_github_output_is_key_value_lines() -> None:
    decision = decide(
        SelectiveInput(
            event="pull_request",
            changed_files=("Dockerfile",),
            pythons=ALL,
            default_python="3.13",
            airflow_version="3.3.2",
            upgrade_cutoff="2026-11-21T12:00:00Z",
        )
    )
    lines = github_output(decision).splitlines()
    assert 'python-versions=["3.11", "3.13"]' in lines
    assert "prod-image=true" in lines
    assert all("=" in line for line in lines)


def test_an_unknown_event_is_one_clear_error() -> None:
    with pytest.raises(BadInput, match="unknown event 'release'"):
        _decide("release", ())


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Dockerfile", "image"),
        ("scripts/docker/clean-logs.sh", "image"),
        ("scripts/setup-env.sh", "code"),
        ("docs/cli-build.md", "docs"),
        ("src/hangar/ci/flows.py", "ci"),
        ("pyproject.toml", "setup"),
        ("dags/my_dag.py", "dags"),
    ],
)
def test_categories(path: str, expected: str) -> None:
    assert category(path) == expected


def test_the_command_prints_json_and_appends_github_outputs(world: World, tmp_path: Path) -> None:
    out_file = tmp_path / "github_output"
    result = world.invoke(
        "ci",
        "selective-checks",
        "--event",
        "pull_request",
        "--changed-file",
        "Dockerfile",
        "--python",
        "3.11",
        "--upgrade-cutoff",
        "2026-11-21T12:00:00Z",
        "--output",
        "json",
        "--github-output",
        str(out_file),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["python-versions"] == '["3.11"]'
    assert data["prod-image"] == "true"
    assert "image files changed" in data["reasons"]
    assert "upgrade-cutoff=2026-11-21T12:00:00Z\n" in out_file.read_text()


def test_the_matrix_holds_only_the_pythons_the_airflow_version_supports(world: World) -> None:
    world.index.requires[("apache-airflow", "3.4.0b2")] = ">=3.11"
    config = (world.root / "hangar.toml").read_text()
    (world.root / "hangar.toml").write_text(
        config.replace('"3.11,3.13"', '"3.10,3.11,3.13"') + 'airflow_version = "3.4.0b2"\n'
    )
    checks = ("ci", "selective-checks", "--event", "push", "--output", "json")
    done = world.invoke(*checks)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["python-versions"] == '["3.11", "3.13"]'
    assert not (world.root / ".hangar").exists()  # deciding writes nothing, not even a cache

    refused = world.invoke(*checks, "--python", "3.10")
    assert isinstance(refused.exception, BadInput)  # exit 5
    assert refused.exception.message.startswith("Airflow 3.4.0b2 does not support Python 3.10")
