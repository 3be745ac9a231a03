"""`hangar ci push-constraints`: pushed only when the pins changed (fake branch)."""

from __future__ import annotations

import pytest

from hangar.constraints.publish import push_if_changed
from hangar.errors import GitError
from tests.fakes.git import FakeBranch

HEADER = "#\n# Constraints for Apache Airflow 3.3.2 on Python 3.11, cut-off {when}\n#\n"


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
