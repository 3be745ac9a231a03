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
from hangar.errors import BadInput, GitError
from hangar.ports import ConstraintsBranch, Runner, cmd, last_line

_ENV = {"GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}



@dataclass(frozen=True, kw_only=True)
class GitConstraintsBranch:
    repo: Path
    remote: str
    branch: str
    runner: Runner

    def _git(self, *args: str, input: str | None = None, reads: bool = True) -> str:
        result = self.runner.run(
            cmd("git", "-C", self.repo, *args, env=_ENV, input=input, changes_state=not reads)
        )
        if not result.ok:
            raise GitError(f"git {args[0]} failed in {self.repo}: {last_line(result.stderr)}")
        return result.stdout

    def tip(self) -> str | None:
        if not (self.repo / ".git").exists() and not (self.repo / "HEAD").exists():
            raise GitError(f"{self.repo} is not a git repository", hint="pass --repo")
        listed = self._git("ls-remote", "--heads", self.remote, f"refs/heads/{self.branch}")
        oid = listed.split("\t", 1)[0].strip()
        if not oid:
            return None
        self._git("fetch", "--no-tags", "--quiet", self.remote, f"refs/heads/{self.branch}")
        return oid

    def files(self, commit: str) -> dict[str, tuple[str, str]]:
        entries: dict[str, tuple[str, str]] = {}
        for line in self._git("ls-tree", commit).splitlines():
            meta, _, name = line.partition("\t")
            mode, _kind, oid = meta.split()
            entries[name] = (mode, oid)
        return entries

    def read(self, blob: str) -> str:
        return self._git("cat-file", "blob", blob)

    def commit(self, *, parent: str | None, files: Mapping[str, str], message: str) -> str:
        entries = self.files(parent) if parent else {}
        for name, text in files.items():
            blob = self._git("hash-object", "-w", "--stdin", input=text, reads=False).strip()
            entries[name] = ("100644", blob or f"<blob {name}>")
        listing = "".join(
            f"{mode} {'tree' if mode == '040000' else 'blob'} {oid}\t{name}\n"
            for name, (mode, oid) in sorted(entries.items())
        )
        tree = self._git("mktree", input=listing, reads=False).strip() or "<tree>"
        parents = ("-p", parent) if parent else ()
        made = self._git("commit-tree", tree, *parents, "-F", "-", input=message, reads=False)
        return made.strip() or "<commit>"

    def push(self, commit: str) -> None:
        result = self.runner.run(
            cmd(
                "git",
                "-C",
                self.repo,
                "push",
                "--porcelain",
                self.remote,
                f"{commit}:refs/heads/{self.branch}",
                env=_ENV,
            )
        )
        if not result.ok:
            rejected = [ln for ln in result.stdout.splitlines() if ln.startswith("!")]
            detail = "; ".join(r.split("\t")[-1] for r in rejected) or last_line(result.stderr)
            raise GitError(
                f"push of constraints to {self.remote} {self.branch} rejected: {detail}",
                hint="someone pushed meanwhile; run the flow again (hangar never force-pushes)",
            )


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
    such as a new cut-off time, are not a change)."""
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
