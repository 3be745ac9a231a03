"""Changing pins in tagged constraints files (pure part of `constraints update`)."""

from __future__ import annotations

import pytest

from hangar.constraints.edit import (
    edit_files,
    edit_text,
    is_constraints_file,
    mktree_input,
    unified_diff,
)
from hangar.constraints.files import parse_pin
from hangar.infra.git import parse_ls_tree

FILE = "#\n# header\n#\nCython==3.0.0\npymssql==2.2.7\nrequests==2.31.0\n"


def test_edit_changes_only_the_named_pin_and_keeps_its_spelling() -> None:
    new, changed = edit_text(FILE, pins=[parse_pin("cython==3.0.1")], comment=None)
    assert new == FILE.replace("Cython==3.0.0", "Cython==3.0.1")
    assert changed == (("Cython", "3.0.0", "3.0.1"),)


def test_edit_inserts_the_comment_once_before_the_first_pin() -> None:
    once, _ = edit_text(FILE, pins=[], comment="pymssql fixed")
    twice, _ = edit_text(once, pins=[], comment="# pymssql fixed")
    assert once == twice
    assert once.splitlines()[3] == "# pymssql fixed"
    assert once.splitlines()[4] == "Cython==3.0.0"


def test_edit_keeps_crlf_line_endings() -> None:
    crlf = FILE.replace("\n", "\r\n")
    new, _ = edit_text(crlf, pins=[parse_pin("pymssql==2.2.8")], comment="why")
    assert new.count("\r\n") == crlf.count("\r\n") + 1
    assert "\n" not in new.replace("\r\n", "")


def test_edit_files_refuses_a_pin_that_no_file_has() -> None:
    with pytest.raises(ValueError, match="pymsql is not pinned in any constraints file"):
        edit_files({"constraints-3.11.txt": FILE}, pins=[parse_pin("pymsql==1")], comment=None)


def test_edit_files_leaves_files_without_the_pin_alone() -> None:
    edits = edit_files(
        {"constraints-3.11.txt": FILE, "constraints-no-providers-3.11.txt": "requests==2.31.0\n"},
        pins=[parse_pin("pymssql==2.2.8")],
        comment=None,
    )
    assert [(e.path, e.changed) for e in edits] == [
        ("constraints-3.11.txt", True),
        ("constraints-no-providers-3.11.txt", False),
    ]
    diff = unified_diff(edits[0], ref="constraints-2.10.5")
    assert "-pymssql==2.2.7\n+pymssql==2.2.8\n" in diff


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("constraints-3.11.txt", True),
        ("constraints-no-providers-3.13.txt", True),
        ("constraints-source-providers-3.10.txt", True),
        ("README.md", False),
        ("original-constraints-3.11.txt", False),
        ("sub/constraints-3.11.txt", False),
    ],
)
def test_only_per_python_constraints_files_are_edited(path: str, expected: bool) -> None:
    assert is_constraints_file(path) is expected


def test_mktree_swaps_in_new_blobs_and_keeps_the_rest() -> None:
    listing = (
        "100644 blob aaa\tREADME.md\n100644 blob bbb\tconstraints-3.11.txt\n040000 tree ccc\tdocs\n"
    )
    text = mktree_input(parse_ls_tree(listing), {"constraints-3.11.txt": "ddd"})
    assert text.splitlines() == [
        "100644 blob aaa\tREADME.md",
        "100644 blob ddd\tconstraints-3.11.txt",
        "040000 tree ccc\tdocs",
    ]
