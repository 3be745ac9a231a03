"""The adapters behind the CI steps, with fakes: waiting for an image, pushing constraints only
when their pins changed."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from hangar.constraints.publish import push_if_changed
from hangar.errors import BadInput, GitError, NotFound
from hangar.image.wait import wait_for_image
from hangar.values import ImageRef, parse_pushed_ref

HEADER = "#\n# Constraints for Apache Airflow 3.3.2 on Python 3.11, cut-off {when}\n#\n"


class SlowRegistry:
    """The image appears after `after` polls."""

    def __init__(self, after: int | None) -> None:
        self.after = after
        self.polls = 0

    def digest(self, repository: str, reference: str) -> str | None:
        self.polls += 1
        if self.after is not None and self.polls > self.after:
            return "sha256:" + "a" * 64
        return None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


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


class FakeBranch:
    def __init__(self, files: Mapping[str, str] | None, reject: bool = False) -> None:
        self.blobs = {f"blob-{n}": t for n, t in (files or {}).items()}
        self.tree = {n: ("100644", f"blob-{n}") for n in (files or {})}
        self.exists = files is not None
        self.reject = reject
        self.commits: list[tuple[str | None, dict[str, str], str]] = []
        self.pushed: list[str] = []

    def tip(self) -> str | None:
        return "c0ffee" if self.exists else None

    def files(self, commit: str) -> dict[str, tuple[str, str]]:
        return dict(self.tree)

    def read(self, blob: str) -> str:
        return self.blobs[blob]

    def commit(self, *, parent: str | None, files: Mapping[str, str], message: str) -> str:
        self.commits.append((parent, dict(files), message))
        return "new-commit"

    def push(self, commit: str) -> None:
        if self.reject:
            raise GitError("push of constraints to origin constraints-main rejected: fetch first")
        self.pushed.append(commit)


PINS = "apache-airflow-providers-celery==3.10.0\ncelery==5.5.3\n"


def test_unchanged_pins_push_nothing_even_with_a_new_header() -> None:
    branch = FakeBranch({"constraints-3.11.txt": HEADER.format(when="monday") + PINS})
    result = push_if_changed(
        branch,
        name="constraints-main",
        files={"constraints-3.11.txt": HEADER.format(when="tuesday") + PINS},
        message="update",
    )
    assert result.commit is None
    assert result.unchanged == ("constraints-3.11.txt",)
    assert branch.commits == []
    assert branch.pushed == []


def test_changed_pins_make_one_commit_on_the_remote_tip() -> None:
    branch = FakeBranch({"constraints-3.11.txt": PINS, "README.md": "hello\n"})
    new = PINS.replace("celery==5.5.3", "celery==5.6.0")
    result = push_if_changed(
        branch,
        name="constraints-main",
        files={"constraints-3.11.txt": new, "constraints-3.13.txt": PINS},
        message="Update constraints",
    )
    assert result.commit == "new-commit"
    assert result.changed == ("constraints-3.11.txt", "constraints-3.13.txt")
    assert branch.commits == [
        (
            "c0ffee",
            {"constraints-3.11.txt": new, "constraints-3.13.txt": PINS},
            "Update constraints\n",
        )
    ]
    assert branch.pushed == ["new-commit"]


def test_a_missing_branch_is_created() -> None:
    branch = FakeBranch(None)
    result = push_if_changed(
        branch, name="constraints-main", files={"constraints-3.11.txt": PINS}, message="first"
    )
    assert result.parent is None
    assert branch.commits[0][0] is None


def test_a_rejected_push_is_a_git_error() -> None:
    branch = FakeBranch({"constraints-3.11.txt": PINS}, reject=True)
    with pytest.raises(GitError, match="rejected"):
        push_if_changed(
            branch,
            name="constraints-main",
            files={"constraints-3.11.txt": PINS + "redis==6.0.0\n"},
            message="m",
        )
