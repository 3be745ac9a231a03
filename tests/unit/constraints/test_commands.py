"""`hangar constraints generate`, `check` and `update` through the real CLI, with the fake
resolver and index of the World (no uv, no package index, no git).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hangar.constraints.cache import generate_text
from hangar.constraints.files import Pin
from hangar.constraints.resolve import Mode, ResolveRequest
from hangar.errors import BadInput, NotFound, ResolutionConflict, StepFailed
from hangar.values import SUPPORTED_PYTHONS
from tests.fakes.constraints import FakeResolver
from tests.fakes.world import World

PINS = (Pin.of("requests", "2.32.3"), Pin.of("alembic", "1.15.2"))
UPLOADED = datetime(2025, 4, 22, 9, 0, tzinfo=UTC)


def generate(world: World, out: Path, *args: str) -> tuple[int, str, str, BaseException | None]:
    result = world.invoke(
        "constraints", "generate", "--airflow-version", "3.0.0", "--output-dir", str(out), *args
    )
    return result.exit_code, result.stdout, result.stderr, result.exception


def test_generate_writes_a_file_per_mode_and_python_as_the_index_stood(
    world: World, tmp_path: Path
) -> None:
    world.index.times[("apache-airflow", "3.0.0")] = UPLOADED
    world.resolver.pins = PINS
    code, stdout, stderr, _ = generate(
        world,
        tmp_path,
        *("--python", "3.13,3.11", "--extras", "postgres"),
        *("--mode", "constraints", "--mode", "constraints-no-providers"),
    )
    assert code == 0, stderr
    folder = tmp_path / "constraints-3.0.0"
    assert stdout.splitlines() == [
        str(folder / name)
        for name in (
            "constraints-3.11.txt",
            "constraints-3.13.txt",
            "constraints-no-providers-3.11.txt",
            "constraints-no-providers-3.13.txt",
        )
    ]
    assert "Resolving Airflow 3.0.0 as the index stood at 2025-04-22T10:00:01Z" in stderr
    assert f"{folder / 'constraints-3.13.txt'}: new, 2 pins" in stderr
    text = (folder / "constraints-3.13.txt").read_text()
    assert "(extras: postgres)" in text
    assert text.endswith("alembic==1.15.2\nrequests==2.32.3\n")
    extras = {(r.mode, r.python): r.extras for r in world.resolver.requests}
    assert extras[(Mode.CONSTRAINTS, "3.11")] == ("postgres",)
    assert extras[(Mode.NO_PROVIDERS, "3.11")] == ()


def test_generate_defaults_to_every_supported_python(world: World, tmp_path: Path) -> None:
    code, _, stderr, _ = generate(world, tmp_path, "--exclude-newer", "2025-05-01")
    assert code == 0, stderr
    assert sorted(r.python for r in world.resolver.requests) == sorted(SUPPORTED_PYTHONS)
    assert {r.extras for r in world.resolver.requests} == {("all",)}
    assert "as the index stood at 2025-05-01T00:00:00Z" in stderr


def test_regenerating_summarises_what_changed_and_json_lists_it(
    world: World, tmp_path: Path
) -> None:
    world.resolver.pins = PINS
    args = ("--python", "3.13", "--exclude-newer", "2025-05-01T00:00:00Z")
    assert generate(world, tmp_path, *args)[0] == 0
    world.resolver.pins = (Pin.of("requests", "2.32.4"), Pin.of("zipp", "3.0"))
    code, stdout, stderr, _ = generate(world, tmp_path, *args, "--output", "json")
    assert code == 0, stderr
    assert "1 added, 1 removed, 1 upgraded, 0 downgraded" in stderr
    assert "~ requests 2.32.3 -> 2.32.4" in stderr
    [entry] = json.loads(stdout)
    assert (entry["python"], entry["mode"], entry["pins"]) == ("3.13", "constraints", 2)
    assert [(c["kind"], c["name"]) for c in entry["changes"]] == [
        ("removed", "alembic"),
        ("upgraded", "requests"),
        ("added", "zipp"),
    ]


@dataclass
class FailsFor311(FakeResolver):
    def resolve(self, request: ResolveRequest) -> tuple[Pin, ...]:
        if request.python == "3.11":
            raise ResolutionConflict("Because you require sqlalchemy==1 and sqlalchemy==2")
        return super().resolve(request)


def test_a_file_that_does_not_resolve_fails_the_command_but_not_the_others(
    world: World, tmp_path: Path
) -> None:
    world.resolver = FailsFor311(pins=PINS)
    code, stdout, stderr, error = generate(
        world, tmp_path, "--python", "3.11,3.13", "--exclude-newer", "2025-05-01"
    )
    assert isinstance(error, ResolutionConflict)
    assert code == 1  # CliRunner's code for an exception; `hangar` exits with error.exit_code
    assert stdout.splitlines() == [str(tmp_path / "constraints-3.0.0" / "constraints-3.13.txt")]
    assert "constraints-3.11.txt: Because you require sqlalchemy==1" in stderr
    assert not (tmp_path / "constraints-3.0.0" / "constraints-3.11.txt").exists()


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("--python", "3.9"), BadInput, "unknown Python version 3.9"),
        (("--airflow-version", "3.x"), BadInput, "'3.x' is not a valid Airflow version"),
        (("--extras", "postgres,bad_extra!"), BadInput, "invalid extra"),
        (("--exclude-newer", "yesterday"), BadInput, "is not a date or time"),
        (("--mode", "constraints-source-providers"), BadInput, "pass --providers-dir"),
        ((), NotFound, "apache-airflow 3.0.0 is not on the index"),
    ],
    ids=["python", "version", "extra", "cutoff", "providers", "unknown-release"],
)
def test_generate_refuses_bad_input_before_resolving_anything(
    world: World, tmp_path: Path, args: tuple[str, ...], error: type[Exception], message: str
) -> None:
    _, _, _, raised = generate(world, tmp_path, *args)
    assert isinstance(raised, error)
    assert message in str(raised) + str(getattr(raised, "hint", ""))
    assert not world.resolver.requests
    assert not tmp_path.joinpath("constraints-3.0.0").exists()


def constraints_file(folder: Path, extra_lines: str = "") -> Path:
    request = ResolveRequest(
        airflow_version="3.0.0",
        python="3.13",
        mode=Mode.CONSTRAINTS,
        extras=("postgres",),
        exclude_newer=UPLOADED,
    )
    path = folder / "constraints-3.13.txt"
    path.write_text(generate_text(request, FakeResolver(pins=PINS), tools="t") + extra_lines)
    return path


def test_check_accepts_a_generated_file_resolving_what_its_header_says(
    world: World, tmp_path: Path
) -> None:
    path = constraints_file(tmp_path)
    result = world.invoke("constraints", "check", str(path), "--python", "3.13")
    assert result.exit_code == 0, result.output
    assert f"{path}: OK" in result.stderr
    assert result.stdout == ""
    [asked] = world.resolver.requests
    assert (asked.airflow_version, asked.python, asked.extras) == ("3.0.0", "3.13", ("postgres",))


def test_check_reports_each_bad_line_without_resolving(world: World, tmp_path: Path) -> None:
    path = constraints_file(tmp_path, "requests==1.0\n-e ./airflow\n")
    result = world.invoke("constraints", "check", str(path), "--python", "3.13")
    assert isinstance(result.exception, StepFailed)
    assert str(result.exception) == f"{path}: 2 problem(s)"
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "duplicate of line" in lines[0]
    assert "options such as -e" in lines[1]
    assert not world.resolver.requests


def test_check_names_the_pins_of_a_resolution_conflict(world: World, tmp_path: Path) -> None:
    path = constraints_file(tmp_path)
    world.resolver.conflict = "Because apache-airflow==3.0.0 depends on alembic>2"
    result = world.invoke("constraints", "check", str(path), "--python", "3.13", "--output", "json")
    assert isinstance(result.exception, ResolutionConflict)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["problems"][0]["message"].startswith("does not resolve: Because")
    assert [p["text"] for p in report["problems"][1:]] == ["alembic==1.15.2"]


def test_check_without_resolution_and_with_an_unknown_python(world: World, tmp_path: Path) -> None:
    path = constraints_file(tmp_path)
    ok = world.invoke("constraints", "check", str(path), "--python", "3.13", "--no-resolve")
    assert ok.exit_code == 0, ok.output
    assert not world.resolver.requests
    bad = world.invoke("constraints", "check", str(path), "--python", "2.7")
    assert isinstance(bad.exception, BadInput)
    missing = world.invoke("constraints", "check", str(tmp_path / "nope.txt"), "--python", "3.13")
    assert isinstance(missing.exception, NotFound)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--airflow-version", "3.x", "--updated-constraint", "a==1"), "not a valid Airflow"),
        (("--airflow-version", "3.0.0", "--updated-constraint", "a=1"), "name==version"),
        (
            ("--airflow-version", "3.0.0", "--updated-constraint", "a==1,A==2"),
            "is not a valid version",
        ),
        (
            (
                *("--airflow-version", "3.0.0"),
                *("--updated-constraint", "a==1", "--updated-constraint", "A==2"),
            ),
            "the same distribution is given twice",
        ),
        (("--airflow-version", "3.0.0", "--comment", "x", "--commit-message", " "), "empty"),
        (("--airflow-version", "3.0.0"), "nothing to change"),
    ],
    ids=["version", "pin", "comma-pins", "twice", "message", "nothing"],
)
def test_update_refuses_bad_input_before_touching_git(
    world: World, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = world.invoke(
        "constraints", "update", "--repo", str(tmp_path), "--commit-message", "m", *args
    )
    assert isinstance(result.exception, BadInput)
    assert message in str(result.exception)
    assert not world.runner.commands


def test_generate_takes_the_pythons_the_release_supports_and_refuses_others(
    world: World, tmp_path: Path
) -> None:
    world.index.requires[("apache-airflow", "3.0.0")] = "!=3.15,>=3.11"
    code, _, stderr, _ = generate(world, tmp_path, "--exclude-newer", "2025-05-01")
    assert code == 0, stderr
    assert sorted(r.python for r in world.resolver.requests) == ["3.11", "3.12", "3.13", "3.14"]

    code, _, _, error = generate(world, tmp_path / "b", "--python", "3.10,3.14")
    assert isinstance(error, BadInput)  # exit 5, before anything is resolved
    assert error.message == (
        "Airflow 3.0.0 does not support Python 3.10 (Requires-Python !=3.15,>=3.11)"
    )
    assert not (tmp_path / "b").exists()
