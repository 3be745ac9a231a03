"""The job runner's reading of buildx output: the live line and the failing step."""

from __future__ import annotations

from hangar.image.jobs import failing_step, meaningful_line
from hangar.image.plan import cache_ref, dockerfile_args, platform_slug
from tests.fakes.world import BUILD_FAILED, REPO


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
