"""`hangar ci run` end to end: the canary flow against a scratch repository, the local
registry and a bare git remote for constraints; run again with nothing changed; then a fork's
pull request: its images built into OCI archives with no push, handed over to the push job,
which pushes them after the builds ended, while the tests wait for them.

Small images (Python 3.11, extras celery,postgres), unique repository names per run, the
registry cache reused. One scratch repository for the module: the three runs build on each
other the way CI runs do.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hangar.infra.registry import HttpRegistry
from tests.images import REGISTRY, REPO, make_context

pytestmark = [pytest.mark.integration, pytest.mark.network, pytest.mark.fresh_builder(2)]

HANGAR = REPO / ".venv" / "bin" / "hangar"
FLAGS = ("--python", "3.11", "--extras", "celery,postgres")


@dataclass(frozen=True)
class Scratch:
    work: Path  # the repository the flows run in
    clone: Path  # a clone of the constraints remote
    remote: Path  # the bare constraints remote
    image_name: str
    env: dict[str, str]
    cutoff: str

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or self.work,
            capture_output=True,
            text=True,
            check=True,
            env=self.env,
        )
        return done.stdout.strip()

    def run(self, event: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:  # type: ignore[type-arg]
        done = subprocess.run(
            [
                str(HANGAR),
                "ci",
                "run",
                "--event",
                event,
                *FLAGS,
                "--upgrade-cutoff",
                self.cutoff,
                "--constraints-repo",
                str(self.clone),
                "--wait-timeout",
                "900",
                "--output",
                "json",
                *extra,
            ],
            cwd=self.work,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=2400,
            check=False,
        )
        summary = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
        return done, summary

    def branch_commits(self) -> list[str]:
        out = self.git("rev-list", "constraints-main", cwd=self.remote)
        return out.splitlines()


def _git(cwd: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scratch]:
    root = tmp_path_factory.mktemp("ci")
    root.chmod(0o755)
    env = {
        **os.environ,
        "HANGAR_REGISTRY": REGISTRY,
        "HANGAR_IMAGE_NAME": f"hangar-ci-{uuid.uuid4().hex[:10]}/airflow",
        "HANGAR_CACHE_DIR": str(REPO / ".hangar" / "cache"),
        "GIT_AUTHOR_NAME": "hangar tests",
        "GIT_AUTHOR_EMAIL": "tests@hangar.invalid",
        "GIT_COMMITTER_NAME": "hangar tests",
        "GIT_COMMITTER_EMAIL": "tests@hangar.invalid",
    }
    work = make_context(root / "work")
    dags = work / "tests" / "image" / "dags"
    dags.mkdir(parents=True)
    shutil.copy2(REPO / "tests" / "image" / "dags" / "example_hangar.py", dags)
    for folder in (work, work / "tests", work / "tests" / "image", dags):
        folder.chmod(0o755)
    _git(work, "init", "-q", "-b", "main", env=env)
    _git(work, "add", "-A", env=env)
    _git(work, "commit", "-q", "-m", "scratch: the image sources", env=env)
    (work / "NOTES.md").write_text("scratch repository for hangar's CI flow tests\n")
    _git(work, "add", "NOTES.md", env=env)
    _git(work, "commit", "-q", "-m", "scratch: notes", env=env)
    remote = root / "constraints.git"
    _git(root, "init", "-q", "--bare", str(remote), env=env)
    # a new repository: its remote has no constraints-main yet (the first canary makes it)
    clone = root / "constraints"
    _git(root, "clone", "-q", str(remote), str(clone), env=env)
    cutoff = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    yield Scratch(
        work=work,
        clone=clone,
        remote=remote,
        image_name=env["HANGAR_IMAGE_NAME"],
        env=env,
        cutoff=cutoff,
    )
    # the images the wait steps pulled into the engine (the registry keeps its copies)
    listed = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    prefix = f"{REGISTRY}/{env['HANGAR_IMAGE_NAME']}"
    pulled = [ref for ref in listed.stdout.split() if ref.startswith(prefix)]
    if pulled:
        subprocess.run(["docker", "image", "rm", "-f", *pulled], capture_output=True, check=False)


def _tags(repository: str) -> set[str]:
    return set(HttpRegistry(host=REGISTRY).list_tags(repository))


def _job(summary: dict, stage: str) -> dict:  # type: ignore[type-arg]
    return next(j for j in summary["jobs"] if j["stage"] == stage)


def _why(scratch: Scratch, done: subprocess.CompletedProcess[str], summary: dict) -> str:  # type: ignore[type-arg]
    """What a failed flow printed, with each failed job's whole error and the end of its log."""
    parts = [done.stderr[-3000:]]
    for job in summary.get("jobs", []):
        if job["status"] != "failed":
            continue
        parts.append(f"--- {job['stage']} failed at {job['failed_step']}: {job['detail']}")
        log = scratch.work / job["log"] if job["log"] else None
        if log is not None and log.is_file():
            parts.append("\n".join(log.read_text(errors="replace").splitlines()[-40:]))
    return "\n".join(parts)


def _install_steps_cached(log: str) -> bool:
    """Every `install-airflow.sh` step of a buildx plain log was taken from the cache."""
    ids = set(re.findall(r"^#(\d+) \[[^\]]+\] RUN .*install-airflow\.sh", log, re.MULTILINE))
    return bool(ids) and all(re.search(rf"^#{i} CACHED$", log, re.MULTILINE) for i in ids)


def test_canary_pushes_images_cache_and_constraints_once(scratch: Scratch) -> None:
    done, summary = scratch.run("push")
    assert done.returncode == 0, _why(scratch, done, summary)
    assert summary["ok"] is True
    assert all(j["status"] == "ok" for j in summary["jobs"]), summary
    sha = scratch.git("rev-parse", "HEAD")
    expected = {f"{sha}-python3.11", "latest-python3.11", "cache-python3.11-linux-amd64"}
    assert expected <= _tags(scratch.image_name)
    assert expected <= _tags(f"{scratch.image_name}/ci")
    # the first constraints start the branch: one commit, with no parent (an orphan branch)
    commits = scratch.branch_commits()
    assert len(commits) == 1, commits
    assert (
        scratch.git("rev-list", "--parents", "-n", "1", commits[0], cwd=scratch.remote)
        == (commits[0])
    )
    files = scratch.git("ls-tree", "--name-only", "constraints-main", cwd=scratch.remote)
    assert "constraints-3.11.txt" in files.splitlines()
    pushed = scratch.git("show", "constraints-main:constraints-3.11.txt", cwd=scratch.remote)
    assert "apache-airflow-providers-celery==" in pushed
    assert scratch.cutoff in pushed  # resolved as the index stood at the upgrade cut-off


def test_second_canary_pushes_no_constraints_and_builds_from_cache(scratch: Scratch) -> None:
    before = scratch.branch_commits()
    done, summary = scratch.run("push")
    assert done.returncode == 0, _why(scratch, done, summary)
    assert scratch.branch_commits() == before
    push_log = (scratch.work / _job(summary, "push-constraints")["log"]).read_text()
    assert "constraints unchanged" in push_log
    build_log = next(
        (scratch.work / _job(summary, "ci-image")["log"]).parent.glob("ci-image-3.11/build-*.log")
    ).read_text()
    assert _install_steps_cached(build_log), build_log[-3000:]


def test_fork_pull_request_images_are_archived_then_pushed_while_the_tests_wait(
    scratch: Scratch,
) -> None:
    (scratch.work / "NOTES.md").write_text("a contributor's change\n")
    (scratch.work / "scripts" / "docker" / "fork-change.txt").write_text("from a fork\n")
    scratch.git("add", "-A")
    scratch.git("commit", "-q", "-m", "a fork's change")
    sha = scratch.git("rev-parse", "HEAD")
    assert f"{sha}-python3.11" not in _tags(f"{scratch.image_name}/ci")
    done, summary = scratch.run("pull_request_fork")
    assert done.returncode == 0, _why(scratch, done, summary)
    statuses = {(j["stage"], j["workflow"]): j["status"] for j in summary["jobs"]}
    assert statuses[("build-ci-image", "build-images")] == "ok"
    assert statuses[("build-prod-image", "build-images")] == "ok"
    assert statuses[("push-images", "push-images")] == "ok"
    assert statuses[("ci-image", "tests")] == "ok"
    assert statuses[("tests", "tests")] == "ok"
    wait_log = (scratch.work / _job(summary, "ci-image")["log"]).read_text()
    assert "not there yet" in wait_log  # the tests waited for the hand-over
    # the builds wrote archives and pushed nothing; the push job pushed exactly those images
    build_log = (scratch.work / _job(summary, "build-ci-image")["log"]).read_text()
    assert "--archive" in build_log
    assert "--push" not in build_log
    archives = (scratch.work / _job(summary, "push-images")["log"]).parent / "archives"
    registry = HttpRegistry(host=REGISTRY)
    for kind, repository in (("ci", f"{scratch.image_name}/ci"), ("prod", scratch.image_name)):
        archived = _archived_digest(archives / kind / "3.11.oci.tar")
        assert registry.digest(repository, f"{sha}-python3.11") == archived, kind
    assert "push-constraints" not in {j["stage"] for j in summary["jobs"]}


def _archived_digest(path: Path) -> str:
    """The digest of the image an OCI archive holds (its index.json's one entry)."""
    with tarfile.open(path) as tar:
        handle = tar.extractfile("index.json")
        assert handle is not None
        return str(json.load(handle)["manifests"][0]["digest"])
