"""Re-releasing a version (`image release --patch` / `--refresh-base`) and rolling back:
dated tags, the floating tags that follow, and nothing moving when a check fails.
"""

from __future__ import annotations

import pytest

from hangar.errors import NotFound, RegistryUnavailable, StepFailed
from hangar.image.releasing.release import ReleaseParams, execute_release, plan_release
from hangar.image.releasing.rerelease import rerelease, rollback
from tests.fakes.registry import FakeRegistry
from tests.fakes.release import FakeMaker

REPO = "fake:5000/airflow"
D11, D13 = "sha256:" + "1" * 64, "sha256:" + "3" * 64
P11, P13 = "sha256:" + "a" * 64, "sha256:" + "c" * 64
NEWER = "sha256:" + "9" * 64
DAY1, DAY2 = "20261101", "20261129"


def params(**changes: object) -> ReleaseParams:
    values: dict[str, object] = {
        "repository": REPO,
        "version": "3.3.2",
        "pythons": ("3.11", "3.13"),
        "default_python": "3.13",
    }
    return ReleaseParams(**{**values, **changes})  # type: ignore[arg-type]


def released() -> FakeRegistry:
    """3.3.2 built, pushed and released on DAY1 (with its dated tags)."""
    registry = FakeRegistry(tags={"airflow": {"3.3.2-python3.11": D11, "3.3.2-python3.13": D13}})
    assert execute_release(plan_release(params(date=DAY1), registry), registry).ok
    return registry


def tags(registry: FakeRegistry) -> dict[str, str]:
    return registry.tags["airflow"]


def test_a_release_gives_every_image_its_dated_tag() -> None:
    registry = released()
    assert tags(registry)[f"3.3.2-python3.11-{DAY1}"] == D11
    assert tags(registry)[f"3.3.2-python3.13-{DAY1}"] == D13
    assert tags(registry)["latest"] == D13


def test_patch_publishes_dated_tags_then_moves_the_floating_ones() -> None:
    registry = released()
    maker = FakeMaker(registry, new_digests={"3.11": P11, "3.13": P13})
    result = rerelease(params(), date=DAY2, registry=registry, maker=maker, date_of=lambda _: DAY1)
    assert result.ok
    assert result.published == {
        "3.11": f"{REPO}:3.3.2-python3.11-{DAY2}",
        "3.13": f"{REPO}:3.3.2-python3.13-{DAY2}",
    }
    now = tags(registry)
    assert now["3.3.2-python3.11"] == now["latest-python3.11"] == P11
    assert now["3.3.2-python3.13"] == now["3.3.2"] == now["latest"] == P13
    # the released images stay pullable under their own dated tags
    assert now[f"3.3.2-python3.11-{DAY1}"] == D11
    assert now[f"3.3.2-python3.13-{DAY1}"] == D13


def test_a_failed_check_moves_no_tag_and_pushes_nothing() -> None:
    registry = released()
    before = dict(tags(registry))
    maker = FakeMaker(
        registry, new_digests={"3.11": P11, "3.13": P13}, problems={"3.13": ("airflow-version",)}
    )
    with pytest.raises(StepFailed, match=r"no tag moved \(Python 3\.13: airflow-version\)"):
        rerelease(params(), date=DAY2, registry=registry, maker=maker, date_of=lambda _: DAY1)
    assert tags(registry) == before
    assert maker.pushed == []


def test_nothing_to_fix_changes_nothing() -> None:
    registry = released()
    before = dict(tags(registry))
    maker = FakeMaker(registry, new_digests={}, nothing_for=frozenset({"3.11", "3.13"}))
    result = rerelease(params(), date=DAY2, registry=registry, maker=maker, date_of=lambda _: DAY1)
    assert result.skipped == ("3.11", "3.13")
    assert result.release is None
    assert tags(registry) == before


def test_latest_of_a_newer_version_stays_where_it_is() -> None:
    registry = released()
    tags(registry).update({"latest": NEWER, "latest-python3.13": NEWER})
    maker = FakeMaker(registry, new_digests={"3.11": P11, "3.13": P13})
    rerelease(params(), date=DAY2, registry=registry, maker=maker, date_of=lambda _: DAY1)
    assert tags(registry)["latest"] == tags(registry)["latest-python3.13"] == NEWER
    assert tags(registry)["latest-python3.11"] == P11
    assert tags(registry)["3.3.2"] == P13


def test_a_second_patch_the_same_day_gets_its_own_dated_tag() -> None:
    registry = released()
    rerelease(
        params(),
        date=DAY2,
        registry=registry,
        maker=FakeMaker(registry, new_digests={"3.11": P11, "3.13": P13}),
        date_of=lambda _: DAY1,
    )
    again = FakeMaker(registry, new_digests={"3.11": NEWER, "3.13": NEWER})
    result = rerelease(params(), date=DAY2, registry=registry, maker=again, date_of=lambda _: DAY1)
    assert result.published["3.11"] == f"{REPO}:3.3.2-python3.11-{DAY2}.1"
    assert tags(registry)[f"3.3.2-python3.11-{DAY2}"] == P11


def test_rollback_puts_the_floating_tags_back() -> None:
    registry = released()
    maker = FakeMaker(registry, new_digests={"3.11": P11, "3.13": P13})
    rerelease(params(), date=DAY2, registry=registry, maker=maker, date_of=lambda _: DAY1)
    result = rollback(params(), date=DAY1, registry=registry, date_of=lambda _: DAY2)
    assert result.ok
    now = tags(registry)
    assert now["3.3.2-python3.11"] == now["latest-python3.11"] == D11
    assert now["3.3.2-python3.13"] == now["3.3.2"] == now["latest"] == D13
    assert now[f"3.3.2-python3.13-{DAY2}"] == P13  # the patch stays pullable


def test_rollback_to_a_date_without_an_image_changes_nothing() -> None:
    registry = released()
    before = dict(tags(registry))
    with pytest.raises(NotFound, match=r"3\.3\.2-python3\.11-20200101"):
        rollback(params(), date="20200101", registry=registry, date_of=lambda _: DAY1)
    assert tags(registry) == before


def test_an_interrupted_release_says_how_far_it_got_and_a_rerun_finishes_it() -> None:
    registry = FakeRegistry(tags={"airflow": {"3.3.2-python3.11": D11, "3.3.2-python3.13": D13}})
    registry.fail_after = 2
    with pytest.raises(RegistryUnavailable) as caught:
        execute_release(plan_release(params(), registry), registry)
    assert "stopped after 2 of 4 tag changes" in caught.value.line()
    assert "run the same command again" in caught.value.line()
    assert "latest" not in tags(registry)  # version tags move first
    registry.fail_after = None
    result = execute_release(plan_release(params(), registry), registry)
    assert result.ok
    assert len(registry.copies) == 4  # the rerun moved only what was left
