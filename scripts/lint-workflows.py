#!/usr/bin/env python3
"""Check the generated workflows (.github/workflows/ci-*.yml) with the tools GitHub users run
(`make lint` runs it; each tool is a pinned test dependency in pyproject.toml):

1. zizmor at its pedantic persona, offline: no finding may be left (a finding that is accepted
   is suppressed in the generator, next to what it is about, with its reason);
2. GitHub's workflow schema (check-jsonschema's built-in `vendor.github-workflows`);
3. act's `--validate`, then its job listing (`act -l`: no engine needed, nothing runs), compared
   with the jobs and `needs:` of the flows: the same jobs in every file, each at the stage its
   needs put it.

Exits 1 with the failing tool's own output when one of them disagrees.

Usage: .venv/bin/python scripts/lint-workflows.py [ROOT]   (ROOT: the repository, default this one)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hangar.ci.workflows import FOLDER, workflow_needs

REPO = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(*argv: str) -> str:
    """Run one of the pinned tools from the project's environment; its output, or exit 1."""
    done = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], cwd=REPO, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"lint-workflows: {argv[0]} failed (exit {done.returncode}), see above")
    return done.stdout


def stages(needs: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Job id -> its stage: 0 without needs, else one more than the latest job it needs."""
    found: dict[str, int] = {}

    def stage(job: str) -> int:
        if job not in found:
            found[job] = 1 + max((stage(n) for n in needs[job]), default=-1)
        return found[job]

    for job in needs:
        stage(job)
    return found


def act_listing() -> dict[str, dict[str, int]]:
    """File name -> job id -> stage, from `act -l` (every workflow, every event)."""
    listed: dict[str, dict[str, int]] = {}
    for line in tool("act", "--list", "--workflows", FOLDER).splitlines():
        row = re.match(r"^(\d+)\s+(\S+)\s+.*\s(ci-[a-z-]+\.yml)\s", line + " ")
        if row:
            listed.setdefault(row.group(3), {})[row.group(2)] = int(row.group(1))
    return listed


def main() -> None:
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / FOLDER).glob("ci-*.yml"))
    tool("zizmor", "--offline", "--persona", "pedantic", "--no-progress", FOLDER)
    tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files)
    tool("act", "--validate", "--workflows", FOLDER)
    expected = {name: stages(needs) for name, needs in workflow_needs().items()}
    listed = act_listing()
    if listed != expected:
        for name in sorted(set(expected) | set(listed)):
            if expected.get(name) != listed.get(name):
                sys.stderr.write(
                    f"{name}: act lists {listed.get(name)}, the flows give {expected.get(name)}\n"
                )
        sys.exit("lint-workflows: act's job listing differs from the flows' jobs and needs")
    jobs = sum(len(j) for j in listed.values())
    print(f"lint-workflows: {len(files)} files, {jobs} jobs: zizmor, schema and act agree")


if __name__ == "__main__":
    main()
