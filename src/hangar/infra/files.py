"""Files hangar writes for a run: per-job logs and clean build contexts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def open_log(path: Path) -> Iterator[IO[str]]:
    """A job's log file, truncated: each run of a job gets a fresh log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yield handle


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
