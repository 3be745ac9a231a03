"""Extra requirements checked against what an image holds: the inputs handed to the resolver,
and what a user is told (added, moved, conflicting) from what it answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hangar.constraints.files import ChangeKind, Pin
from hangar.errors import BadInput
from hangar.image.inspecting.requirements import (
    Installed,
    build_installed,
    check_requirements,
    parse_requirements,
    resolution,
    without_named,
)
from tests.fakes.constraints import FakeResolver

INDEX = "https://pypi.example/simple"


def pins(*lines: str) -> tuple[Pin, ...]:
    return tuple(Pin.of(*line.split("==")) for line in lines)


IMAGE = Installed(
    source="reg/airflow:3.3.2-python3.11",
    python="3.11",
    platform="x86_64-manylinux_2_28",
    packages=pins(
        "apache-airflow==3.3.2",
        "apache-airflow-core==3.3.2",
        "apache-airflow-providers-celery==3.24.0",
        "pandas==3.0.5",
        "httpx==0.28.1",
    ),
    constraints="# header\npandas==3.0.5\nhttpx==0.28.1\napache-airflow-providers-celery==3.24.0\n",
)


def test_requirement_lines_are_checked_and_comments_dropped() -> None:
    lines = ["# mine", "pandas<3  # old API", "", "-r more.txt", "httpx[http2]>=0.27"]
    assert parse_requirements(lines, origin="req.txt") == (
        "pandas<3",
        "-r more.txt",
        "httpx[http2]>=0.27",
    )
    with pytest.raises(BadInput, match=r"req\.txt:2: 'pandas <<3' is not a requirement"):
        parse_requirements(["httpx", "pandas <<3"], origin="req.txt")


def test_airflow_and_providers_are_held_and_named_projects_leave_the_constraints() -> None:
    held = resolution(IMAGE, ["pandas<3"], hold=True, index_url=INDEX)
    assert held.requirements.splitlines() == [
        "pandas<3",
        "apache-airflow==3.3.2",
        "apache-airflow-core==3.3.2",
        "apache-airflow-providers-celery==3.24.0",
    ]
    assert "pandas" not in held.constraints
    assert "httpx==0.28.1" in held.constraints
    assert "pandas==3.0.5" in held.preferences.splitlines()
    free = resolution(IMAGE, ["pandas<3"], hold=False, index_url=INDEX)
    assert free.requirements == "pandas<3\n"
    assert free.constraints == ""


def test_requirements_from_a_file_are_included_so_its_own_includes_work(tmp_path: Path) -> None:
    file = tmp_path / "requirements.txt"
    made = resolution(IMAGE, ["pandas<3"], hold=True, index_url=INDEX, from_file=file)
    assert made.requirements.splitlines()[0] == f"-r {file.resolve()}"


def test_constraints_lose_only_the_named_projects() -> None:
    text = "# h\nPandas==3.0.5\nhttpx==0.28.1\n"
    assert without_named(text, frozenset({"pandas"})) == "# h\nhttpx==0.28.1\n"


def test_nothing_installed_moves_when_the_resolution_only_adds() -> None:
    resolver = FakeResolver(outcomes=[(*IMAGE.packages, *pins("tabulate==0.9.0"))])
    report = check_requirements(IMAGE, ["tabulate"], resolver=resolver, index_url=INDEX)
    assert report.ok
    assert [(c.name, c.kind) for c in report.changes] == [("tabulate", ChangeKind.ADDED)]
    assert resolver.resolutions[0].index_url == INDEX


def test_a_downgrade_of_an_installed_distribution_is_reported_and_fails() -> None:
    resolved = pins(
        "apache-airflow==3.3.2",
        "apache-airflow-core==3.3.2",
        "apache-airflow-providers-celery==3.24.0",
        "pandas==2.3.3",
    )
    report = check_requirements(
        IMAGE, ["pandas<3"], resolver=FakeResolver(outcomes=[resolved]), index_url=INDEX
    )
    assert not report.ok
    assert [(c.name, c.old, c.new, c.kind) for c in report.changes] == [
        ("pandas", "3.0.5", "2.3.3", ChangeKind.DOWNGRADED)
    ]


def test_a_conflict_shows_what_would_move_once_airflow_is_not_held() -> None:
    explanation = "Because x>=2 depends on apache-airflow>=3.4 and you require it ==3.3.2"
    unheld = pins(
        "apache-airflow==3.4.0",
        "apache-airflow-core==3.4.0",
        "apache-airflow-providers-celery==3.24.0",
        "pandas==3.0.5",
        "x==2.0",
    )
    resolver = FakeResolver(outcomes=[explanation, unheld])
    report = check_requirements(IMAGE, ["x>=2"], resolver=resolver, index_url=INDEX)
    assert report.conflict == explanation
    assert not report.changes
    assert [(c.name, c.kind) for c in report.unheld] == [
        ("apache-airflow", ChangeKind.UPGRADED),
        ("apache-airflow-core", ChangeKind.UPGRADED),
        ("x", ChangeKind.ADDED),
    ]
    assert resolver.resolutions[1].constraints == ""


def test_a_build_installs_airflow_with_its_extras_within_its_constraints() -> None:
    resolver = FakeResolver(outcomes=[pins("apache-airflow==3.3.2", "celery==5.5.3")])
    installed = build_installed(
        resolver,
        airflow_version="3.3.2",
        extras=("celery", "postgres"),
        python="3.12",
        platform="aarch64-manylinux_2_28",
        constraints="celery==5.5.3\n",
        index_url=INDEX,
    )
    asked = resolver.resolutions[0]
    assert asked.requirements == "apache-airflow[celery,postgres]==3.3.2\n"
    assert (asked.constraints, asked.python, asked.platform) == (
        "celery==5.5.3\n",
        "3.12",
        "aarch64-manylinux_2_28",
    )
    assert installed.pinned() == pins("apache-airflow==3.3.2")


def build_install(
    resolver: FakeResolver, constraints: str, *, cache_dir: Path | None = None
) -> Installed:
    return build_installed(
        resolver,
        airflow_version="3.3.2",
        extras=("celery",),
        python="3.13",
        platform="x86_64-manylinux_2_28",
        constraints=constraints,
        index_url=INDEX,
        cache_dir=cache_dir,
    )


def test_a_build_install_is_resolved_once_per_inputs_and_kept(tmp_path: Path) -> None:
    """The second build with the same constraints asks the index only about the extras."""
    answer = pins("apache-airflow==3.3.2", "celery==5.5.3")
    resolver = FakeResolver(outcomes=[answer] * 4)

    def installed(constraints: str) -> Installed:
        return build_install(resolver, constraints, cache_dir=tmp_path)

    first, second = installed("celery==5.5.3\n"), installed("celery==5.5.3\n")
    assert len(resolver.resolutions) == 1
    assert first.packages == second.packages == answer
    # other constraints: resolved again (the cached answer, celery 5.5.3, is not what they
    # pin, so the index is asked too)
    installed("celery==5.5.2\n")
    installed("")  # no constraints: nothing holds the answer still, never kept
    assert [r.cached_only for r in resolver.resolutions] == [True, True, False, False]
    assert len(list(tmp_path.iterdir())) == 2


def test_a_build_install_the_constraints_pin_is_answered_without_the_index() -> None:
    """Airflow's core and task SDK are pinned by Airflow itself, everything else by the
    constraints (names compared canonically): the resolver's cache cannot be stale.
    """
    answer = pins(
        "apache-airflow==3.3.2",
        "apache-airflow-core==3.3.2",
        "apache-airflow-task-sdk==1.3.2",
        "PyYAML==6.0.2",
    )
    resolver = FakeResolver(outcomes=[answer])
    installed = build_install(resolver, "pyyaml==6.0.2\n")
    assert installed.packages == answer
    assert [r.cached_only for r in resolver.resolutions] == [True]


def test_a_build_install_asks_the_index_when_the_cache_is_not_enough_or_not_pinned() -> None:
    fresh = pins("apache-airflow==3.3.2", "celery==5.5.3", "kombu==5.6.0")
    # the cache lacks a distribution: uv finds no solution offline
    lacking = FakeResolver(outcomes=["kombu was not found in the cache", fresh])
    assert build_install(lacking, "celery==5.5.3\n").packages == fresh
    # the cached answer holds kombu, which the constraints leave free: it may be stale
    unpinned = FakeResolver(outcomes=[pins("apache-airflow==3.3.2", "kombu==5.5.0"), fresh])
    assert build_install(unpinned, "celery==5.5.3\n").packages == fresh
    for resolver in (lacking, unpinned):
        assert [r.cached_only for r in resolver.resolutions] == [True, False]
