"""Repairing already tagged constraints: change pins in the files of a tag, add a comment,
show the diff, and build the git objects' content. Pure logic, no I/O.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from hangar.constraints.files import Pin
from hangar.ports import TreeEntry

# Files at the root of a constraints tag that hold constraints for one Python version.
CONSTRAINTS_FILE = re.compile(
    r"^constraints(-no-providers|-source-providers)?-[0-9]+\.[0-9]+\.txt$"
)
_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)(?P<rest>\s*(#.*)?)$")


def tag_name(airflow_version: str) -> str:
    return f"constraints-{airflow_version}"


def fix_branch_name(airflow_version: str) -> str:
    """The branch that keeps the history of repairs (the tagged commits stay on it)."""
    return f"constraints-{airflow_version}-fix"


def backup_ref_name(airflow_version: str, old_tag_oid: str) -> str:
    """A local ref that keeps the tag's previous target reachable after it moves."""
    return f"refs/hangar-backup/constraints-{airflow_version}/{old_tag_oid[:12]}"


def is_constraints_file(path: str) -> bool:
    return CONSTRAINTS_FILE.match(path) is not None


@dataclass(frozen=True, kw_only=True)
class FileEdit:
    path: str
    old: str
    new: str
    changed_pins: tuple[tuple[str, str, str], ...]  # (name, old version, new version)

    @property
    def changed(self) -> bool:
        return self.old != self.new


def comment_line(comment: str) -> str:
    text = comment.strip()
    return text if text.startswith("#") else f"# {text}"


def edit_text(
    text: str, *, pins: Sequence[Pin], comment: str | None
) -> tuple[str, tuple[tuple[str, str, str], ...]]:
    """Set each pin's version where the file pins that distribution (matched by canonical
    name, keeping the spelling of the file) and insert the comment line before the first pin
    unless it is already there. Line endings and everything else are kept as they were.
    """
    wanted = {pin.key: pin for pin in pins}
    lines = text.splitlines(keepends=True)
    changed: list[tuple[str, str, str]] = []
    first_pin: int | None = None
    for index, raw in enumerate(lines):
        body = raw.rstrip("\r\n")
        ending = raw[len(body) :]
        if not body.strip() or body.lstrip().startswith("#"):
            continue
        if first_pin is None:
            first_pin = index
        match = _LINE.match(body.strip())
        if match is None:
            continue
        pin = wanted.get(canonicalize_name(match["name"]))
        if pin is None or match["version"] == pin.version:
            continue
        lines[index] = f"{match['name']}=={pin.version}{match['rest']}{ending}"
        changed.append((match["name"], match["version"], pin.version))
    if comment:
        line = comment_line(comment)
        if line not in (raw.rstrip("\r\n") for raw in lines):
            ending = _line_ending(text)
            at = first_pin if first_pin is not None else len(lines)
            lines.insert(at, line + ending)
    return "".join(lines), tuple(changed)


def _line_ending(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def pinned_keys(text: str) -> frozenset[str]:
    keys = set()
    for raw in text.splitlines():
        match = _LINE.match(raw.strip())
        if match is not None:
            keys.add(canonicalize_name(match["name"]))
    return frozenset(keys)


def edit_files(
    files: Mapping[str, str], *, pins: Sequence[Pin], comment: str | None
) -> tuple[FileEdit, ...]:
    """Edit every constraints file of a tag. Raises ValueError naming any pin whose
    distribution no file of the tag pins (a typo would otherwise change nothing silently).
    """
    present: set[str] = set()
    for text in files.values():
        present |= pinned_keys(text)
    missing = [pin.name for pin in pins if pin.key not in present]
    if missing:
        raise ValueError(
            f"{', '.join(missing)} is not pinned in any constraints file "
            f"({', '.join(sorted(files)) or 'no constraints files'})"
        )
    edits: list[FileEdit] = []
    for path in sorted(files):
        new, changed = edit_text(files[path], pins=pins, comment=comment)
        edits.append(FileEdit(path=path, old=files[path], new=new, changed_pins=changed))
    return tuple(edits)


def unified_diff(edit: FileEdit, *, ref: str) -> str:
    return "".join(
        difflib.unified_diff(
            edit.old.splitlines(keepends=True),
            edit.new.splitlines(keepends=True),
            fromfile=f"a/{edit.path} ({ref})",
            tofile=f"b/{edit.path}",
        )
    )


def mktree_input(entries: Sequence[TreeEntry], new_blobs: Mapping[str, str]) -> str:
    """`git mktree` input: the tag's root tree with the edited files' blobs swapped in."""
    lines = [
        TreeEntry(mode=e.mode, kind=e.kind, oid=new_blobs.get(e.path, e.oid), path=e.path).line()
        for e in entries
    ]
    return "\n".join(lines) + "\n"


def tag_message(commit_message: str, edits: Sequence[FileEdit]) -> str:
    changed = sorted({f"{name} {old} -> {new}" for e in edits for name, old, new in e.changed_pins})
    body = "\n".join(f"- {line}" for line in changed)
    return f"{commit_message}\n\n{body}\n" if body else f"{commit_message}\n"


def mktag_input(*, commit_oid: str, tag: str, tagger: str, message: str) -> str:
    """`git mktag` input for an annotated tag on `commit_oid` (tagger as `git var` prints it)."""
    return f"object {commit_oid}\ntype commit\ntag {tag}\ntagger {tagger}\n\n{message}"
