"""Release plans and their execution against the fake registry; the security refresh moves
tags only after the image checks pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from hangar.errors import BadInput, NotFound, RegistryUnavailable
from hangar.image.releasing.release import (
    Action,
    ReleaseParams,
    execute_release,
    plan_release,
)
from tests.fakes.registry import FakeRegistry
from tests.fakes.world import World

REPO = "fake:5000/airflow"
D11, D13, OLD = "sha256:" + "1" * 64, "sha256:" + "3" * 64, "sha256:" + "0" * 64
D12 = "sha256:" + "2" * 64


def params(**changes: Any) -> ReleaseParams:
    values: dict[str, Any] = {
        "repository": REPO,
        "version": "3.3.2",
        "pythons": ("3.11", "3.13"),
        "default_python": "3.13",
    }
    return ReleaseParams(**{**values, **changes})


def built(version: str = "3.3.2", prefix: str = "", **more: str) -> FakeRegistry:
    """A registry holding what `hangar image build --push` leaves: one tag per Python."""
    return FakeRegistry(
        tags={
            "airflow": {
                f"{prefix}{version}-python3.11": D11,
                f"{prefix}{version}-python3.13": D13,
                **more,
            }
        }
    )


def test_plan_points_each_tag_at_its_pythons_digest_and_changes_nothing() -> None:
    registry = built()
    plan = plan_release(params(), registry)
    got = {t.tag.removeprefix(REPO + ":"): (t.digest, t.action) for t in plan.tags}
    assert got == {
        "3.3.2-python3.11": (D11, Action.KEEP),
        "latest-python3.11": (D11, Action.COPY),
        "3.3.2-python3.13": (D13, Action.KEEP),
        "latest-python3.13": (D13, Action.COPY),
        "3.3.2": (D13, Action.COPY),
        "latest": (D13, Action.COPY),
    }
    assert plan.latest.move
    assert registry.copies == []
    assert {t.source for t in plan.tags if t.python == "3.11"} == {f"{REPO}:3.3.2-python3.11"}


def test_release_copies_tags_and_every_tag_resolves_to_its_digest() -> None:
    registry = built(latest=OLD)
    plan = plan_release(params(), registry)
    assert next(t for t in plan.tags if t.tag.endswith(":latest")).current == OLD
    result = execute_release(plan, registry)
    assert result.ok
    assert registry.tags["airflow"]["3.3.2"] == registry.tags["airflow"]["3.3.2-python3.13"] == D13
    assert registry.tags["airflow"]["latest"] == D13
    assert registry.tags["airflow"]["latest-python3.11"] == D11
    assert len(registry.copies) == 4  # the versioned tags are the sources themselves


def test_pre_release_leaves_latest_where_it_was() -> None:
    registry = built(version="3.4.0rc1", latest=OLD)
    result = execute_release(plan_release(params(version="3.4.0rc1"), registry), registry)
    assert result.ok
    assert registry.tags["airflow"]["latest"] == OLD
    assert "latest-python3.11" not in registry.tags["airflow"]
    assert registry.tags["airflow"]["3.4.0rc1"] == D13


def test_older_version_than_released_leaves_latest() -> None:
    registry = built(version="3.2.9", **{"3.3.2": OLD, "latest": OLD})
    plan = plan_release(params(version="3.2.9"), registry)
    assert not plan.latest.move
    assert "older than 3.3.2" in plan.latest.reason
    execute_release(plan, registry)
    assert registry.tags["airflow"]["latest"] == OLD
    assert registry.tags["airflow"]["3.2.9"] == D13


def test_slim_release_uses_slim_sources_and_tags() -> None:
    registry = built(prefix="slim-")
    plan = plan_release(params(slim=True), registry)
    tags = sorted(t.tag.removeprefix(REPO + ":") for t in plan.tags)
    assert tags == [
        "slim-3.3.2",
        "slim-3.3.2-python3.11",
        "slim-3.3.2-python3.13",
        "slim-latest",
        "slim-latest-python3.11",
        "slim-latest-python3.13",
    ]
    assert execute_release(plan, registry).ok


def test_source_pattern_from_another_repository_is_copied_in() -> None:
    registry = FakeRegistry(tags={"staging": {"py3.11": D11, "py3.13": D13}})
    plan = plan_release(params(source="fake:5000/staging:py{python}"), registry)
    assert all(t.action is Action.COPY for t in plan.tags)
    assert execute_release(plan, registry).ok
    assert registry.tags["airflow"]["3.3.2-python3.11"] == D11


def test_a_tag_landing_on_another_digest_fails_the_check() -> None:
    registry = built()
    registry.wrong_digest_for = frozenset({"latest"})
    result = execute_release(plan_release(params(), registry), registry)
    assert not result.ok
    assert [c.tag for c in result.checks if not c.ok] == [f"{REPO}:latest"]


def test_missing_source_names_the_image_and_what_to_do() -> None:
    registry = FakeRegistry(tags={"airflow": {"3.3.2-python3.11": D11}})
    with pytest.raises(NotFound, match=r"airflow:3.3.2-python3.13 is not in the registry") as exc:
        plan_release(params(), registry)
    assert "hangar image build" in exc.value.line()


def test_unreachable_registry_and_bad_source_pattern() -> None:
    with pytest.raises(RegistryUnavailable):
        plan_release(params(), FakeRegistry(available=False))
    with pytest.raises(BadInput, match="--source"):
        plan_release(params(source="{repository}:{nope}"), built())
    with pytest.raises(BadInput, match="not in the registry fake:5000"):
        plan_release(params(source="other:5000/airflow:{version}-python{python}"), built())


def test_without_the_setting_the_bare_tags_follow_airflows_release_process(world: World) -> None:
    world.registry = FakeRegistry(
        tags={"airflow": {f"3.3.2-python{p}": d for p, d in (("3.12", D12), ("3.13", D13))}}
    )
    config = (world.root / "hangar.toml").read_text().replace('"3.11,3.13"', '"3.12,3.13"')
    (world.root / "hangar.toml").write_text(config.replace('bare_tag_python = "3.13"\n', ""))
    done = world.invoke("image", "release", "3.3.2", "--output", "json")
    assert done.exit_code == 0, done.output
    assert world.registry.tags["airflow"]["3.3.2"] == D12
    assert world.registry.tags["airflow"]["latest"] == D12


def test_a_release_without_the_bare_tags_python_says_why_it_has_no_bare_tags(
    world: World,
) -> None:
    world.registry = built()
    (world.root / "hangar.toml").write_text(
        (world.root / "hangar.toml").read_text().replace('bare_tag_python = "3.13"', "")
    )
    done = world.invoke("image", "release", "3.3.2", "--output", "json")
    assert done.exit_code == 0, done.output
    assert "3.3.2" not in world.registry.tags["airflow"]
    assert "latest-python3.13" in world.registry.tags["airflow"]
    assert "they carry Python 3.12, which this release leaves out" in done.stderr
