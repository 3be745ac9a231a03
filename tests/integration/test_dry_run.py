"""Every command that takes `--dry-run` changes nothing anywhere: the registry's tags (and the
digests they point at), the engine's images and containers, the git refs of every repository
involved, and the files of the folders it runs in are read before and after and compared.

Nothing is built: each command runs against the real engine, the local registry and real git
repositories, in a throwaway folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hangar.ci.flows import EVENTS, flow_for
from hangar.infra.registry import HttpRegistry
from tests.images import BASES, HANGAR, REGISTRY, REPO, empty_repository
from tests.integration.constraints.test_update import repos, update  # noqa: F401 -- a fixture

pytestmark = pytest.mark.integration

GIT_ENV = {
    "GIT_AUTHOR_NAME": "hangar tests",
    "GIT_AUTHOR_EMAIL": "tests@hangar.invalid",
    "GIT_COMMITTER_NAME": "hangar tests",
    "GIT_COMMITTER_EMAIL": "tests@hangar.invalid",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout


def _catalog() -> tuple[str, ...]:
    """Every repository of the local registry (its catalog, page by page)."""
    found: list[str] = []
    last = ""
    while True:
        url = f"http://{REGISTRY}/v2/_catalog?n=1000&last={last}"
        with urllib.request.urlopen(url, timeout=15) as answer:
            page = json.loads(answer.read()).get("repositories") or []
        found += page
        if len(page) < 1000:
            return tuple(found)
        last = page[-1]


def _files(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder` with its content's hash, git's own state (refs,
    HEAD, index, config, FETCH_HEAD) and its objects included.
    """
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        found[str(relative)] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
        )
    return found


def _refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)") + git(
        repo, "rev-parse", "--symbolic-full-name", "HEAD"
    )


IMAGE_LINE = "{{.ID}} {{.Repository}}:{{.Tag}}"


@dataclass(frozen=True)
class World:
    """What a user could notice about the world a command ran in."""

    tags: dict[str, tuple[str, ...]]  # every repository of the registry -> its tags
    digests: dict[str, str | None]  # the tags of the watched repositories -> their digests
    images: str  # the engine's images (ids and names)
    containers: str
    refs: dict[str, str]
    files: dict[str, dict[str, str]]


def look(
    registry: HttpRegistry,
    *,
    watch: Sequence[str] = (),
    gits: Sequence[Path] = (),
    folders: Sequence[Path] = (),
) -> World:
    tags = {name: tuple(sorted(registry.list_tags(name))) for name in _catalog()}
    digests = {
        f"{name}:{tag}": registry.digest(name, tag) for name in watch for tag in tags.get(name, ())
    }
    images = subprocess.run(
        (
            "docker",
            "image",
            "ls",
            "--all",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Repository}}:{{.Tag}}",
        ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    containers = subprocess.run(
        ("docker", "ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.Image}} {{.Status}}"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return World(
        tags=tags,
        digests=digests,
        images="\n".join(sorted(images.splitlines())),
        containers="\n".join(sorted(line.split(" ", 2)[0] for line in containers.splitlines())),
        refs={str(r): _refs(r) for r in gits},
        files={str(f): _files(f) for f in folders},
    )


def hangar(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **GIT_ENV, "HANGAR_REGISTRY": REGISTRY, **(env or {})},
    )


def assert_unchanged(before: World, after: World) -> None:
    assert after.digests == before.digests, "a dry run moved a tag"
    assert after.tags == before.tags, "a dry run added or removed a tag"
    assert after.images == before.images, "a dry run changed the engine's images"
    assert after.containers == before.containers, "a dry run left a container"
    assert after.refs == before.refs, "a dry run changed a git ref"
    assert after.files == before.files, "a dry run wrote a file"


# -- image release ------------------------------------------------------------------------------


@pytest.fixture
def released(registry: HttpRegistry) -> Iterator[str]:
    """A repository holding 3.3.2 for Python 3.13 and its images of 2026-11-01 and -12-01
    (the 3.11 and 3.13 bases standing in for them); the floating tag is on the newer.
    """
    name = f"hangar-test-{uuid.uuid4().hex[:10]}"
    older, newer = (BASES[py].rsplit(":", 1)[1] for py in ("3.11", "3.13"))
    for tag, source in (
        ("3.3.2-python3.13-20261101", older),
        ("3.3.2-python3.13-20261201", newer),
        ("3.3.2-python3.13", newer),
        ("3.3.2", newer),
    ):
        registry.copy(source_repository="python", source_reference=source, repository=name, tag=tag)
    yield name
    empty_repository(registry, name)


def rollback_plan(released: str, folder: Path) -> dict[str, Any]:
    """The JSON plan of a dry rollback of `released` to its image of 2026-11-01."""
    done = hangar(
        "image", "rollback", "3.3.2", "--python", "3.13", "--image-name", released,
        "--to", "20261101", "--dry-run", "--output", "json", cwd=folder,
        env={"HANGAR_BARE_TAG_PYTHON": "3.13"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan: dict[str, Any] = json.loads(done.stdout)["plan"]
    return plan


def test_rollback_dry_run_shows_the_move_and_moves_no_tag(
    registry: HttpRegistry, released: str, tmp_path: Path
) -> None:
    before = look(registry, watch=[released], folders=[tmp_path])
    plan = rollback_plan(released, tmp_path)
    tags = {t["tag"].rsplit(":", 1)[1]: t for t in plan["tags"]}
    older = before.digests[f"{released}:3.3.2-python3.13-20261101"]
    assert tags["3.3.2-python3.13"]["digest"] == older  # the plan says where it would go
    assert_unchanged(before, look(registry, watch=[released], folders=[tmp_path]))


def test_rollback_dry_run_shows_the_dated_tag_that_keeps_the_current_image(
    registry: HttpRegistry, released: str, tmp_path: Path
) -> None:
    # the floating tag on an image that has no dated tag yet: a rollback would give it one
    newest = BASES["3.14"].rsplit(":", 1)[1]
    registry.copy(
        source_repository="python", source_reference=newest, repository=released,
        tag="3.3.2-python3.13",
    )  # fmt: skip
    before = look(registry, watch=[released], folders=[tmp_path])
    plan = rollback_plan(released, tmp_path)
    (kept,) = plan["keeps"]
    assert kept["tag"].startswith(f"{REGISTRY}/{released}:3.3.2-python3.13-20")
    assert kept["digest"] == before.digests[f"{released}:3.3.2-python3.13"]
    assert_unchanged(before, look(registry, watch=[released], folders=[tmp_path]))


def test_release_dry_run_moves_no_tag(
    registry: HttpRegistry, released: str, tmp_path: Path
) -> None:
    before = look(registry, watch=[released], folders=[tmp_path])
    done = hangar(
        "image", "release", "3.3.3", "--python", "3.13", "--image-name", released,
        "--source", f"{REGISTRY}/{released}:3.3.2-python3.13-20261101", "--dry-run",
        cwd=tmp_path, env={"HANGAR_BARE_TAG_PYTHON": "3.13"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "release plan" in done.stdout
    assert_unchanged(before, look(registry, watch=[released], folders=[tmp_path]))


@pytest.mark.parametrize("mode", ["--every-released", "--patch", "--refresh-base"])
def test_rerelease_modes_refuse_a_dry_run_before_anything(
    registry: HttpRegistry, released: str, tmp_path: Path, mode: str
) -> None:
    before = look(registry, watch=[released], folders=[tmp_path])
    version = () if mode == "--every-released" else ("3.3.2",)
    done = hangar(
        "image", "release", *version, "--python", "3.13", "--image-name", released, mode,
        "--dry-run", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 5, done.stderr
    assert "--dry-run shows the plan of a release or a rollback only" in done.stderr
    assert_unchanged(before, look(registry, watch=[released], folders=[tmp_path]))


# -- builds -------------------------------------------------------------------------------------


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """A user's folder (not a checkout of hangar): DAGs, requirements, context files."""
    folder = tmp_path / "my-airflow"
    (folder / "dags").mkdir(parents=True)
    (folder / "dags" / "hello.py").write_text("from airflow.sdk import dag\n")
    (folder / "docker-context-files").mkdir()
    (folder / "docker-context-files" / "README.txt").write_text("wheels go here\n")
    (folder / "requirements.txt").write_text("apache-airflow-providers-http\n")
    return folder


BUILDS = {
    "image build": ("image", "build", "--python", "3.11", "--push", "--cache", "registry"),
    "cache refresh": ("cache", "refresh", "--python", "3.11"),
    "ci build-image": ("ci", "build-image", "--python", "3.11", "--push"),
}


@pytest.mark.parametrize("command", sorted(BUILDS))
def test_build_dry_runs_build_nothing_and_write_no_context(
    registry: HttpRegistry, user_folder: Path, command: str
) -> None:
    name = f"hangar-test-{uuid.uuid4().hex[:10]}/airflow"
    before = look(registry, folders=[user_folder])
    done = hangar(*BUILDS[command], "--dry-run", cwd=user_folder, env={"HANGAR_IMAGE_NAME": name})
    assert done.returncode == 0, done.stderr
    assert "docker buildx build" in done.stdout
    assert f"would assemble the build context {user_folder / '.hangar' / 'context'}" in done.stdout
    assert_unchanged(before, look(registry, folders=[user_folder]))
    assert not (user_folder / ".hangar").exists()


# -- set-up -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "command"),
    [
        ("scripts/build-base-image.sh", ("base", "build", "--python", "3.11", "--push")),
        (
            "scripts/build-base-image.sh",
            (
                "base",
                "build",
                "--python",
                "3.11",
                "--platform",
                "linux/amd64,linux/arm64",
                "--push",
            ),
        ),
        ("scripts/setup-env.sh", ("env", "up", "--test")),
    ],
    ids=["base build", "base build, two platforms", "env up"],
)
def test_set_up_dry_runs_print_the_script_and_run_nothing(
    registry: HttpRegistry, tmp_path: Path, script: str, command: tuple[str, ...]
) -> None:
    folder = tmp_path / "checkout"
    (folder / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / script, folder / script)
    before = look(registry, folders=[folder])
    done = hangar(*command, "--dry-run", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert script in done.stdout
    if "--platform" in command:  # the whole plan: both platforms, one index pushed
        assert "--platform linux/amd64,linux/arm64 --push" in done.stdout
    assert_unchanged(before, look(registry, folders=[folder]))


# -- git ----------------------------------------------------------------------------------------


@pytest.fixture
def constraints_remote(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote with a constraints-main branch, and a clone of it."""
    remote, clone = tmp_path / "remote.git", tmp_path / "clone"
    git(tmp_path, "init", "-q", "--bare", "-b", "constraints-main", str(remote))
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    git(clone, "checkout", "-q", "-b", "constraints-main")
    (clone / "constraints-3.11.txt").write_text("celery==5.5.3\n")
    git(clone, "add", ".")
    git(clone, "commit", "-q", "-m", "first")
    git(clone, "push", "-q", "origin", "constraints-main")
    return remote, clone


def test_push_constraints_dry_run_commits_and_pushes_nothing(
    registry: HttpRegistry, tmp_path: Path, constraints_remote: tuple[Path, Path]
) -> None:
    remote, clone = constraints_remote
    # the remote has moved on since the clone was made: its new objects are not in the clone
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", "constraints-main", str(remote), str(other))
    (other / "constraints-3.13.txt").write_text("celery==5.5.3\n")
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "second")
    git(other, "push", "-q", "origin", "constraints-main")
    generated = tmp_path / "generated"
    generated.mkdir()
    (generated / "constraints-3.11.txt").write_text("celery==5.5.4\n")
    before = look(registry, gits=[remote, clone], folders=[clone, remote, generated])
    done = hangar(
        "ci", "push-constraints", "--from", str(generated), "--repo", str(clone), "--dry-run",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"git -C {clone} push" in done.stderr  # the push it would make
    assert_unchanged(
        before, look(registry, gits=[remote, clone], folders=[clone, remote, generated])
    )


@pytest.mark.parametrize("event", EVENTS)
def test_ci_run_dry_run_runs_no_step_that_changes_anything(
    registry: HttpRegistry, tmp_path: Path, constraints_remote: tuple[Path, Path], event: str
) -> None:
    _remote, clone = constraints_remote
    work = tmp_path / "work"
    shutil.copytree(REPO / "scripts" / "docker", work / "scripts" / "docker")
    for name in ("Dockerfile", ".dockerignore"):
        shutil.copy2(REPO / name, work / name)
    (work / "empty").mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "the image sources")
    name = f"hangar-test-{uuid.uuid4().hex[:10]}/airflow"
    before = look(registry, gits=[work, clone], folders=[work, clone])
    done = hangar(
        "ci", "run", "--event", event, "--python", "3.11", "--constraints-repo", str(clone),
        "--dry-run", cwd=work, env={"HANGAR_IMAGE_NAME": name},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    # the steps it would run, printed: each hangar step of the flow
    flow = flow_for(event)
    for stage in flow.stages:
        for step in stage.steps:
            if step.changes_state:
                assert " ".join(step.argv[:2]) in done.stdout, (event, step.name)
    assert_unchanged(before, look(registry, gits=[work, clone], folders=[work, clone]))


def test_constraints_update_dry_run_moves_no_tag_and_pushes_nothing(
    registry: HttpRegistry,
    repos: tuple[Path, Path],  # noqa: F811 -- the fixture of test_update, imported
) -> None:
    remote, work = repos
    before = look(registry, gits=[remote, work], folders=[remote, work])
    done = update(
        work, "--airflow-version", "3.0.0", "--updated-constraint", "requests==2.32.4", "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    assert "+requests==2.32.4" in done.stdout
    assert_unchanged(before, look(registry, gits=[remote, work], folders=[remote, work]))
