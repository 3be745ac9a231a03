"""`hangar ci push-constraints` against real git: a bare remote and a clone of it. One commit
when pins changed, none when they did not, never a forced push, one line when rejected.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from hangar.cli.main import cli
from hangar.constraints.publish import push_if_changed
from hangar.errors import GitError
from hangar.infra.git import GitConstraintsBranch
from hangar.infra.process import SubprocessRunner

pytestmark = pytest.mark.integration

PINS = "#\n# Constraints (cut-off {when})\n#\ncelery==5.5.3\nredis==6.2.0\n"


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t.invalid",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    for name in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{name}_NAME", "hangar tests")
        monkeypatch.setenv(f"GIT_{name}_EMAIL", "tests@hangar.invalid")
    bare = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(bare), str(clone))
    _git(clone, "checkout", "-q", "-b", "constraints-main")
    (clone / "constraints-3.11.txt").write_text(PINS.format(when="monday"))
    _git(clone, "add", ".")
    _git(clone, "commit", "-q", "-m", "first")
    _git(clone, "push", "-q", "origin", "constraints-main")
    return bare, clone


def _generated(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "generated"
    folder.mkdir(exist_ok=True)
    (folder / "constraints-3.11.txt").write_text(text)
    return folder


def _push(source: Path, clone: Path) -> tuple[int, str]:
    result = subprocess.run(
        [
            str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "hangar"),
            "ci",
            "push-constraints",
            "--from",
            str(source),
            "--repo",
            str(clone),
            "--message",
            "Update constraints",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_one_commit_when_pins_changed_none_when_only_the_header_did(
    remote: tuple[Path, Path], tmp_path: Path
) -> None:
    bare, clone = remote
    same = _generated(tmp_path, PINS.format(when="tuesday"))
    code, out = _push(same, clone)
    assert code == 0, out
    assert "constraints unchanged" in out
    assert _git(bare, "rev-list", "--count", "constraints-main") == "1"
    changed = _generated(tmp_path, PINS.format(when="tuesday").replace("5.5.3", "5.6.0"))
    code, out = _push(changed, clone)
    assert code == 0, out
    assert _git(bare, "rev-list", "--count", "constraints-main") == "2"
    assert "celery==5.6.0" in _git(bare, "show", "constraints-main:constraints-3.11.txt")
    assert _git(clone, "status", "--porcelain") == ""  # the clone's work tree is untouched


def test_a_rejected_push_is_one_line_and_exit_code_7(
    remote: tuple[Path, Path], tmp_path: Path
) -> None:
    bare, clone = remote
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'branch is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    changed = _generated(tmp_path, PINS.format(when="x").replace("6.2.0", "6.3.0"))
    result = CliRunner().invoke(
        cli, ["ci", "push-constraints", "--from", str(changed), "--repo", str(clone)]
    )
    assert isinstance(result.exception, GitError)
    code, out = _push(changed, clone)
    assert code == 7
    errors = [line for line in out.splitlines() if line.startswith("hangar: error:")]
    assert len(errors) == 1
    assert "rejected" in errors[0]
    assert _git(bare, "rev-list", "--count", "constraints-main") == "1"


def test_a_concurrent_push_is_not_overwritten(remote: tuple[Path, Path], tmp_path: Path) -> None:
    bare, clone = remote

    class Racing(GitConstraintsBranch):
        def push(self, commit: str) -> None:  # someone else pushes first
            other = tmp_path / "other"
            _git(tmp_path, "clone", "-q", "-b", "constraints-main", str(bare), str(other))
            (other / "NOTE.md").write_text("theirs\n")
            _git(other, "add", ".")
            _git(other, "commit", "-q", "-m", "theirs")
            _git(other, "push", "-q", "origin", "constraints-main")
            super().push(commit)

    branch = Racing(
        repo=clone, remote="origin", branch="constraints-main", runner=SubprocessRunner()
    )
    with pytest.raises(GitError, match="rejected"):
        push_if_changed(
            branch,
            name="constraints-main",
            files={"constraints-3.11.txt": PINS.replace("6.2.0", "7.0.0")},
            message="mine",
        )
    assert _git(bare, "log", "-1", "--format=%s", "constraints-main") == "theirs"
