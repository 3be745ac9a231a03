"""`hangar constraints update` against a real bare git remote with constraints tags.

Every failure must leave both repositories exactly as they were: refs, HEAD, status and the
work tree's bytes are compared before and after.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Manager",
    "GIT_AUTHOR_EMAIL": "rm@example.org",
    "GIT_COMMITTER_NAME": "Release Manager",
    "GIT_COMMITTER_EMAIL": "rm@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}

HEADER = "#\n# Constraints for Apache Airflow {v} on Python {py}\n#\n"
PINS = {
    "2.10.5": "cython==3.0.0\npymssql==2.2.7\nrequests==2.31.0\n",
    "3.0.0": "cython==3.0.0\npymssql==2.2.7\nrequests==2.32.0\n",
    "3.0.1": "cython==3.0.0\npymssql==2.2.8\nrequests==2.32.3\n",
}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {args} failed: {done.stderr}")
    return done.stdout


def hangar(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hangar.cli.main import main; main()", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def snapshot(repo: Path) -> dict[str, str]:
    """Everything a user could notice about a repository."""
    tree = hashlib.sha256()
    for path in sorted(p for p in repo.rglob("*") if ".git" not in p.relative_to(repo).parts):
        if path.is_file():
            tree.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes())
    head = git(repo, "rev-parse", "HEAD", check=False) if (repo / ".git").exists() else ""
    status = git(repo, "status", "--porcelain") if (repo / ".git").exists() else ""
    return {
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": head,
        "status": status,
        "tree": tree.hexdigest(),
    }


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote with tags constraints-{2.10.5,3.0.0,3.0.1}, and a clone of it."""
    remote, seed, work = tmp_path / "remote.git", tmp_path / "seed", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "constraints-main", str(remote))
    git(tmp_path, "init", "-q", "-b", "constraints-main", str(seed))
    (seed / "README.md").write_text("constraints\n")
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "start")
    for version, pins in PINS.items():
        for py in ("3.11", "3.13"):
            body = HEADER.format(v=version, py=py) + pins
            (seed / f"constraints-{py}.txt").write_text(body)
            (seed / f"constraints-no-providers-{py}.txt").write_text(
                HEADER.format(v=version, py=py) + "requests==2.31.0\n"
            )
        git(seed, "add", ".")
        git(seed, "commit", "-q", "-m", f"constraints for {version}")
        git(seed, "tag", "-a", f"constraints-{version}", "-m", f"Constraints for {version}")
    git(seed, "push", "-q", str(remote), "constraints-main", "--tags")
    git(tmp_path, "clone", "-q", str(remote), str(work))
    return remote, work


def update(work: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return hangar(
        "constraints",
        "update",
        "--repo",
        str(work),
        "--commit-message",
        "Bump pymssql",
        *extra,
        cwd=work.parent,
    )


def file_at(repo: Path, ref: str, path: str) -> str:
    return git(repo, "show", f"{ref}:{path}")


def test_update_moves_tags_pushes_and_keeps_the_old_commit(repos: tuple[Path, Path]) -> None:
    remote, work = repos
    other_tag_before = git(remote, "rev-parse", "refs/tags/constraints-3.0.1")
    old_commit = git(remote, "rev-parse", "constraints-2.10.5^{commit}").strip()
    before = snapshot(work)

    done = update(
        work,
        "--airflow-version",
        "2.10.5,3.0.0",
        "--updated-constraint",
        "pymssql==2.2.8",
        "--comment",
        "pymssql 2.2.7 does not build with Cython 3",
        "--yes",
    )

    assert done.returncode == 0, done.stderr
    assert "-pymssql==2.2.7" in done.stdout
    assert "+pymssql==2.2.8" in done.stdout
    for version in ("2.10.5", "3.0.0"):
        for name in ("constraints-3.11.txt", "constraints-3.13.txt"):
            text = file_at(remote, f"constraints-{version}", name)
            assert "pymssql==2.2.8\n" in text
            assert "# pymssql 2.2.7 does not build with Cython 3\ncython==3.0.0" in text
        # files without the pin get the comment but no pin
        no_prov = file_at(remote, f"constraints-{version}", "constraints-no-providers-3.11.txt")
        assert "pymssql==" not in no_prov
        tip = git(remote, "rev-parse", f"constraints-{version}-fix").strip()
        assert tip == git(remote, "rev-parse", f"constraints-{version}^{{commit}}").strip()
        assert git(remote, "log", "-1", "--format=%s", tip).strip() == "Bump pymssql"
    # the old tagged commit stays reachable on the remote (parent of the fix) and locally
    assert git(remote, "rev-parse", "constraints-2.10.5-fix~1").strip() == old_commit
    backups = git(work, "for-each-ref", "--format=%(refname)", "refs/hangar-backup/")
    assert "refs/hangar-backup/constraints-2.10.5/" in backups
    # local tags follow the remote; the untouched version's tag is the same everywhere
    assert (
        git(work, "rev-parse", "constraints-3.0.0").strip()
        == git(remote, "rev-parse", "constraints-3.0.0").strip()
    )
    assert git(remote, "rev-parse", "refs/tags/constraints-3.0.1") == other_tag_before
    after = snapshot(work)
    assert (after["head"], after["status"], after["tree"]) == (
        before["head"],
        before["status"],
        before["tree"],
    )


def test_second_update_fast_forwards_the_fix_branch(repos: tuple[Path, Path]) -> None:
    remote, work = repos
    first = update(
        work, "--airflow-version", "3.0.0", "--updated-constraint", "pymssql==2.2.8", "--yes"
    )
    second = update(
        work, "--airflow-version", "3.0.0", "--updated-constraint", "cython==3.0.1", "--yes"
    )
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    text = file_at(remote, "constraints-3.0.0", "constraints-3.13.txt")
    assert "pymssql==2.2.8" in text
    assert "cython==3.0.1" in text
    assert git(remote, "rev-list", "--count", "constraints-3.0.0-fix").strip() == "5"  # 3 + 2 fixes


def test_dry_run_shows_the_diff_and_changes_nothing(repos: tuple[Path, Path]) -> None:
    remote, work = repos
    before = (snapshot(work), snapshot(remote))
    done = update(
        work, "--airflow-version", "3.0.0", "--updated-constraint", "requests==2.32.4", "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    assert "-requests==2.32.0" in done.stdout
    assert "+requests==2.32.4" in done.stdout
    assert "git -C" in done.stderr
    assert "push --atomic" in done.stderr
    assert (snapshot(work), snapshot(remote)) == before


def _dirty(work: Path) -> None:
    (work / "constraints-3.11.txt").write_text("edited by hand\n")


def _reject_pushes(remote: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected by policy' >&2\nexit 1\n")
    hook.chmod(0o755)


def _diverge_fix_branch(remote: Path) -> None:
    """Someone else pushed another commit to constraints-3.0.0-fix."""
    commit = git(remote, "rev-parse", "constraints-main").strip()
    git(remote, "update-ref", "refs/heads/constraints-3.0.0-fix", commit)


@pytest.mark.parametrize(
    ("args", "prepare", "code", "message"),
    [
        (
            ["--airflow-version", "3.x", "--updated-constraint", "pymssql==2.2.8"],
            None,
            5,
            "not a valid Airflow version",
        ),
        (
            ["--airflow-version", "3.0.0,9.9.9", "--updated-constraint", "pymssql==2.2.8"],
            None,
            7,
            "tag constraints-9.9.9 is not on remote",
        ),
        (
            ["--airflow-version", "3.0.0", "--updated-constraint", "pymsql==2.2.8"],
            None,
            5,
            "pymsql is not pinned in any constraints file",
        ),
        (
            ["--airflow-version", "3.0.0", "--updated-constraint", "pymssql=2.2.8"],
            None,
            5,
            "not of the form name==version",
        ),
        (
            ["--airflow-version", "3.0.0", "--updated-constraint", "pymssql==2.2.8"],
            "dirty",
            7,
            "uncommitted changes",
        ),
        (
            ["--airflow-version", "2.10.5,3.0.0", "--updated-constraint", "pymssql==2.2.8"],
            "reject",
            7,
            "push to 'origin' rejected",
        ),
        (
            ["--airflow-version", "3.0.0", "--updated-constraint", "pymssql==2.2.8"],
            "diverged",
            7,
            "moving it would lose commits",
        ),
        (
            [
                "--airflow-version",
                "3.0.0",
                "--updated-constraint",
                "pymssql==2.2.8",
                "--remote",
                "upstream",
            ],
            None,
            7,
            "no remote named 'upstream'",
        ),
    ],
    ids=[
        "bad-version",
        "missing-tag",
        "unknown-package",
        "bad-pin",
        "dirty-tree",
        "push-rejected",
        "fix-branch-diverged",
        "no-such-remote",
    ],
)
def test_failure_leaves_both_repositories_unchanged(
    repos: tuple[Path, Path], args: list[str], prepare: str | None, code: int, message: str
) -> None:
    remote, work = repos
    preparations: dict[str, Callable[[], None]] = {
        "dirty": lambda: _dirty(work),
        "reject": lambda: _reject_pushes(remote),
        "diverged": lambda: _diverge_fix_branch(remote),
    }
    if prepare:
        preparations[prepare]()
    before = (snapshot(work), snapshot(remote))

    done = update(work, *args, "--yes")

    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert done.stderr.count("hangar: error:") == 1
    assert "Traceback" not in done.stderr
    assert (snapshot(work), snapshot(remote)) == before


def test_answering_no_at_the_prompt_changes_nothing(repos: tuple[Path, Path]) -> None:
    remote, work = repos
    before = (snapshot(work), snapshot(remote))
    done = hangar(
        "constraints",
        "update",
        "--repo",
        str(work),
        "--commit-message",
        "x",
        "--airflow-version",
        "3.0.0",
        "--updated-constraint",
        "pymssql==2.2.9",
        cwd=work.parent,
        stdin="n\n",
    )
    assert done.returncode == 9, done.stderr
    assert (snapshot(work), snapshot(remote)) == before
