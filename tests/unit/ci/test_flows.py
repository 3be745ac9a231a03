"""The flow definition: every case of the CI diagrams, each step a real `hangar` command, and
the local runner executing it (stage order, parallel stages, skipped steps, failures).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import IO

import click
import pytest

from hangar.ci.flows import EVENTS, FLOWS, Flow, expand, flow_for, placeholders, validate
from hangar.ci.runner import FAILED, OK, SKIPPED, FlowRun, LocalRun, run_flow
from hangar.ci.workflows import github_values
from hangar.cli.main import cli
from hangar.errors import BadInput, StepFailed
from hangar.infra.files import LocalFiles
from hangar.ports import Command, ProcessResult
from tests.fakes.ci import LOCAL_VALUES, decision

FROM_DECISION = {"python", "airflow_version", "upgrade_cutoff"}


def _steps(flow: Flow) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.id, step.argv) for s in flow.stages for step in s.steps]


def test_there_is_one_flow_per_event_of_the_diagrams() -> None:
    assert sorted(EVENTS) == ["pull_request", "pull_request_fork", "push", "refresh", "schedule"]
    with pytest.raises(BadInput, match="no CI flow for event 'release'"):
        flow_for("release")


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_flows_are_well_formed(flow: Flow) -> None:
    validate(flow)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_every_step_is_an_existing_hangar_command(flow: Flow) -> None:
    ctx = click.Context(cli)
    for stage_id, argv in _steps(flow):
        group: click.Command = cli
        words = [a for a in argv if not a.startswith("-")]
        for word in words[:2]:
            assert isinstance(group, click.Group), (stage_id, argv)
            found = group.get_command(ctx, word)
            assert found is not None, f"{stage_id}: no command `hangar {' '.join(words[:2])}`"
            group = found
            if not isinstance(group, click.Group):
                break
        options = {o for p in group.params for o in getattr(p, "opts", ())}
        for arg in argv:
            if arg.startswith("--"):
                assert arg in options, f"{stage_id}: `{arg}` is not an option of {argv[:2]}"


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_every_placeholder_has_a_value_locally_and_on_github(flow: Flow) -> None:
    known = set(LOCAL_VALUES) | FROM_DECISION
    gh = set(github_values("build-info", trigger="push"))
    for stage_id, argv in _steps(flow):
        names = placeholders(argv) - {"extras", "selective_options"}
        assert names <= known, (stage_id, names - known)
        assert names <= gh, (stage_id, names - gh)


def test_canary_order_follows_the_diagram() -> None:
    flow = flow_for("push")
    waves = flow.waves()
    assert waves[0] == ("build-info",)
    assert set(waves[1]) == {"early-cache", "ci-image"}  # early cache beside the upgrade
    assert set(waves[2]) == {"tests", "prod-image"}  # PROD build beside the tests
    assert flow.stage("push-constraints").needs == ("tests", "verify-prod")
    assert flow.stage("latest-images").needs == ("push-constraints",)
    ci = [step.argv for step in flow.stage("ci-image").steps]
    assert ci[0][:2] == ("constraints", "generate")  # always upgrade
    assert "--exclude-newer" in ci[0]
    assert "--constraints-location" in ci[1]
    latest = [step.argv for step in flow.stage("latest-images").steps]
    assert all("--cache-to" in argv and "--push" in argv for argv in latest)


def test_scheduled_is_canary_on_a_schedule() -> None:
    canary, scheduled = flow_for("push"), flow_for("schedule")
    assert [s.id for s in canary.stages] == [s.id for s in scheduled.stages]
    assert scheduled.workflows == {"scheduled": "schedule"}


def test_a_forks_images_are_built_read_only_and_pushed_by_a_job_that_builds_nothing() -> None:
    fork = flow_for("pull_request_fork")
    assert fork.workflows == {
        "build-images": "pull_request",
        "push-images": "workflow_run",
        "tests": "pull_request",
    }
    # every job that runs the fork's files has a read-only token
    for stage in fork.stages:
        if stage.workflow != "push-images":
            assert stage.writes == frozenset(), f"{stage.id} runs the fork's files with a write"
    builds = [
        step.argv
        for stage in fork.stages
        for step in stage.steps
        if step.argv[:2] in (("ci", "build-image"), ("image", "build"))
    ]
    assert builds
    assert all("--archive" in argv and "--push" not in argv for argv in builds)
    assert all("--cache-to" not in argv for argv in builds)  # the registry cache stays clean
    # the one writer only pushes archives, after the whole build run, and builds nothing
    push = fork.stage("push-images")
    assert push.writes == frozenset({"packages"})
    assert push.after == "build-images"
    assert [step.argv[:2] for step in push.steps] == [("ci", "push-archive")] * 2
    assert fork.waits_for(push) == ("build-info-images", "build-ci-image", "build-prod-image")
    # what the build jobs upload is what the push job downloads
    uploaded = {a for s in fork.stages for a in s.uploads if s.workflow == "build-images"}
    assert set(push.downloads) <= uploaded
    # the tests side only waits for the pushed images
    assert fork.stage("ci-image").steps[0].argv[:2] == ("ci", "wait-for-image")


def test_a_pull_request_from_the_repository_builds_in_its_tests_workflow() -> None:
    flow = flow_for("pull_request")
    assert {s.workflow for s in flow.stages} == {"tests"}
    commands = [step.argv[:2] for step in flow.stage("ci-image").steps]
    assert ("ci", "build-image") in commands
    # PRs never push constraints
    assert not any(step.git_push for stage in flow.stages for step in stage.steps)


def test_write_permission_only_where_something_is_pushed() -> None:
    for flow in FLOWS:
        for stage in flow.stages:
            pushes = any(
                "--push" in step.argv
                or step.argv[:2]
                in (("image", "release"), ("image", "refresh-released"), ("ci", "push-archive"))
                for step in stage.steps
            )
            commits = any(step.argv[:2] == ("ci", "push-constraints") for step in stage.steps)
            assert ("packages" in stage.writes) == pushes, (flow.name, stage.id)
            assert ("contents" in stage.writes) == commits, (flow.name, stage.id)


def test_expand_fills_values_and_list_arguments() -> None:
    argv = ("image", "build", "--tag", "{image}:{sha}-python{python}", "{*extras}")
    values = {"image": "r/a", "sha": "s", "python": "3.11"}
    assert expand(argv, values, {"extras": ["--extras", "celery"]}) == (
        "image",
        "build",
        "--tag",
        "r/a:s-python3.11",
        "--extras",
        "celery",
    )
    assert expand(argv, values, {}) == ("image", "build", "--tag", "r/a:s-python3.11")
    with pytest.raises(BadInput, match=r"no value for \{sha\}"):
        expand(argv, {"image": "r"}, {})


# -- the local runner, with a fake process runner ---------------------------------------------
class FakeRunner:
    """Answers selective-checks with a decision; records every command; can fail a step."""

    def __init__(self, decision: dict[str, str], fail: str | None = None) -> None:
        self.decision = decision
        self.fail = fail
        self.commands: list[tuple[str, ...]] = []
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        argv = command.args[1:]
        with self.lock:
            self.commands.append(argv)
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(0.02)
        with self.lock:
            self.active -= 1
        if argv[:2] == ("ci", "selective-checks"):
            return ProcessResult(args=command.args, returncode=0, stdout=json.dumps(self.decision))
        if stream_to is not None:
            stream_to.write(f"ran {' '.join(argv[:2])}\n")
        failed = self.fail is not None and self.fail in " ".join(argv)
        return ProcessResult(args=command.args, returncode=1 if failed else 0, stderr="boom")


def _run(flow: Flow, runner: FakeRunner, tmp_path: Path, parallelism: int = 4) -> FlowRun:
    local = LocalRun(
        runner=runner,
        files=LocalFiles(),
        hangar=("hangar",),
        cwd=tmp_path,
        log_dir=tmp_path / "logs",
        values=LOCAL_VALUES,
        lists={"extras": ["--extras", "celery"], "selective_options": []},
        parallelism=parallelism,
    )
    lines: list[str] = []
    return run_flow(flow, local, on_line=lambda j, line: lines.append(line), on_done=lambda o: None)


def test_local_canary_runs_every_stage_per_python_in_order(tmp_path: Path) -> None:
    runner = FakeRunner(decision())
    result = _run(flow_for("push"), runner, tmp_path)
    assert result.ok
    keys = [o.job.key for o in result.outcomes]
    assert "early-cache 3.11" in keys
    assert "latest-images 3.13" in keys
    order = [" ".join(c[:2]) for c in runner.commands]
    assert order.index("ci push-constraints") > max(
        i for i, c in enumerate(order) if c == "image verify"
    )
    assert order[-1] in ("ci build-image", "image build")
    assert runner.most_active > 1  # parallel stages ran at the same time
    assert all(
        c[c.index("--extras") :][:2] == ("--extras", "celery")
        for c in runner.commands
        if "--extras" in c
    )
    log = (tmp_path / "logs" / "ci-image-3.11.log").read_text()
    assert "hangar constraints generate --airflow-version 3.3.2 --python 3.11" in log


def test_steps_whose_condition_is_false_are_skipped(tmp_path: Path) -> None:
    runner = FakeRunner(decision(**{"upgrade-constraints": "false", "prod-image": "false"}))
    result = _run(flow_for("pull_request"), runner, tmp_path)
    assert result.ok
    commands = [c[:2] for c in runner.commands]
    assert ("constraints", "generate") not in commands
    assert ("image", "build") not in commands
    ci = next(o for o in result.outcomes if o.job.key == "ci-image 3.11")
    assert ci.steps_run == ("build CI image SHA (original constraints)",)


def test_a_failed_stage_skips_what_needs_it(tmp_path: Path) -> None:
    runner = FakeRunner(decision(**{"python-versions": '["3.11"]'}), fail="dags check")
    result = _run(flow_for("push"), runner, tmp_path)
    status = {o.job.stage.id: o.status for o in result.outcomes}
    assert status["tests"] == FAILED
    assert status["verify-prod"] == OK
    assert status["push-constraints"] == SKIPPED
    assert status["latest-images"] == SKIPPED
    assert not result.ok
    assert ("ci", "push-constraints") not in [c[:2] for c in runner.commands]
    with pytest.raises(StepFailed, match=r"1 job\(s\) failed: tests 3.11"):
        result.raise_for_failure()


def test_a_fork_run_builds_and_waits_at_the_same_time_and_pushes_after_the_builds(
    tmp_path: Path,
) -> None:
    runner = FakeRunner(decision(**{"python-versions": '["3.11"]'}))
    result = _run(flow_for("pull_request_fork"), runner, tmp_path)
    assert result.ok
    commands = [c[:2] for c in runner.commands]
    assert ("ci", "wait-for-image") in commands
    assert ("ci", "build-image") in commands
    pushes = [i for i, c in enumerate(commands) if c == ("ci", "push-archive")]
    builds = [i for i, c in enumerate(commands) if c == ("ci", "build-image")]
    assert len(pushes) == 2
    assert max(builds) < min(pushes)
    assert set(result.decisions) == {"tests", "build-images"}
