"""Push generated constraints to the constraints branch of a remote, only when they changed.

The commit is written with git plumbing on top of the remote branch's tip (fetched first), so
the work tree of the clone is never touched, and pushed with a plain `git push` (never
forced): if someone else pushed meanwhile, the push is rejected and nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hangar.constraints import files as core
from hangar.errors import BadInput
from hangar.ports import ConstraintsBranch


@dataclass(frozen=True, kw_only=True)
class PushResult:
    branch: str
    parent: str | None
    commit: str | None  # None: nothing changed, nothing pushed
    changed: tuple[str, ...]  # file names whose pins changed (or that are new)
    unchanged: tuple[str, ...]


def generated_files(folder: Path) -> dict[str, str]:
    """constraints*.txt files of `folder` (what `hangar constraints generate` wrote)."""
    if not folder.is_dir():
        raise BadInput(f"no generated constraints in {folder}", hint="generate them first")
    found = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("constraints*.txt"))}
    if not found:
        raise BadInput(f"no constraints*.txt files in {folder}", hint="generate them first")
    return found


def push_if_changed(
    branch: ConstraintsBranch, *, name: str, files: Mapping[str, str], message: str
) -> PushResult:
    """Commit and push the files whose pins differ from the branch's (header-only changes,
    such as a new cut-off time, are not a change).
    """
    parent = branch.tip()
    existing = branch.files(parent) if parent else {}
    changed: list[str] = []
    unchanged: list[str] = []
    for file_name, text in sorted(files.items()):
        old = branch.read(existing[file_name][1]) if file_name in existing else None
        same = old is not None and core.parse(old).pins == core.parse(text).pins
        (unchanged if same else changed).append(file_name)
    if not changed:
        return PushResult(
            branch=name, parent=parent, commit=None, changed=(), unchanged=tuple(unchanged)
        )
    commit = branch.commit(
        parent=parent, files={n: files[n] for n in changed}, message=message.strip() + "\n"
    )
    branch.push(commit)
    return PushResult(
        branch=name,
        parent=parent,
        commit=commit,
        changed=tuple(changed),
        unchanged=tuple(unchanged),
    )
