"""What `hangar ci run` executes is what the committed workflows say: for every flow, each
job's `hangar` steps, in order, with the same arguments once the job's environment is filled in
(the placeholders' values), and no environment beyond the placeholders except what GitHub alone
needs (the bot's git identity, the token's credential helper).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from hangar.ci.flows import FLOWS, Flow
from hangar.ci.runner import LocalRun, run_flow
from hangar.ci.workflows import FOLDER, FORK_RUN, GIT_TOKEN_ENV
from hangar.infra.files import LocalFiles
from hangar.ports import Command, ProcessResult
from tests.fakes.ci import LOCAL_VALUES, decision

REPO = Path(__file__).resolve().parents[3]
DECISION = decision(**{"python-versions": '["3.11"]'})
# what GitHub's steps get besides the placeholders: locally, the user's own git does this
GITHUB_ONLY = frozenset(
    {"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"}
    | {name for name, _value in GIT_TOKEN_ENV}
)
OUTPUT_TERM = re.compile(r"^needs\.[\w-]+\.outputs\.([\w-]+) == '(true|false)'$")


class Recorder:
    """Answers selective-checks with DECISION; records each job's commands by its log folder."""

    def __init__(self) -> None:
        self.by_job: dict[str, list[tuple[str, ...]]] = {}
        self.env: dict[str, set[str]] = {}

    def run(self, command: Command, *, stream_to: object = None) -> ProcessResult:
        job = Path(command.env["HANGAR_LOG_DIR"]).name
        self.by_job.setdefault(job, []).append(command.args[1:])
        self.env.setdefault(job, set()).update(command.env)
        out = json.dumps(DECISION) if command.args[1:3] == ("ci", "selective-checks") else ""
        return ProcessResult(args=command.args, returncode=0, stdout=out)


def local_jobs(flow: Flow, tmp_path: Path) -> Recorder:
    recorder = Recorder()
    local = LocalRun(
        runner=recorder,
        files=LocalFiles(),
        hangar=("hangar",),
        cwd=tmp_path,
        log_dir=tmp_path / "logs",
        values=LOCAL_VALUES,
        lists={},  # the local-only `{*name}` arguments, which GitHub's steps leave out
        parallelism=1,
    )
    result = run_flow(flow, local, on_line=lambda _job, _line: None, on_done=lambda _o: None)
    assert result.ok
    return recorder


def holds(condition: str | None, flow: Flow) -> bool:
    """A job's or step's `if:` for this flow and DECISION (`||` of `&&` terms)."""
    if not condition:
        return True
    return any(
        all(term_holds(term.strip(), flow) for term in alternative.split(" && "))
        for alternative in condition.split(" || ")
    )


def term_holds(term: str, flow: Flow) -> bool:
    bare = term.removeprefix("(").removesuffix(")")
    if (found := OUTPUT_TERM.match(bare)) is not None:
        return DECISION[found.group(1)] == found.group(2)
    if bare in FORK_RUN.split(" && "):  # a job following a fork's pull-request run
        return "workflow_run" in flow.workflows.values()
    return bare == flow.condition


def github_argv(run: str, python: str | None) -> tuple[str, ...]:
    """A `run:` line as argv, each "${CI_X}" (or "${CI_X,,}") filled with the local value."""
    values = {**LOCAL_VALUES, "airflow_version": DECISION["airflow-version"]}
    values |= {"upgrade_cutoff": DECISION["upgrade-cutoff"], "python": python or ""}

    def fill(match: re.Match[str]) -> str:
        value = values[match.group(1).lower()]
        return value.lower() if match.group(2) else value

    text = re.sub(r"\$\{CI_([A-Z_]+)(,,)?\}", fill, run)
    argv = tuple(shlex.split(text.replace("${GITHUB_OUTPUT}", "GITHUB_OUTPUT")))[1:]  # hangar
    return argv[:-2] if argv[-2:] == ("--github-output", "GITHUB_OUTPUT") else argv


def github_jobs(flow: Flow) -> dict[str, tuple[list[tuple[str, ...]], set[str]]]:
    """Job slug -> the `hangar` steps the committed YAML runs for this flow, and the names of
    the environment those steps get.
    """
    found = {}
    for workflow in flow.workflows:
        text = (REPO / FOLDER / f"ci-{workflow}.yml").read_text(encoding="utf-8")
        for job_id, job in yaml.safe_load(text)["jobs"].items():
            if not holds(job.get("if"), flow):
                continue
            python = "3.11" if "strategy" in job else None
            steps = [
                s for s in job["steps"]
                if str(s.get("run", "")).startswith("hangar ") and holds(s.get("if"), flow)
            ]  # fmt: skip
            env = set(job.get("env", {})) | {k for s in steps for k in s.get("env", {})}
            slug = f"{job_id}-{python}" if python else job_id
            found[slug] = ([github_argv(s["run"], python) for s in steps], env)
    return found


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_the_local_runner_runs_what_the_workflows_say(flow: Flow, tmp_path: Path) -> None:
    local = local_jobs(flow, tmp_path)
    github = github_jobs(flow)
    assert set(local.by_job) == set(github)
    for slug, (steps, env) in github.items():
        ran = [c[:-2] if c[-2:] == ("--output", "json") else c for c in local.by_job[slug]]
        assert ran == steps, slug
        extra = {name for name in env if not name.startswith("CI_")} - GITHUB_ONLY
        assert not extra, f"{slug}: GitHub gives {sorted(extra)}, the local runner does not"
        assert local.env[slug] == {"HANGAR_LOG_DIR"}
