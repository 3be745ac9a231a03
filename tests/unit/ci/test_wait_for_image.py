"""`hangar ci wait-for-image`: waiting for an image another job pushes (fake registry, clock)."""

from __future__ import annotations

import pytest

from hangar.errors import BadInput, NotFound
from hangar.image.releasing.wait import wait_for_image
from hangar.values import ImageRef, parse_pushed_ref
from tests.fakes.clock import Clock
from tests.fakes.registry import SlowRegistry


def test_waits_until_the_image_is_pushed() -> None:
    clock = Clock()
    registry = SlowRegistry(after=3)
    ref = parse_pushed_ref("127.0.0.1:5000/t/airflow/ci:abc-python3.11")
    waited = wait_for_image(registry, ref, timeout=60, interval=5, clock=clock, sleep=clock.sleep)
    assert waited.polls == 4
    assert waited.seconds == 15
    assert waited.digest.startswith("sha256:")


def test_gives_up_after_the_timeout_with_one_clear_line() -> None:
    clock = Clock()
    ref = ImageRef(registry="127.0.0.1:5000", repository="t/airflow", tag="abc")
    with pytest.raises(NotFound) as caught:
        wait_for_image(
            SlowRegistry(after=None), ref, timeout=12, interval=5, clock=clock, sleep=clock.sleep
        )
    assert caught.value.line().startswith(
        "image 127.0.0.1:5000/t/airflow:abc did not appear in 127.0.0.1:5000 within 12s"
    )
    assert "build-images workflow" in caught.value.line()
    assert clock.now == 12  # the last sleep is cut to the deadline


@pytest.mark.parametrize("ref", ["airflow:tag", "127.0.0.1:5000/airflow", "ghcr.io/a/b:"])
def test_an_image_reference_needs_a_registry_and_a_tag(ref: str) -> None:
    with pytest.raises(BadInput):
        parse_pushed_ref(ref)


def test_parse_ref_keeps_nested_repositories() -> None:
    ref = parse_pushed_ref("127.0.0.1:5000/hangar-ci-x/airflow/ci:latest-python3.11")
    assert (ref.registry, ref.repository, ref.tag) == (
        "127.0.0.1:5000",
        "hangar-ci-x/airflow/ci",
        "latest-python3.11",
    )
