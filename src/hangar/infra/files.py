"""Files hangar reads and writes for a run: the image recipe, build contexts, per-job logs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

import hangar


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
    there), plus `files` placed in docker-context-files and `dags` copied to dags/.
    """
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


def recipe_dir() -> Path:
    """The image recipe (Dockerfile, .dockerignore, scripts/docker, empty/): inside the
    installed package, or the checkout an editable install runs from.
    """
    package = Path(hangar.__file__).resolve().parent
    shipped = package / "recipe"
    if (shipped / "Dockerfile").is_file():
        return shipped
    return package.parents[1]


def assemble_context(recipe: Path, folder: Path, dest: Path, *, extra: Sequence[str] = ()) -> Path:
    """A build context at `dest` (made anew): the recipe, plus what the user's `folder`
    supplies: docker-context-files/ (wheels, requirements, constraints) and dags/. Files are
    hard-linked where the file system allows, so large wheels cost nothing to add.
    """
    if dest.exists():
        shutil.rmtree(dest)
    copy_build_context(recipe, dest)
    for name in ("docker-context-files", "dags", *extra):
        source = folder / name
        if source.is_dir():
            shutil.copytree(source, dest / name, dirs_exist_ok=True, copy_function=_link_or_copy)
    requirements = dest / "docker-context-files" / "requirements.txt"
    if (folder / "requirements.txt").is_file() and not requirements.exists():
        _link_or_copy(str(folder / "requirements.txt"), str(requirements))
    return dest


def is_recipe(folder: Path) -> bool:
    """A folder that holds hangar's image recipe itself (a checkout, or a context made from
    one), and so is built as it is.
    """
    return (folder / "Dockerfile").is_file() and (folder / "scripts/docker/entrypoint.sh").is_file()


def _link_or_copy(src: str, dst: str) -> None:
    try:
        Path(dst).unlink(missing_ok=True)
        Path(dst).hardlink_to(src)
    except OSError:
        shutil.copy2(src, dst)


class LocalFiles:
    """The files adapter that writes."""

    def assemble_context(
        self, recipe: Path, folder: Path, dest: Path, *, extra: Sequence[str] = ()
    ) -> Path:
        return assemble_context(recipe, folder, dest, extra=extra)

    def open_log(self, path: Path) -> AbstractContextManager[IO[str]]:
        return open_log(path)

    def make_folder(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        return path
