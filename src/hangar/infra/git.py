"""git, run through the one process Runner.

Read-only queries are marked `changes_state=False` (a dry run still runs them); everything
else is printed instead of run by the DryRunRunner, which returns no output, so methods that
create objects return a readable placeholder in that case.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from hangar.errors import GitError
from hangar.ports import Runner, TreeEntry, cmd, last_line

_NO_PAGER = {"GIT_PAGER": "cat", "PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


@dataclass(frozen=True, kw_only=True)
class GitCli:
    repo: Path
    runner: Runner
    git_bin: str = "git"

    def _read(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> tuple[int, str, str]:
        result = self.runner.run(
            cmd(self.git_bin, "-C", self.repo, *args, env=_NO_PAGER, changes_state=False)
        )
        if result.returncode not in ok_codes:
            raise GitError(f"git {' '.join(args)} failed: {last_line(result.stderr)}")
        return result.returncode, result.stdout, result.stderr

    def _write(self, *args: str, stdin: str | None = None, label: str = "") -> str:
        result = self.runner.run(
            cmd(self.git_bin, "-C", self.repo, *args, env=_NO_PAGER, input=stdin)
        )
        if not result.ok:
            raise GitError(f"git {args[0]} failed: {last_line(result.stderr or result.stdout)}")
        return result.stdout.strip() or f"<{label}>"

    def toplevel(self) -> Path:
        if not self.repo.is_dir():
            raise GitError(f"{self.repo} is not a directory")
        _, out, _ = self._read("rev-parse", "--show-toplevel")
        return Path(out.strip())

    def status(self) -> str:
        _, out, _ = self._read("status", "--porcelain", "--untracked-files=normal")
        return out

    def head_ref(self) -> str | None:
        code, out, _ = self._read("symbolic-ref", "-q", "HEAD", ok_codes=(0, 1))
        return out.strip() if code == 0 else None

    def remote_url(self, remote: str) -> str:
        code, out, _ = self._read("remote", "get-url", remote, ok_codes=(0, 2, 128))
        if code != 0:
            raise GitError(f"no remote named {remote!r} in {self.repo}", hint="use --remote")
        return out.strip()

    def remote_refs(self, remote: str) -> Mapping[str, str]:
        """Refs of the remote (tags peeled to `<tag>^{}` entries too), without fetching."""
        code, out, err = self._read("ls-remote", "--heads", "--tags", remote, ok_codes=(0, 2, 128))
        if code not in (0, 2):
            raise GitError(f"cannot reach remote {remote!r}: {last_line(err)}")
        refs: dict[str, str] = {}
        for line in out.splitlines():
            oid, _, ref = line.partition("\t")
            if ref:
                refs[ref] = oid
        return refs

    def resolve(self, ref: str) -> str | None:
        code, out, _ = self._read("rev-parse", "-q", "--verify", ref, ok_codes=(0, 1, 128))
        return out.strip() if code == 0 else None

    def ls_tree(self, treeish: str) -> tuple[TreeEntry, ...]:
        return parse_ls_tree(self._read("ls-tree", treeish)[1])

    def diff_names(self, base: str, head: str) -> tuple[str, ...] | None:
        """Files changed between `base` and `head` (three-dot), or None when git cannot say."""
        code, out, _ = self._read(
            "diff", "--name-only", f"{base}...{head}", ok_codes=(0, 1, 128, 129)
        )
        return tuple(line for line in out.splitlines() if line.strip()) if code == 0 else None

    def commit_time(self) -> int | None:
        code, out, _ = self._read("log", "-1", "--format=%ct", ok_codes=(0, 128))
        text = out.strip()
        return int(text) if code == 0 and text.isdigit() else None

    def head_commit(self) -> str:
        """The commit checked out, or "" outside a git work tree."""
        code, out, _ = self._read("rev-parse", "HEAD", ok_codes=(0, 128))
        return out.strip() if code == 0 else ""

    def show(self, treeish: str, path: str) -> str:
        return self._read("show", f"{treeish}:{path}")[1]

    def ident(self) -> str:
        code, out, _ = self._read("var", "GIT_COMMITTER_IDENT", ok_codes=(0, 128))
        if code != 0:
            raise GitError(
                "git does not know who you are", hint="set user.name and user.email in git config"
            )
        return out.strip()

    def write_blob(self, content: str, *, label: str) -> str:
        return self._write("hash-object", "-w", "--stdin", stdin=content, label=label)

    def write_tree(self, mktree_input: str, *, label: str) -> str:
        return self._write("mktree", stdin=mktree_input, label=label)

    def write_commit(self, *, tree: str, parent: str, message: str, label: str) -> str:
        return self._write("commit-tree", tree, "-p", parent, "-F", "-", stdin=message, label=label)

    def write_tag(self, mktag_input: str, *, label: str) -> str:
        return self._write("mktag", stdin=mktag_input, label=label)

    def push_atomic(
        self, remote: str, refspecs: Sequence[str], *, leases: Mapping[str, str]
    ) -> None:
        lease_args = [f"--force-with-lease={ref}:{oid}" for ref, oid in sorted(leases.items())]
        result = self.runner.run(
            cmd(
                self.git_bin,
                "-C",
                self.repo,
                "push",
                "--atomic",
                "--porcelain",
                *lease_args,
                remote,
                *refspecs,
                env=_NO_PAGER,
            )
        )
        if not result.ok:
            rejected = [ln for ln in result.stdout.splitlines() if ln.startswith("!")]
            detail = "; ".join(r.split("\t", 1)[-1] for r in rejected) or last_line(result.stderr)
            raise GitError(
                f"push to {remote!r} rejected, nothing was changed there or here: {detail}",
                hint="fetch, inspect the remote's branch and tag, and try again",
            )

    def update_refs(self, transaction: str) -> None:
        self._write("update-ref", "--stdin", stdin=transaction, label="update-ref")


def parse_ls_tree(output: str) -> tuple[TreeEntry, ...]:
    entries: list[TreeEntry] = []
    for line in output.splitlines():
        if not line.strip():
            continue
        meta, _, path = line.partition("\t")
        mode, kind, oid = meta.split()
        entries.append(TreeEntry(mode=mode, kind=kind, oid=oid, path=path))
    return tuple(entries)


@dataclass(frozen=True, kw_only=True)
class GitConstraintsBranch:
    """The constraints branch of `remote`, read and written through `repo` without touching
    its refs, work tree or objects: what is fetched and made goes to an object folder of this
    run's own (the repository's objects readable beside it), removed when the run ends, so a
    dry run leaves the repository exactly as it was and a real one leaves only the pushed
    branch on the remote.
    """

    repo: Path
    remote: str
    branch: str
    runner: Runner

    @cached_property
    def _env(self) -> dict[str, str]:
        scratch = tempfile.mkdtemp(prefix="hangar-git-objects-")
        weakref.finalize(self, shutil.rmtree, scratch, ignore_errors=True)
        found = self.runner.run(
            cmd(
                "git", "-C", self.repo, "rev-parse", "--path-format=absolute", "--git-path",
                "objects", env=_NO_PAGER, changes_state=False,
            )
        )  # fmt: skip
        if not found.ok:
            raise GitError(f"{self.repo} is not a git repository", hint="pass --repo")
        return {
            **_NO_PAGER,
            "GIT_OBJECT_DIRECTORY": scratch,
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": found.stdout.strip(),
        }

    def _git(self, *args: str, stdin: str | None = None, reads: bool = True) -> str:
        result = self.runner.run(
            cmd("git", "-C", self.repo, *args, env=self._env, input=stdin, changes_state=not reads)
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
        # the objects only, into this run's object folder: no ref, no FETCH_HEAD, nothing in
        # the repository's objects (a dry run runs this too)
        self._git(
            "fetch", "--no-tags", "--quiet", "--refmap=", "--no-write-fetch-head",
            self.remote, f"refs/heads/{self.branch}",
        )  # fmt: skip
        return oid

    def files(self, commit: str) -> dict[str, tuple[str, str]]:
        listing = parse_ls_tree(self._git("ls-tree", commit))
        return {entry.path: (entry.mode, entry.oid) for entry in listing}

    def read(self, blob: str) -> str:
        return self._git("cat-file", "blob", blob)

    def commit(self, *, parent: str | None, files: Mapping[str, str], message: str) -> str:
        entries = self.files(parent) if parent else {}
        for name, text in files.items():
            blob = self._git("hash-object", "-w", "--stdin", stdin=text, reads=False).strip()
            entries[name] = ("100644", blob or f"<blob {name}>")
        listing = "".join(
            f"{mode} {'tree' if mode == '040000' else 'blob'} {oid}\t{name}\n"
            for name, (mode, oid) in sorted(entries.items())
        )
        tree = self._git("mktree", stdin=listing, reads=False).strip() or "<tree>"
        parents = ("-p", parent) if parent else ()
        made = self._git("commit-tree", tree, *parents, "-F", "-", stdin=message, reads=False)
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
                env=self._env,
            )
        )
        if not result.ok:
            rejected = [ln for ln in result.stdout.splitlines() if ln.startswith("!")]
            detail = "; ".join(r.split("\t")[-1] for r in rejected) or last_line(result.stderr)
            raise GitError(
                f"push of constraints to {self.remote} {self.branch} rejected: {detail}",
                hint="someone pushed meanwhile; run the flow again (hangar never force-pushes)",
            )
