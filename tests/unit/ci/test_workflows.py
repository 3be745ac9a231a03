"""The GitHub workflow files: generated from the flows, committed, linted by actionlint, with
the right triggers and the least token permissions per job.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hangar.ci.actions import parse_actions, pinned_actions
from hangar.ci.flows import FLOWS, FORK
from hangar.ci.workflows import (
    COSIGN_RELEASE,
    FOLDER,
    GIT_TOKEN_ENV,
    REGENERATE,
    render,
    workflow_files,
)
from hangar.cli.main import cli
from hangar.values import parse_ref

REPO = Path(__file__).resolve().parents[3]
FILES = workflow_files()


def _jobs(text: str) -> dict[str, str]:
    """Job id -> its lines, from the fixed shape the renderer writes."""
    body = text.split("\njobs:\n", 1)[1]
    parts = re.split(r"^  ([a-z0-9-]+):\n", body, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_committed_workflows_are_what_the_flows_generate() -> None:
    folder = REPO / FOLDER
    committed = {p.name for p in folder.glob("ci-*.yml")}
    assert committed == set(FILES), f"run `{REGENERATE}`"
    for name, text in FILES.items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"{FOLDER}/{name} differs from the flows: run `{REGENERATE}`"
        )


def test_rendering_is_deterministic_and_says_how_to_regenerate() -> None:
    assert workflow_files() == FILES
    for text in FILES.values():
        assert text.startswith("# Generated from hangar's CI flows")
        assert f"# Regenerate with: {REGENERATE}" in text


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(.*)$", re.MULTILINE)
PINNED = re.compile(r"^([^@\s]+)@([0-9a-f]{40})  # (v\d+\.\d+\.\d+)$")


def test_every_action_is_pinned_to_a_commit_of_the_table() -> None:
    """Every `uses:` of the committed files is owner/name@<full commit>  # vX.Y.Z, and that
    row is in actions.toml: no floating tag, no action from outside the table.
    """
    table = {(a.repository, a.commit, a.version) for a in pinned_actions().values()}
    seen = set()
    for path in sorted((REPO / FOLDER).glob("*.yml")):
        for value in USES.findall(path.read_text(encoding="utf-8")):
            pinned = PINNED.match(value.strip())
            assert pinned, f"{path.name}: `uses: {value}` is not pinned to a full commit"
            assert pinned.groups() in table, f"{path.name}: {value} is not in actions.toml"
            seen.add(pinned.groups())
    assert seen == table, f"rows no workflow uses: {sorted(table - seen)}"


def test_a_row_of_the_table_that_is_not_a_full_commit_is_refused() -> None:
    row = {"repository": "actions/checkout", "version": "v7", "commit": "3d3c42e"}
    with pytest.raises(ValueError, match=r"\[checkout\] is not pinned"):
        parse_actions({"checkout": row})


def test_a_job_that_signs_installs_cosign_first() -> None:
    """GitHub's runners have no cosign: a job whose hangar command signs installs it before."""
    signing = 0
    for name, text in FILES.items():
        for job_id, job in _jobs(text).items():
            at = job.find("--sign")
            if at < 0:
                continue
            signing += 1
            installer = job.find("uses: sigstore/cosign-installer@")
            assert 0 <= installer < at, f"{name} {job_id} signs without installing cosign"
            assert f"cosign-release: {COSIGN_RELEASE}" in job
    assert signing, "no job signs: the refresh flow should"


def _actionlint() -> str | None:
    beside = Path(sys.executable).with_name("actionlint")
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def test_actionlint_accepts_the_workflows(tmp_path: Path) -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (pip install -e '.[test]')")
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    done = subprocess.run(
        [binary, "-no-color", *sorted(str(p) for p in folder.iterdir())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_triggers() -> None:
    assert "\non:\n  pull_request:\n" in FILES["ci-tests.yml"]
    assert "\non:\n  pull_request:\n" in FILES["ci-build-images.yml"]
    assert (
        "\non:\n  workflow_run:  # zizmor: ignore[dangerous-triggers]"
        in FILES["ci-push-images.yml"]
    )
    assert (
        '    workflows: ["CI build images (pull request from a fork)"]\n'
        in FILES["ci-push-images.yml"]
    )
    assert not any("pull_request_target" in text for text in FILES.values())
    assert "\non:\n  push:\n    branches: [main]\n" in FILES["ci-canary.yml"]
    assert "\non:\n  schedule:\n" in FILES["ci-scheduled.yml"]


def test_no_expression_is_pasted_into_a_shell_script() -> None:
    for name, text in FILES.items():
        for line in text.splitlines():
            if line.strip().startswith("run:"):
                assert "${{" not in line, f"{name}: {line.strip()}"


def test_every_step_runs_hangar() -> None:
    for text in FILES.values():
        runs = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("run:")]
        assert all(
            r.startswith("run: hangar ") or r == "run: python -m pip install ." for r in runs
        )


def test_a_forks_code_never_meets_a_write_token() -> None:
    jobs = _jobs(FILES["ci-build-images.yml"])
    assert set(jobs) == {"build-info-images", "build-ci-image", "build-prod-image"}
    for job_id, lines in jobs.items():
        assert f"if: ({FORK})" in lines, job_id
        assert "write" not in lines.replace("--github-output", ""), job_id
        assert "secrets." not in lines.replace("secrets.GITHUB_TOKEN", ""), job_id
        if job_id != "build-info-images":  # built at the head commit, archived, uploaded
            assert "ref: ${{ github.event.pull_request.head.sha }}" in lines
            assert '--archive "${CI_ARCHIVES}/' in lines
            assert "--push" not in lines
    # the Pythons are decided as the tests decide them: same trigger, same checkout
    tests = _jobs(FILES["ci-tests.yml"])
    for info in (jobs["build-info-images"], tests["build-info"]):
        assert "ref:" not in info
        assert "selective-checks --event pull_request --base" in info
    push = _jobs(FILES["ci-push-images.yml"])
    assert set(push) == {"push-images"}
    lines = push["push-images"]
    # the one job with a write token: the default branch's files, the fork's run's archives
    assert "workflow_run.conclusion == 'success'" in lines
    assert "workflow_run.head_repository.full_name != github.repository" in lines
    assert "ref:" not in lines  # no checkout of the fork's commit
    assert "repository:" not in lines
    assert "run-id: ${{ github.event.workflow_run.id }}" in lines
    assert "actions: read" in lines
    assert "packages: write" in lines
    runs = [ln.strip() for ln in lines.splitlines() if ln.strip().startswith("run:")]
    assert runs == [
        "run: python -m pip install .",
        (
            'run: hangar ci push-archive "${CI_ARCHIVES}/ci" --image "${CI_IMAGE,,}/ci"'
            ' --commit "${CI_SHA}"'
        ),
        (
            'run: hangar ci push-archive "${CI_ARCHIVES}/prod" --image "${CI_IMAGE,,}"'
            ' --commit "${CI_SHA}"'
        ),
    ]
    assert 'CI_SHA: "${{ github.event.workflow_run.head_sha }}"' in lines
    tests = _jobs(FILES["ci-tests.yml"])
    assert {j for j, lines in tests.items() if "packages: write" in lines} == {
        "ci-image",
        "prod-image",
    }
    for job_id in ("ci-image", "prod-image"):  # the builds there are for same-repo PRs only
        builds = [
            block
            for block in tests[job_id].split("      - name: ")
            if "run: hangar ci build-image" in block or "run: hangar image build" in block
        ]
        assert builds
        assert all("head.repo.full_name == github.repository" in b for b in builds)


def test_only_the_release_job_signs_keyless_with_an_identity_token() -> None:
    holders = {
        (name, job_id)
        for name, text in FILES.items()
        for job_id, lines in _jobs(text).items()
        if "id-token: write" in lines
    }
    assert holders == {("ci-refresh.yml", "refresh-released")}
    release = _jobs(FILES["ci-refresh.yml"])["refresh-released"]
    assert "hangar image refresh-released" in release
    assert "--sign --keyless" in release
    assert "id-token: write" not in FILES["ci-refresh.yml"].split("\njobs:\n")[0]


def test_only_the_main_line_pushes_constraints() -> None:
    for name, text in FILES.items():
        writers = {j for j, lines in _jobs(text).items() if "contents: write" in lines}
        expected = {"push-constraints"} if name in ("ci-canary.yml", "ci-scheduled.yml") else set()
        assert writers == expected, name


def test_the_workflows_command_checks_and_writes(tmp_path: Path) -> None:
    runner = CliRunner()
    stale = runner.invoke(cli, ["ci", "workflows", "--check", "--root", str(tmp_path)])
    assert stale.exit_code == 1
    wrote = runner.invoke(cli, ["ci", "workflows", "--write", "--root", str(tmp_path)])
    assert wrote.exit_code == 0, wrote.output
    again = runner.invoke(cli, ["ci", "workflows", "--check", "--root", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert (tmp_path / FOLDER / "ci-canary.yml").read_text() == render("canary", FLOWS)


def test_image_references_are_lowercase_for_a_repository_with_capitals() -> None:
    """`ghcr.io/${{ github.repository }}` keeps an owner's capitals; every step that names an
    image must still give hangar a valid (lowercase) reference. Each such `run:` line is run
    by bash as GitHub runs it, with `hangar` replaced by a function printing its arguments.
    """
    env = {
        **{f"CI_{name.upper()}": "x" for name in ("sha", "python", "airflow_version", "context")},
        "CI_IMAGE": "ghcr.io/Some-Owner/My-Repo",
        "CI_WAIT_TIMEOUT": "60",
        "CI_UPGRADE_CUTOFF": "2026-01-01T00:00:00Z",
        "PATH": os.environ["PATH"],
    }
    checked = 0
    for name, text in FILES.items():
        for line in text.splitlines():
            run = line.strip().removeprefix("run: ")
            if run == line.strip() or "CI_IMAGE" not in run:
                continue
            script = 'hangar() { printf "%s\\n" "$@"; }\n' + run
            done = subprocess.run(
                ["bash", "-c", script], env=env, capture_output=True, text=True, check=True
            )
            images = [a for a in done.stdout.splitlines() if a.startswith("ghcr.io/")]
            assert images, f"{name}: {run}"
            for image in images:
                assert image == image.lower(), f"{name}: {image}"
                parse_ref(image)
            checked += 1
    assert checked > 5


def test_main_line_and_refresh_runs_never_overlap() -> None:
    """Canary and scheduled runs share one group (both move latest, the cache and the
    constraints), refresh has its own; a newer run waits, none is cut short.
    """
    for name, group in (
        ("ci-canary.yml", "main-line"),
        ("ci-scheduled.yml", "main-line"),
        ("ci-refresh.yml", "refresh"),
    ):
        head = FILES[name].split("\njobs:\n", 1)[0]
        assert f"concurrency:\n  group: {group}\n  cancel-in-progress: false" in head, name


def test_every_permission_a_job_gets_says_why() -> None:
    for name, text in FILES.items():
        for job_id, job in _jobs(text).items():
            block = re.search(r"^    permissions:\n((?:      .*\n)+)", job, re.MULTILINE)
            assert block, (name, job_id)
            for line in block.group(1).splitlines():
                assert re.match(r"^      [a-z-]+: (read|write)  # \S", line), (name, job_id, line)


def test_a_pushing_step_gives_git_the_token_and_nothing_else_keeps_it(tmp_path: Path) -> None:
    """The step's credential helper answers git with the token from its environment (no
    command line holds it); no checkout persists credentials.
    """
    env = {**os.environ, "HOME": str(tmp_path), **dict(GIT_TOKEN_ENV)}
    env["GITHUB_TOKEN"] = "token-from-the-environment"
    asked = subprocess.run(
        ["git", "credential", "fill"],
        input="protocol=https\nhost=github.com\n\n",
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "username=x-access-token\npassword=token-from-the-environment\n" in asked.stdout
    pushing = 0
    for name, text in FILES.items():
        assert "persist-credentials: true" not in text
        for job in _jobs(text).values():
            assert job.count("uses: actions/checkout@") == job.count("persist-credentials: false")
            pushing += job.count('GIT_CONFIG_KEY_0: "credential.helper"')
        assert "ref: constraints-main" not in text, (
            name
        )  # no checkout of a branch that may not exist
    assert pushing == 2  # canary's and scheduled's constraints push
