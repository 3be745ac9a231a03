#!/usr/bin/env python3
"""What the official image's tools cost: the default and the slim image of this checkout next to
the same two built from an earlier commit, in one run.

Usage: .venv/bin/python bench/parity.py --before REF [--python 3.13] [--json FILE]

REF is a commit of this repository (e.g. the one before the tools were added). Its tree is
checked out into a temporary git worktree and built as it is (`hangar image build --context`);
its slim image with the runtime packages that commit's `--slim` chose (the Dockerfile's list
without git and openssh-client). Each build is pushed to a throwaway repository of the
configured registry, for the machine's own platform, one after the other; then for each image
its size on disk (`du -sxb /` in a container of it) and what a user pulls (compressed layers
and config). The builder cache is not emptied: build times are not compared here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from flavours import HANGAR, REPO, empty, measured, timed

from hangar.infra.registry import HttpRegistry

# what `--slim` left out of the Dockerfile's runtime packages before it kept them all
OLD_SLIM_LEFT_OUT = ("git", "openssh-client")


def dockerfile_runtime_deps(dockerfile: Path) -> list[str]:
    text = dockerfile.read_text().replace("\\\n", " ")
    start = text.index('ARG RUNTIME_APT_DEPS="') + len('ARG RUNTIME_APT_DEPS="')
    return text[start : text.index('"', start)].split()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--before", required=True, help="the earlier commit")
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    registry = HttpRegistry(host=options.registry)
    repository = f"bench-parity-{uuid.uuid4().hex[:8]}"
    platform = (
        "linux/"
        + {"x86_64": "amd64", "aarch64": "arm64"}[
            subprocess.run(
                ["uname", "-m"], capture_output=True, text=True, check=True
            ).stdout.strip()
        ]
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="hangar-parity-") as folder:
        before = Path(folder) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(before), options.before],
            cwd=REPO, capture_output=True, check=True,
        )  # fmt: skip
        old_slim = [
            p for p in dockerfile_runtime_deps(before / "Dockerfile") if p not in OLD_SLIM_LEFT_OUT
        ]
        builds = {
            f"default, {options.before}": (before, ()),
            f"slim, {options.before}": (
                before,
                ("--slim", "--runtime-apt-deps", " ".join(old_slim)),
            ),
            "default, now": (REPO, ()),
            "slim, now": (REPO, ("--slim",)),
        }
        try:
            for index, (name, (context, flags)) in enumerate(builds.items()):
                tag = f"{repository}:build{index}"
                seconds = timed(
                    HANGAR, "image", "build", "--python", options.python, "--context",
                    str(context), "--platform", platform, "--push", *flags,
                    "--tag", f"{options.registry}/{tag}",
                )  # fmt: skip
                results.append(
                    measured(name, registry, repository, f"build{index}", platform, seconds)
                )
        finally:
            empty(registry, repository)
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(before)],
                cwd=REPO, capture_output=True, check=False,
            )  # fmt: skip
    print(f"hangar bench: parity, Python {options.python}, before = {options.before}")
    print(f"{'image':<34} {'on disk':>10} {'pulled':>9}")
    for row in results:
        print(f"{row['image']:<34} {row['on_disk_mb']:>7} MB {row['pulled_mb']:>6} MB")
    if options.json:
        options.json.write_text(json.dumps({"python": options.python, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
