"""`constraints update`: repair the constraints files of already tagged Airflow versions.

Nothing is checked out and the work tree is never touched. Everything is read and checked
first (plan); then the new commits and tags are written as git objects, pushed to the remote
in one atomic push (all branches and tags, or nothing), and only then are the local refs
moved, in one transaction, with a backup ref keeping each old tag target reachable. A failure
before the push leaves the local refs and the remote as they were; a rejected push changes
nothing on either side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hangar.constraints.edit import (
    FileEdit,
    backup_ref_name,
    edit_files,
    fix_branch_name,
    is_constraints_file,
    mktag_input,
    mktree_input,
    tag_message,
    tag_name,
)
from hangar.constraints.files import Pin, parse_pin
from hangar.errors import BadInput, GitError
from hangar.ports import Git

ZERO_OID = "0" * 40


@dataclass(frozen=True, kw_only=True)
class UpdateRequest:
    remote: str
    airflow_versions: tuple[str, ...]
    pins: tuple[Pin, ...]
    comment: str | None
    commit_message: str


@dataclass(frozen=True, kw_only=True)
class VersionPlan:
    airflow_version: str
    tag_oid: str  # what refs/tags/constraints-X points at now (tag object or commit)
    commit: str  # the tagged commit
    edits: tuple[FileEdit, ...]
    local_branch: str | None  # refs/heads/constraints-X-fix now, locally
    remote_branch: str | None  # and on the remote

    @property
    def tag(self) -> str:
        return tag_name(self.airflow_version)

    @property
    def branch(self) -> str:
        return fix_branch_name(self.airflow_version)

    @property
    def changed(self) -> bool:
        return any(edit.changed for edit in self.edits)


@dataclass(frozen=True, kw_only=True)
class VersionResult:
    airflow_version: str
    old_tag_oid: str
    new_tag_oid: str
    new_commit: str
    backup_ref: str


def parse_pins(texts: Iterable[str]) -> tuple[Pin, ...]:
    """`name==version` pins as given on the command line; BadInput saying what is wrong."""
    try:
        return tuple(parse_pin(text) for text in texts)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def plan_update(git: Git, request: UpdateRequest) -> tuple[VersionPlan, ...]:
    """Read and check everything; change nothing. Raises on the first problem found."""
    if len({p.key for p in request.pins}) != len(request.pins):
        raise BadInput("the same distribution is given twice in --updated-constraint")
    if not request.commit_message.strip():
        raise BadInput("the commit message is empty")
    if not request.pins and not request.comment:
        raise BadInput("nothing to change", hint="give --updated-constraint and/or --comment")
    git.toplevel()
    dirty = git.status()
    if dirty.strip():
        first = dirty.strip().splitlines()[0]
        raise GitError(
            f"the work tree has uncommitted changes ({first.strip()} ...)",
            hint="commit or stash them first",
        )
    git.remote_url(request.remote)
    remote_refs = git.remote_refs(request.remote)
    head = git.head_ref()
    return tuple(
        _plan_version(git, request, version, remote_refs, head)
        for version in request.airflow_versions
    )


def _plan_version(
    git: Git,
    request: UpdateRequest,
    version: str,
    remote_refs: Mapping[str, str],
    head: str | None,
) -> VersionPlan:
    tag = tag_name(version)
    tag_ref, branch_ref = f"refs/tags/{tag}", f"refs/heads/{fix_branch_name(version)}"
    remote_tag = remote_refs.get(tag_ref)
    if remote_tag is None:
        raise GitError(f"tag {tag} is not on remote {request.remote!r}", hint="check the version")
    local_tag = git.resolve(tag_ref)
    if local_tag != remote_tag:
        state = "missing locally" if local_tag is None else f"at {local_tag[:12]} locally"
        raise GitError(
            f"tag {tag} is {state} but at {remote_tag[:12]} on {request.remote!r}",
            hint=f"run `git fetch {request.remote} --tags --force` and check it first",
        )
    commit = git.resolve(f"{tag_ref}^{{commit}}")
    if commit is None:
        raise GitError(f"tag {tag} does not point to a commit", hint="check the version")
    remote_branch = remote_refs.get(branch_ref)
    local_branch = git.resolve(branch_ref)
    for where, oid in (("on the remote", remote_branch), ("locally", local_branch)):
        if oid is not None and oid != commit:
            raise GitError(
                f"branch {fix_branch_name(version)} {where} is at {oid[:12]}, not at the commit "
                f"tag {tag} points to ({commit[:12]}); moving it would lose commits",
                hint="inspect and reconcile that branch first",
            )
    if head == branch_ref:
        raise GitError(
            f"{fix_branch_name(version)} is checked out", hint="check out another branch first"
        )
    entries = git.ls_tree(commit)
    paths = [e.path for e in entries if e.kind == "blob" and is_constraints_file(e.path)]
    if not paths:
        raise GitError(f"tag {tag} holds no constraints-*.txt files")
    files = {path: git.show(commit, path) for path in paths}
    try:
        edits = edit_files(files, pins=request.pins, comment=request.comment)
    except ValueError as exc:
        raise BadInput(f"{tag}: {exc}", hint="check the spelling of the distribution") from None
    return VersionPlan(
        airflow_version=version,
        tag_oid=remote_tag,
        commit=commit,
        edits=edits,
        local_branch=local_branch,
        remote_branch=remote_branch,
    )


def apply_update(
    git: Git, request: UpdateRequest, plans: Sequence[VersionPlan]
) -> tuple[VersionResult, ...]:
    """Write, push (atomically) and record locally the planned changes."""
    todo = [plan for plan in plans if plan.changed]
    if not todo:
        return ()
    tagger = git.ident()
    results: list[VersionResult] = []
    refspecs: list[str] = []
    leases: dict[str, str] = {}
    for plan in todo:
        blobs = {
            edit.path: git.write_blob(edit.new, label=f"blob {edit.path}")
            for edit in plan.edits
            if edit.changed
        }
        tree = git.write_tree(
            mktree_input(git.ls_tree(plan.commit), blobs),
            label=f"tree for {plan.tag}",
        )
        commit = git.write_commit(
            tree=tree,
            parent=plan.commit,
            message=request.commit_message.rstrip("\n") + "\n",
            label=f"new commit for {plan.tag}",
        )
        tag_oid = git.write_tag(
            mktag_input(
                commit_oid=commit,
                tag=plan.tag,
                tagger=tagger,
                message=tag_message(request.commit_message, plan.edits),
            ),
            label=f"new tag object for {plan.tag}",
        )
        refspecs += [f"{commit}:refs/heads/{plan.branch}", f"{tag_oid}:refs/tags/{plan.tag}"]
        leases[f"refs/tags/{plan.tag}"] = plan.tag_oid
        results.append(
            VersionResult(
                airflow_version=plan.airflow_version,
                old_tag_oid=plan.tag_oid,
                new_tag_oid=tag_oid,
                new_commit=commit,
                backup_ref=backup_ref_name(plan.airflow_version, plan.tag_oid),
            )
        )
    git.push_atomic(request.remote, refspecs, leases=leases)
    git.update_refs(_local_transaction(todo, results))
    return tuple(results)


def _local_transaction(plans: Sequence[VersionPlan], results: Sequence[VersionResult]) -> str:
    lines = ["start"]
    for plan, result in zip(plans, results, strict=True):
        lines.append(f"update refs/tags/{plan.tag} {result.new_tag_oid} {plan.tag_oid}")
        lines.append(
            f"update refs/heads/{plan.branch} {result.new_commit} {plan.local_branch or ZERO_OID}"
        )
        lines.append(f"update {result.backup_ref} {plan.tag_oid}")
    lines += ["prepare", "commit"]
    return "\n".join(lines) + "\n"
