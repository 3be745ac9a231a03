"""The tag set of a release: regular, slim, pre-release and older versions."""

from __future__ import annotations

import pytest

from hangar.errors import BadInput
from hangar.image.building.tags import (
    bare_tag_python,
    is_prerelease,
    latest_decision,
    release_tags,
    released_versions,
)
from hangar.values import ImageRef, parse_ref


def tags_of(**kwargs: object) -> list[str]:
    return [t.tag for t in release_tags(**kwargs)]  # type: ignore[arg-type]


def test_regular_release_moves_every_version_tag_before_any_latest_tag() -> None:
    assert tags_of(version="3.3.2", pythons=("3.13", "3.11"), default_python="3.13") == [
        "3.3.2-python3.11",
        "3.3.2-python3.13",
        "3.3.2",
        "latest-python3.11",
        "latest-python3.13",
        "latest",
    ]


def test_unsuffixed_tags_point_at_the_default_python() -> None:
    targets = release_tags(version="3.3.2", pythons=("3.11", "3.13"), default_python="3.11")
    by_tag = {t.tag: t.python for t in targets}
    assert by_tag["3.3.2"] == "3.11"
    assert by_tag["latest"] == "3.11"


def test_slim_release_prefixes_every_tag() -> None:
    assert tags_of(version="3.3.2", pythons=("3.11",), default_python="3.11", slim=True) == [
        "slim-3.3.2-python3.11",
        "slim-3.3.2",
        "slim-latest-python3.11",
        "slim-latest",
    ]


@pytest.mark.parametrize("version", ["3.4.0rc1", "3.4.0b2", "3.4.0a1", "3.4.0.dev0"])
def test_pre_release_never_moves_latest(version: str) -> None:
    assert is_prerelease(version)
    tags = tags_of(version=version, pythons=("3.11", "3.13"), default_python="3.13")
    assert tags == [f"{version}-python3.11", f"{version}-python3.13", version]
    decision = latest_decision(version, [])
    assert not decision.move
    assert "pre-release" in decision.reason


def test_default_python_not_released_gives_no_unsuffixed_tags() -> None:
    assert tags_of(version="3.3.2", pythons=("3.11",), default_python="3.13") == [
        "3.3.2-python3.11",
        "latest-python3.11",
    ]


KNOWN = ("3.10", "3.11", "3.12", "3.13", "3.14")


@pytest.mark.parametrize("version", ["3.0.0", "3.3.2", "3.4.0b2"])
def test_airflow_3_bare_tags_carry_the_python_of_airflows_release_tooling(version: str) -> None:
    assert bare_tag_python(version, setting="", requires_python=">=3.11", known=KNOWN) == "3.12"


def test_before_airflow_3_bare_tags_carry_the_lowest_python_the_release_supports() -> None:
    found = bare_tag_python("2.11.0", setting="", requires_python=">=3.11,<3.13", known=KNOWN)
    assert found == "3.11"


def test_the_setting_chooses_the_bare_tags_python() -> None:
    found = bare_tag_python("3.3.2", setting="3.13", requires_python="", known=KNOWN)
    assert found == "3.13"


def test_version_older_than_newest_released_keeps_latest() -> None:
    existing = ["3.3.2", "3.3.2-python3.11", "latest", "slim-3.3.2", "3.4.0rc1"]
    decision = latest_decision("3.2.9", existing)
    assert not decision.move
    assert "3.3.2" in decision.reason
    assert tags_of(
        version="3.2.9", pythons=("3.11",), default_python="3.11", move_latest=False
    ) == [
        "3.2.9-python3.11",
        "3.2.9",
    ]


def test_newest_or_same_version_moves_latest_and_rcs_do_not_count() -> None:
    existing = ["3.3.1", "3.4.0rc1-python3.11", "latest"]
    assert latest_decision("3.3.2", existing).move
    assert latest_decision("3.3.1", existing).move  # re-release of the newest
    assert not latest_decision("3.3.2", existing, skip_latest=True).move


def test_released_versions_reads_every_naming_and_ignores_others() -> None:
    tags = [
        "3.3.2-python3.11",
        "slim-3.10.0",
        "latest",
        "cache-python3.11-linux-amd64",
        "3.3.2-python3.11-candidate",
        "3.4.0rc1",
    ]
    assert [str(v) for v in released_versions(tags)] == ["3.10.0", "3.3.2"]


@pytest.mark.parametrize("version", ["3.3", "three", "3.3.2.1"])
def test_bad_version_is_a_clear_error(version: str) -> None:
    with pytest.raises(BadInput, match="not a valid Airflow version"):
        release_tags(version=version, pythons=("3.11",), default_python="3.11")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "127.0.0.1:5000/airflow:3.3.2-python3.11",
            ImageRef(registry="127.0.0.1:5000", repository="airflow", tag="3.3.2-python3.11"),
        ),
        (
            "ghcr.io/org/airflow:latest",
            ImageRef(registry="ghcr.io", repository="org/airflow", tag="latest"),
        ),
        ("apache/airflow", ImageRef(registry="", repository="apache/airflow")),
        (
            "localhost/x@sha256:abc",
            ImageRef(registry="localhost", repository="x", digest="sha256:abc"),
        ),
    ],
)
def test_parse_ref(text: str, expected: ImageRef) -> None:
    assert parse_ref(text) == expected
    assert str(parse_ref(text)) == text
