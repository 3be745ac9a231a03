"""A constraints branch in memory, behind the ConstraintsBranch interface."""

from __future__ import annotations

from collections.abc import Mapping

from hangar.errors import GitError


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
