"""What an image build reads from the outside before it starts: whether images and the registry
are reachable, which platforms the builder runs, the git commit, and the constraints file it
puts into the build context. Each behind a small Protocol, with a fake in the tests.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from hangar.ports import Runner, cmd


@dataclass(frozen=True, kw_only=True)
class DockerImageProbe:
    runner: Runner
    docker: str = "docker"
    timeout: float = 5.0

    def image_available(self, ref: str) -> str | None:
        remote = self.runner.run(
            cmd(self.docker, "buildx", "imagetools", "inspect", ref, changes_state=False)
        )
        if remote.ok:
            return "registry"
        local = self.runner.run(cmd(self.docker, "image", "inspect", ref, changes_state=False))
        return "engine" if local.ok else None

    def registry_reachable(self, registry: str) -> bool:
        """The OCI distribution API answers at http(s)://<registry>/v2/ (401 counts: it is up)."""
        scheme = "http" if registry.startswith(("127.", "localhost")) else "https"
        try:
            with urllib.request.urlopen(f"{scheme}://{registry}/v2/", timeout=self.timeout):
                return True
        except urllib.error.HTTPError as exc:
            return exc.code == 401
        except (urllib.error.URLError, OSError):
            return False

    def builder_platforms(self) -> tuple[str, ...]:
        result = self.runner.run(cmd(self.docker, "buildx", "inspect", changes_state=False))
        for line in result.stdout.splitlines():
            if line.strip().startswith("Platforms:"):
                return tuple(
                    p.strip().rstrip("*") for p in line.split(":", 1)[1].split(",") if p.strip()
                )
        return ()


def git_head(runner: Runner, cwd: Path) -> str:
    """`git rev-parse HEAD` of `cwd`, or "" when it is not a git work tree."""
    result = runner.run(cmd("git", "rev-parse", "HEAD", cwd=cwd, changes_state=False))
    return result.stdout.strip() if result.ok else ""


@contextmanager
def open_log(path: Path) -> Iterator[IO[str]]:
    """A job's log file, truncated: each run of a job gets a fresh log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yield handle



GENERATED_MARK = "# Regenerate with:"


@dataclass(frozen=True, kw_only=True)
class GeneratedConstraints:
    """Constraints from `hangar constraints` (generated once per set of inputs, then reused
    from `cache_dir`), copied into docker-context-files. A file there that hangar did not
    generate is the user's and is left alone."""

    runner: Runner
    cache_dir: Path
    index_url: str | None = None
    exclude_newer: datetime | None = None

    def provide(
        self, *, airflow_version: str, python: str, extras: tuple[str, ...], mode: str, target: Path
    ) -> str:
        from hangar.constraints.cache import ensure_constraints
        from hangar.constraints.resolve import DEFAULT_INDEX_URL, Mode
        from hangar.infra.index import SimpleIndex
        from hangar.infra.uv import UvResolver

        if target.is_file() and GENERATED_MARK not in target.read_text(encoding="utf-8")[:4000]:
            return f"kept your {target.name} in docker-context-files"
        index_url = self.index_url or DEFAULT_INDEX_URL
        path = ensure_constraints(
            airflow_version=airflow_version,
            python=python,
            extras=extras,
            mode=Mode(mode),
            cache_dir=self.cache_dir,
            resolver=UvResolver(runner=self.runner),
            index=SimpleIndex(index_url=index_url),
            exclude_newer=self.exclude_newer,
            index_url=index_url,
        )
        if target.is_file() and target.read_bytes() == path.read_bytes():
            return f"{target.name} up to date"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return f"{target.name} generated from {path.parent.name}"


# What a fresh clone gives the Dockerfile (the .dockerignore allow-list, less local leftovers)
CONTEXT_ENTRIES = ("Dockerfile", ".dockerignore", "scripts/docker", "empty")


def copy_build_context(
    repo: Path,
    dest: Path,
    *,
    dags: Path | None = None,
    files: Mapping[str, bytes | Path] | None = None,
) -> Path:
    """A clean build context at `dest`: exactly what a fresh clone of `repo` gives the
    Dockerfile (docker-context-files holds only its placeholder, not what a local build left
    there), plus `files` placed in docker-context-files and `dags` copied to dags/."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in CONTEXT_ENTRIES:
        src = repo / name
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest / name)
    (dest / "docker-context-files").mkdir(exist_ok=True)
    shutil.copy2(repo / "docker-context-files" / ".README.md", dest / "docker-context-files")
    (dest / "dags").mkdir(exist_ok=True)
    if dags is not None:
        shutil.copytree(dags, dest / "dags", dirs_exist_ok=True)
    for name, content in (files or {}).items():
        target = dest / "docker-context-files" / name
        if isinstance(content, Path):
            shutil.copy2(content, target)
        else:
            target.write_bytes(content)
    return dest
