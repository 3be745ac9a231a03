"""`scripts/lint-workflows.py` (make lint): the committed workflows pass zizmor, GitHub's schema
and act, and a workflow that drifts from the flows, or uses a floating tag, fails it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "lint-workflows.py"


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def copy_of_workflows(tmp_path: Path) -> Path:
    shutil.copytree(REPO / ".github" / "workflows", tmp_path / ".github" / "workflows")
    return tmp_path


def test_the_committed_workflows_pass() -> None:
    done = lint(REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "zizmor, schema and act agree" in done.stdout


def test_a_job_whose_needs_drifted_from_the_flows_fails(tmp_path: Path) -> None:
    root = copy_of_workflows(tmp_path)
    refresh = root / ".github" / "workflows" / "ci-refresh.yml"
    text = refresh.read_text()
    assert "    needs: [build-info]\n" in text
    refresh.write_text(text.replace("    needs: [build-info]\n", "", 1))
    done = lint(root)
    assert done.returncode == 1
    assert "ci-refresh.yml: act lists" in done.stderr
    assert "act's job listing differs" in done.stderr


def test_a_floating_tag_fails_zizmor(tmp_path: Path) -> None:
    root = copy_of_workflows(tmp_path)
    refresh = root / ".github" / "workflows" / "ci-refresh.yml"
    text = refresh.read_text()
    pinned = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1"
    assert pinned in text
    refresh.write_text(text.replace(pinned, "actions/checkout@v7"))
    done = lint(root)
    assert done.returncode == 1
    assert "unpinned" in done.stdout + done.stderr
    assert "zizmor failed" in done.stderr
