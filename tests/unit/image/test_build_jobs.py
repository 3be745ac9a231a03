"""The job runner's reading of buildx output: the live line, the failing step, and one more
try when the registry fails the push.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hangar.image.building.buildx import BuildParams
from hangar.image.building.jobs import (
    RETRY_NOTE,
    JobResult,
    failing_step,
    meaningful_line,
    run_one,
    step_error,
)
from hangar.image.building.plan import cache_ref, dockerfile_args, platform_slug
from hangar.image.building.request import BuildJob
from hangar.ports import ProcessResult
from tests.fakes.world import BUILD_FAILED, BUILD_OK, REPO


def test_live_line_shows_steps_and_skips_noise() -> None:
    assert meaningful_line("#9 [build 4/4] RUN install") == "[build 4/4] RUN install"
    assert meaningful_line("#9 CACHED") == "CACHED"
    assert meaningful_line("#9 12.3 Installed 152 packages") == "12.3 Installed 152 packages"
    assert meaningful_line("#9 DONE 3.1s") is None
    assert meaningful_line("#5 sha256:abc 1.2MB / 3MB") is None
    assert meaningful_line("   ") is None


def test_failing_step_is_the_step_whose_id_errored() -> None:
    log = "#8 [build 3/4] COPY x\n#8 DONE 0.1s\n" + BUILD_FAILED
    assert failing_step(log) == "[build 4/4] RUN /scripts/docker/install-airflow.sh"
    assert failing_step("#1 [internal] load\n#1 DONE\n") is None


def test_a_cache_not_pushed_yet_is_not_the_failing_step() -> None:
    log = (
        "#4 importing cache manifest from r/a:cache-python3.11-linux-amd64\n"
        "#4 ERROR: failed to configure registry cache importer: r/a:cache-python3.11: not found\n"
        "#8 [build 3/4] COPY x\n#8 DONE 0.1s\n" + BUILD_FAILED
    )
    assert failing_step(log) == "[build 4/4] RUN /scripts/docker/install-airflow.sh"
    assert failing_step("#2 [internal] load\n#2 ERROR: no Dockerfile\n") == "[internal] load"


def test_the_steps_own_error_is_the_line_its_script_marked() -> None:
    log = (
        "#9 [build 4/4] RUN /scripts/docker/install-airflow.sh\n"
        "#9 12.1 Installed 152 packages\n"
        "#9 12.2 \n"
        "#9 12.3 hangar-error: unknown Airflow extra(s): no-such-extra; see https://x\n"
        "#9 12.4 \n"
        '#9 ERROR: process "/bin/bash -o pipefail -c /scripts/docker/install-airflow.sh" did not'
        " complete successfully: exit code: 1\n"
        '> ERROR: failed to solve: process "/bin/bash -o pipefail -c ..."\n'
    )
    assert step_error(log) == "unknown Airflow extra(s): no-such-extra; see https://x"


def test_unmarked_the_steps_own_error_is_its_last_line_before_the_error() -> None:
    log = (
        "#4 importing cache manifest from r/a:cache-python3.11-linux-amd64\n"
        "#4 ERROR: failed to configure registry cache importer: not found\n"
        "#7 [main 3/9] RUN some-step\n"
        "#7 0.5 E: Unable to locate package no-such-package\n"
        "#7 0.6 \n"
        "#7 ERROR: process did not complete successfully: exit code: 100\n"
    )
    assert step_error(log) == "E: Unable to locate package no-such-package"
    assert step_error("#1 [internal] load\n#1 DONE\n") is None


def test_the_failure_shown_is_the_error_else_the_step_cut_short(tmp_path: Path) -> None:
    job = BuildJob(
        name="3.11",
        python="3.11",
        params=BuildParams(context=REPO, python="3.11", base_image="b"),
        log_path=tmp_path / "b.log",
        constraints_file=None,
    )
    run = "[main 12/20] RUN --mount=type=cache,target=/root/.cache " + "x" * 400
    with_error = JobResult(job=job, ok=False, returncode=1, seconds=1, failing_step=run, error="E")
    assert with_error.shown_failure == "E"
    bare = JobResult(job=job, ok=False, returncode=1, seconds=1, failing_step=run)
    assert bare.shown_failure.startswith("[main 12/20] RUN --mount")
    assert len(bare.shown_failure) == 60


def test_cache_tags_are_per_python_and_platform() -> None:
    assert (
        cache_ref("r/a", python="3.11", platform="linux/arm64/v8")
        == "r/a:cache-python3.11-linux-arm64-v8"
    )
    assert platform_slug("linux/amd64") == "linux-amd64"


def test_dockerfile_build_args_are_read_with_their_defaults() -> None:
    args = dockerfile_args((REPO / "Dockerfile").read_text())
    assert "celery" in args["AIRFLOW_EXTRAS"].split(",")
    assert args["AIRFLOW_UID"] == "50000"
    assert "ADDITIONAL_PYTHON_DEPS" in args
    assert "BUILD_ID" in args


PUSH_500 = (
    "#51 pushing layers 2.1s done\n"
    "#51 ERROR: unexpected status from HEAD request to http://127.0.0.1:5000/v2/a/manifests/"
    "slim-3.3.2-python3.13: 500 Internal Server Error\n"
)


@dataclass
class ScriptedEngine:
    """Answers each build with the next of `outputs` (returncode 0 when it holds no ERROR)."""

    outputs: list[str]
    builds: int = 0

    def build(self, args: Sequence[str], *, log: IO[str] | None = None) -> ProcessResult:
        text = self.outputs[self.builds]
        self.builds += 1
        if log is not None:
            log.write(text)
        return ProcessResult(args=tuple(args), returncode=1 if "ERROR" in text else 0, stdout=text)

    def load(self, archive: Path) -> None:
        raise AssertionError("no archive here")

    def push(self, ref: str) -> None:
        raise AssertionError("buildx pushes")


def _run(engine: ScriptedEngine, tmp_path: Path, *, push: bool) -> tuple[JobResult, str]:
    job = BuildJob(
        name="3.13",
        python="3.13",
        params=BuildParams(context=REPO, python="3.13", base_image="b", push=push),
        log_path=tmp_path / "build-3.13.log",
        constraints_file=None,
    )

    @contextmanager
    def open_log(path: Path) -> Iterator[IO[str]]:
        with path.open("w") as log:
            yield log

    result = run_one(job, engine, open_log=open_log, on_line=lambda job, line: None)
    return result, job.log_path.read_text()


def test_a_registry_server_error_during_the_push_is_tried_once_more(tmp_path: Path) -> None:
    engine = ScriptedEngine([BUILD_OK + PUSH_500, BUILD_OK])
    result, log = _run(engine, tmp_path, push=True)
    assert result.ok
    assert engine.builds == 2
    assert RETRY_NOTE in log  # the log says why it built twice


def test_the_second_registry_error_fails_the_build(tmp_path: Path) -> None:
    engine = ScriptedEngine([PUSH_500, PUSH_500, BUILD_OK])
    result, _ = _run(engine, tmp_path, push=True)
    assert not result.ok
    assert engine.builds == 2
    assert result.failing_step is not None
    assert "500 Internal Server Error" in result.failing_step


def test_other_failures_and_builds_without_push_are_not_tried_again(tmp_path: Path) -> None:
    for output, push in ((BUILD_FAILED, True), (PUSH_500, False)):
        engine = ScriptedEngine([output, BUILD_OK])
        result, _ = _run(engine, tmp_path, push=push)
        assert not result.ok
        assert engine.builds == 1
