"""`hangar image build` driven through the real CLI with a fake runner, probe and constraints
source: options become the right buildx command, tags, cache references, secrets, errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hangar.errors import (
    BadInput,
    EngineUnavailable,
    ExitCode,
    NotFound,
    RegistryUnavailable,
    StepFailed,
)
from tests.fakes.world import (
    NOW,
    SHA,
    SMALL_CONFIG,
    World,
    build_args,
    cache_exports,
    make_project,
    value_of,
)


def test_every_build_option_becomes_its_build_arg(world: World) -> None:
    (world.root / "docker-context-files" / "airflow.whl").write_text("")
    (world.root / "dags" / "x").mkdir()
    result = world.invoke(
        "image",
        "build",
        "--python",
        "3.11",
        "--extras",
        "celery,postgres",
        "--additional-extras",
        "redis",
        "--additional-python-deps",
        "pandas<3",
        "--additional-python-deps",
        "requests",
        "--dev-apt-deps",
        "gcc",
        "--additional-dev-apt-deps",
        "libkrb5-dev",
        "--runtime-apt-deps",
        "curl",
        "--additional-runtime-apt-deps",
        "vim",
        "--additional-runtime-apt-deps",
        "jq",
        "--airflow-version",
        "3.2.0",
        "--installation-method",
        "airflow.whl",
        "--constraints-mode",
        "constraints-no-providers",
        "--constraints-reference",
        "main",
        "--uid",
        "1000",
        "--home",
        "/srv/airflow",
        "--installer",
        "pip",
        "--embedded-dags",
        "dags/x",
        "--build-arg",
        "COMPILE_BYTECODE=false",
    )
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    args = build_args(build)
    assert args["AIRFLOW_EXTRAS"] == "celery,postgres"
    assert args["ADDITIONAL_AIRFLOW_EXTRAS"] == "redis"
    assert args["ADDITIONAL_PYTHON_DEPS"] == "pandas<3 requests"
    assert args["DEV_APT_DEPS"] == "gcc"
    assert args["ADDITIONAL_DEV_APT_DEPS"] == "libkrb5-dev"
    assert args["RUNTIME_APT_DEPS"] == "curl"
    assert args["ADDITIONAL_RUNTIME_APT_DEPS"] == "vim jq"
    assert "RUNTIME_PACKAGES_STEP" not in args  # the step installs them
    assert args["AIRFLOW_VERSION"] == "3.2.0"
    assert args["AIRFLOW_INSTALLATION_METHOD"] == "airflow.whl"
    assert args["AIRFLOW_CONSTRAINTS_MODE"] == "constraints-no-providers"
    assert args["AIRFLOW_CONSTRAINTS_REFERENCE"] == "main"
    assert args["AIRFLOW_UID"] == "1000"
    assert args["AIRFLOW_HOME"] == "/srv/airflow"
    assert args["AIRFLOW_USE_UV"] == "false"
    assert args["EMBEDDED_DAGS"] == "dags/x"
    assert args["COMPILE_BYTECODE"] == "false"
    assert args["PYTHON_MAJOR_MINOR_VERSION"] == "3.11"
    assert args["PYTHON_BASE_IMAGE"] == "reg.example:5000/python:3.11-slim-bookworm"


def test_the_runtime_packages_step_is_left_out_only_when_it_has_nothing_to_install(
    world: World,
) -> None:
    for options, step in (
        ((), "skip"),
        (("--additional-python-deps", "six"), None),  # their Debian libraries
        (("--additional-runtime-apt-deps", "jq"), None),
        (("--build-arg", "ADDITIONAL_RUNTIME_APT_COMMAND=apt-get install -y jq"), None),
        (("--build-arg", "RUNTIME_PACKAGES_STEP=run"), "run"),
    ):
        world.runner.commands.clear()
        result = world.invoke("image", "build", "--allow-upgrades", *options)
        assert result.exit_code == 0, result.output
        (build,) = world.runner.builds()
        assert build_args(build).get("RUNTIME_PACKAGES_STEP") == step, options


def test_defaults_leave_the_dockerfile_defaults_alone_and_stamp_the_build(world: World) -> None:
    result = world.invoke("image", "build")
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    args = build_args(build)
    assert "AIRFLOW_EXTRAS" not in args  # the Dockerfile's default set
    assert args["PYTHON_MAJOR_MINOR_VERSION"] == "3.13"  # default_python from hangar.toml
    assert args["COMMIT_SHA"] == SHA
    assert args["AIRFLOW_IMAGE_DATE_CREATED"] == "2026-01-02T03:04:05Z"
    assert args["BUILD_ID"] == NOW.strftime("%Y%m%d%H%M%S")
    assert value_of(build.args, "--tag") == ["reg.example:5000/airflow:3.3.2-python3.13"]
    assert value_of(build.args, "--network") == ["host"]
    # loaded into the engine with zstd layers (fast to export and unpack)
    assert value_of(build.args, "--output") == ["type=docker,compression=zstd"]
    assert build.args[-1] == str(world.root)


def test_python_all_builds_every_configured_version_each_with_its_log(world: World) -> None:
    result = world.invoke(
        "image", "build", "--python", "all", "--extras", "celery", "--output", "json"
    )
    assert result.exit_code == 0, result.output
    pythons = sorted(build_args(b)["PYTHON_MAJOR_MINOR_VERSION"] for b in world.runner.builds())
    assert pythons == ["3.11", "3.13"]
    for python in pythons:
        log = world.root / ".hangar" / "logs" / f"build-{python}.log"
        assert "#9 CACHED" in log.read_text()
        assert f'"log": ".hangar/logs/build-{python}.log"' in result.output
    assert "3.3.2-python3.11" in result.output


def test_unknown_python_version_is_bad_input_listing_the_supported_ones(world: World) -> None:
    result = world.invoke("image", "build", "--python", "3.9")
    assert isinstance(result.exception, BadInput)
    assert "3.9" in result.exception.message
    assert "3.11" in (result.exception.hint or "")
    assert not world.runner.builds()


BETA = ("apache-airflow", "3.4.0b2")
BETA_REQUIRES = "!=3.15,>=3.11"  # what the index says of 3.4.0b2


def test_a_python_the_release_does_not_support_is_refused_before_anything(world: World) -> None:
    """In a dry run too, and the dry run writes nothing, not even the cached Requires-Python."""
    world.index.requires[BETA] = BETA_REQUIRES
    result = world.invoke(
        "image", "build", "--airflow-version", "3.4.0b2", "--python", "3.11,3.10", "--dry-run"
    )
    assert isinstance(result.exception, BadInput)  # exit 5
    assert result.exception.message == (
        "Airflow 3.4.0b2 does not support Python 3.10 (Requires-Python !=3.15,>=3.11)"
    )
    assert result.exception.hint == "it supports 3.11, 3.12, 3.13, 3.14"
    assert world.runner.builds() == []
    assert not (world.root / ".hangar" / "cache" / "requires-python").exists()


def test_python_all_is_the_configured_pythons_the_release_supports(tmp_path: Path) -> None:
    config = SMALL_CONFIG.replace('pythons = "3.11,3.13"', 'pythons = "3.10,3.11,3.13,3.14"')
    world = World(root=make_project(tmp_path / "p", config))
    world.index.requires[BETA] = BETA_REQUIRES
    result = world.invoke("image", "build", "--airflow-version", "3.4.0b2", "--python", "all")
    assert result.exit_code == 0, result.output
    pythons = sorted(build_args(b)["PYTHON_MAJOR_MINOR_VERSION"] for b in world.runner.builds())
    assert pythons == ["3.11", "3.13", "3.14"]
    cached = world.root / ".hangar" / "cache" / "requires-python" / "apache-airflow-3.4.0b2.txt"
    assert cached.read_text() == BETA_REQUIRES + "\n"
    # the next build reads the cache, not the index
    del world.index.requires[BETA]
    again = world.invoke("image", "build", "--airflow-version", "3.4.0b2", "--python", "3.10")
    assert isinstance(again.exception, BadInput)


def test_tag_patterns_are_filled_per_python(world: World) -> None:
    result = world.invoke(
        "image",
        "build",
        "--python",
        "3.11,3.13",
        "--tag",
        "my/af:{airflow_version}-py{python}",
        "--tag",
        "my/af:latest-python{python}",
    )
    assert result.exit_code == 0, result.output
    tags = sorted(t for b in world.runner.builds() for t in value_of(b.args, "--tag"))
    assert tags == [
        "my/af:3.3.2-py3.11",
        "my/af:3.3.2-py3.13",
        "my/af:latest-python3.11",
        "my/af:latest-python3.13",
    ]


def test_a_tag_without_python_for_several_versions_is_refused(world: World) -> None:
    result = world.invoke("image", "build", "--python", "all", "--tag", "my/af:latest")
    assert isinstance(result.exception, BadInput)
    assert not world.runner.builds()


def test_cache_registry_uses_and_exports_per_python_and_platform_cache_tags(world: World) -> None:
    result = world.invoke("image", "build", "--python", "3.11", "--cache", "registry", "--push")
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    ref = "reg.example:5000/airflow:cache-python3.11-linux-amd64"
    assert value_of(build.args, "--cache-from") == [f"type=registry,ref={ref}"]
    assert cache_exports(build.args) == [ref]
    assert value_of(build.args, "--output") == [
        "type=image,push=true,compression=gzip,force-compression=true"
    ]


def test_cache_from_another_repository(world: World) -> None:
    world.invoke("image", "build", "--python", "3.13", "--cache-from", "cache.example/af")
    (build,) = world.runner.builds()
    assert value_of(build.args, "--cache-from") == [
        "type=registry,ref=cache.example/af:cache-python3.13-linux-amd64"
    ]
    assert "--cache-to" not in build.args


def test_index_urls_go_in_as_secrets_from_the_environment_never_on_the_command_line(
    world: World,
) -> None:
    secret = "https://user:s3cret@pypi.example/simple"
    result = world.invoke(
        "image",
        "build",
        "--python",
        "3.11",
        "--index-url",
        secret,
        "--extra-index-url",
        "https://a.example/simple",
        "--ca-bundle",
        "/etc/hostname",
    )
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    assert secret not in " ".join(build.args)
    assert secret not in build.quoted()
    assert secret not in result.output
    assert "id=index-url,env=HANGAR_SECRET_INDEX_URL" in build.args
    assert "id=extra-index-urls,env=HANGAR_SECRET_EXTRA_INDEX_URLS" in build.args
    assert "id=ca-bundle,src=/etc/hostname" in build.args
    # docker gets it through its own environment, which no printout of the command shows
    assert build.secret_env["HANGAR_SECRET_INDEX_URL"] == secret
    assert secret not in repr(build)
    assert "HANGAR_SECRET_INDEX_URL" not in os.environ


def test_constraints_are_provided_per_python_when_no_location_is_given(world: World) -> None:
    result = world.invoke("image", "build", "--python", "all", "--extras", "celery,postgres")
    assert result.exit_code == 0, result.output
    assert [c["python"] for c in world.constraints.calls] == ["3.11", "3.13"]
    assert world.constraints.calls[0]["extras"] == ("celery", "postgres")
    for python in ("3.11", "3.13"):
        assert (world.root / "docker-context-files" / f"constraints-{python}.txt").is_file()


def test_a_constraints_location_skips_generation(world: World) -> None:
    result = world.invoke("image", "build", "--constraints-location", "none")
    assert result.exit_code == 0, result.output
    assert not world.constraints.calls
    assert build_args(world.runner.builds()[0])["AIRFLOW_CONSTRAINTS_LOCATION"] == "none"


def test_missing_engine_fails_before_anything(world: World) -> None:
    world.runner.engine_up = False
    result = world.invoke("image", "build")
    assert isinstance(result.exception, EngineUnavailable)
    assert result.exception.exit_code == ExitCode.NO_ENGINE
    assert not world.runner.builds()
    assert not world.constraints.calls


def test_missing_base_image_is_named(world: World) -> None:
    world.probe.missing = frozenset({"reg.example:5000/python:3.13-slim-trixie"})
    result = world.invoke("image", "build", "--python", "all")
    assert isinstance(result.exception, NotFound)
    assert "reg.example:5000/python:3.13-slim-trixie" in result.exception.message
    assert not world.runner.builds()


def test_unreachable_registry_is_a_registry_error(world: World) -> None:
    world.probe.missing = frozenset({"reg.example:5000/python:3.13-slim-trixie"})
    world.probe.registry_up = False
    result = world.invoke("image", "build")
    assert isinstance(result.exception, RegistryUnavailable)
    assert "reg.example:5000" in result.exception.message


def test_a_failed_build_fails_the_command_with_the_steps_own_error_then_its_log(
    world: World,
) -> None:
    world.runner.fail_python = "3.11"
    result = world.invoke("image", "build", "--python", "all")
    assert isinstance(result.exception, StepFailed)
    message = result.exception.message
    assert message.startswith("1 of 2 build(s) failed: 3.11: ERROR: no matching distribution")
    assert message.endswith("build-3.11.log)")
    assert "RUN" not in message  # never the step's command as the reason
    # the first line about the failure is its own error, the log's last lines after it
    failed = next(line for line in result.output.splitlines() if "failed" in line)
    assert failed.startswith("3.11 failed: ERROR: no matching distribution for nosuchpackage;")
    assert len(world.runner.builds()) == 2  # the other build still ran


def test_unknown_build_arg_names_are_refused(world: World) -> None:
    result = world.invoke("image", "build", "--build-arg", "NOT_AN_ARG=1")
    assert isinstance(result.exception, BadInput)
    result = world.invoke("image", "build", "--build-arg", "no-equals-sign")
    assert isinstance(result.exception, BadInput)


def test_installation_method_must_exist_in_docker_context_files(world: World) -> None:
    result = world.invoke("image", "build", "--installation-method", "missing.whl")
    assert isinstance(result.exception, NotFound)


def test_json_summary(world: World) -> None:
    result = world.invoke("image", "build", "--python", "3.11", "--output", "json")
    assert result.exit_code == 0, result.output
    assert '"result": "ok"' in result.output
    assert '"tags": [\n        "reg.example:5000/airflow:3.3.2-python3.11"' in result.output


def test_the_real_entry_point_exits_with_the_documented_code(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", SMALL_CONFIG)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from hangar.cli.main import main; main()",
            "image",
            "build",
            "--python",
            "2.7",
            "--dry-run",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == ExitCode.BAD_INPUT
    assert done.stderr.startswith("hangar: error: unknown Python version 2.7")
    assert "Traceback" not in done.stderr


def test_a_platform_the_builder_cannot_run_is_refused_before_any_build(world: World) -> None:
    result = world.invoke("image", "build", "--python", "3.11", "--platform", "linux/arm64")
    assert isinstance(result.exception, BadInput)
    assert result.exception.message == ("the builder cannot run linux/arm64 (it runs linux/amd64)")
    assert "emulation" in (result.exception.hint or "")
    assert not world.runner.builds()


def test_a_multi_platform_image_is_loaded_only_into_a_containerd_store(world: World) -> None:
    world.probe.platforms = ("linux/amd64", "linux/arm64")
    world.probe.containerd_store = False
    both = ("--python", "3.11", "--platform", "linux/amd64,linux/arm64")
    refused = world.invoke("image", "build", *both)
    assert isinstance(refused.exception, BadInput)
    assert "cannot keep a multi-platform image" in refused.exception.message
    assert "--push" in (refused.exception.hint or "")
    assert not world.runner.builds()

    pushed = world.invoke("image", "build", *both, "--push")
    assert pushed.exit_code == 0, pushed.output
    (build,) = world.runner.builds()
    assert value_of(build.args, "--platform") == ["linux/amd64,linux/arm64"]


def test_slim_builds_airflow_with_no_extras_under_slim_tags(world: World) -> None:
    result = world.invoke("image", "build", "--python", "3.11", "--slim", "--cache", "registry")
    assert result.exit_code == 0, result.output
    (build,) = world.runner.builds()
    assert "AIRFLOW_EXTRAS=" in value_of(build.args, "--build-arg")
    assert value_of(build.args, "--tag") == ["reg.example:5000/airflow:slim-3.3.2-python3.11"]
    assert any("cache-slim-python3.11-linux-amd64" in v for v in value_of(build.args, "--cache-to"))

    refused = world.invoke("image", "build", "--slim", "--extras", "celery")
    assert isinstance(refused.exception, BadInput)
    assert "--slim builds Airflow with no extras" in refused.exception.message


def test_slim_keeps_the_runtime_packages_of_the_regular_image(world: World) -> None:
    """As the official slim image: no extras, the same tools (the Dockerfile's list)."""
    result = world.invoke("image", "build", "--python", "3.11", "--slim")
    assert result.exit_code == 0, result.output
    (slim,) = world.runner.builds()
    assert "RUNTIME_APT_DEPS" not in build_args(slim)
    assert build_args(slim)["AIRFLOW_EXTRAS"] == ""

    smaller = world.invoke(
        "image", "build", "--python", "3.11", "--slim", "--runtime-apt-deps", "ca-certificates"
    )
    assert smaller.exit_code == 0, smaller.output
    assert build_args(world.runner.builds()[-1])["RUNTIME_APT_DEPS"] == "ca-certificates"
