"""venv-delta.py: what an install changed in a virtualenv, as a tree to copy over it.

    venv-delta.py snapshot VENV MANIFEST   record every path under VENV (before the install)
    venv-delta.py delta VENV MANIFEST OUT  after it: copy the new and changed files to OUT/tree
                                           (under their own absolute paths) and list in
                                           OUT/removed.txt what the install removed

The image's virtualenv is one layer and its bytecode another; the user's additional Python
dependencies are installed later into it (a throw-away mount), and only the difference becomes
the image's next layer. A removed module's bytecode (in the `__pycache__` folder next to it) is
listed with it.
Runs in the additions stage with the base image's Python; standard library only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import sys
from pathlib import Path


def scan(venv: Path) -> dict[str, list[int]]:
    """Every path under VENV with what shows it changed: type, size, modification time."""
    entries: dict[str, list[int]] = {}
    for folder, dirs, files in os.walk(venv):
        for name in dirs + files:
            path = str(Path(folder) / name)
            info = os.lstat(path)
            entries[path] = [stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns]
    return entries


def removed_paths(before: dict[str, list[int]], after: dict[str, list[int]]) -> list[str]:
    """What the install removed: a removed folder once (not its contents), a removed module
    with its bytecode.
    """
    gone = set(before) - set(after)
    removed = [p for p in sorted(gone) if str(Path(p).parent) not in gone]
    extra = [importlib.util.cache_from_source(p) for p in removed if p.endswith(".py")]
    return removed + extra


def delta(venv: Path, manifest: Path, out: Path) -> None:
    before = json.loads(manifest.read_text())
    after = scan(venv)
    tree = out / "tree"
    changed = 0
    for path, entry in sorted(after.items()):
        if entry == before.get(path) or stat.S_ISDIR(entry[0]):
            continue
        target = tree / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target, follow_symlinks=False)
        changed += 1
    removed = removed_paths(before, after)
    (out / "removed.txt").write_text("".join(f"{p}\n" for p in removed))
    print(f"*** The additions change {changed} files and remove {len(removed)} paths")


def main(argv: list[str]) -> int:
    command, venv, manifest = argv[0], Path(argv[1]), Path(argv[2])
    if command == "snapshot":
        manifest.write_text(json.dumps(scan(venv)))
    else:
        delta(venv, manifest, Path(argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
