"""scripts/docker/venv-delta.py: what an install changed in a virtualenv becomes a tree to copy
over the image's one, and a list of what to remove (run as the build runs it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "docker" / "venv-delta.py"


def venv_delta(*args: Path | str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, check=True
    )
    return done.stdout


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_new_and_changed_files_are_copied_and_removed_ones_listed(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    site = venv / "lib" / "site-packages"
    write(site / "pkg" / "kept.py", "x = 1\n")
    write(site / "pkg" / "upgraded.py", "x = 1\n")
    write(site / "pkg" / "dropped.py", "x = 1\n")
    write(site / "gone" / "deep" / "mod.py", "x = 1\n")
    write(site / "pkg-1.0.dist-info" / "RECORD", "pkg\n")
    manifest, out = tmp_path / "manifest.json", tmp_path / "out"
    out.mkdir()
    venv_delta("snapshot", venv, manifest)

    # what an upgrade does: rewrite a module, add one, remove a module, a package and metadata
    write(site / "pkg" / "upgraded.py", "x = 2  # newer\n")
    write(site / "pkg" / "added.py", "y = 1\n")
    (site / "pkg" / "dropped.py").unlink()
    for path in sorted((site / "gone").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (site / "gone").rmdir()
    (site / "pkg-1.0.dist-info" / "RECORD").unlink()
    (site / "pkg-1.0.dist-info").rmdir()
    write(site / "pkg-2.0.dist-info" / "RECORD", "pkg\n")
    printed = venv_delta("delta", venv, manifest, out)

    tree = out / "tree"
    copied = sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file())
    root = str(site).lstrip("/")
    assert copied == [
        f"{root}/pkg-2.0.dist-info/RECORD",
        f"{root}/pkg/added.py",
        f"{root}/pkg/upgraded.py",
    ]
    assert (tree / root / "pkg" / "upgraded.py").read_text() == "x = 2  # newer\n"
    removed = (out / "removed.txt").read_text().splitlines()
    tag = sys.implementation.cache_tag
    assert sorted(removed) == sorted(
        [
            str(site / "gone"),  # the folder once, not what it held
            str(site / "pkg" / "dropped.py"),
            str(site / "pkg" / "__pycache__" / f"dropped.{tag}.pyc"),  # its bytecode with it
            str(site / "pkg-1.0.dist-info"),
        ]
    )
    assert "change 3 files and remove 4 paths" in printed


def test_nothing_installed_gives_an_empty_delta(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    write(venv / "lib" / "a.py", "a = 1\n")
    manifest, out = tmp_path / "manifest.json", tmp_path / "out"
    out.mkdir()
    venv_delta("snapshot", venv, manifest)
    venv_delta("delta", venv, manifest, out)
    assert not (out / "tree").exists() or not any((out / "tree").iterdir())
    assert (out / "removed.txt").read_text() == ""
