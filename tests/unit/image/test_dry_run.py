"""`hangar image build --dry-run`: copy-pasteable commands, nothing run."""

from __future__ import annotations

from tests.fakes.world import (
    World,
)


def test_dry_run_prints_copy_pasteable_commands_and_runs_nothing(world: World) -> None:
    result = world.invoke(
        "image",
        "build",
        "--python",
        "all",
        "--cache",
        "registry",
        "--push",
        "--dry-run",
        "--index-url",
        "https://u:pw@idx.example/simple",
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("docker buildx build")]
    assert len(lines) == 2
    assert (
        "--cache-to type=registry,ref=reg.example:5000/airflow:cache-python3.11-linux-amd64"
        ",mode=max" in lines[0]
    )
    assert "pw@" not in result.output
    assert "export HANGAR_SECRET_INDEX_URL=... first" in result.output
    # nothing that changes state ran: no build, no constraints, no log files
    assert not world.runner.builds()
    assert not world.constraints.calls
    assert not (world.root / ".hangar").exists()


def test_dry_run_needs_no_engine(world: World) -> None:
    world.runner.engine_up = False
    result = world.invoke("image", "build", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "docker buildx build" in result.output


def test_a_pushed_build_carries_full_provenance_naming_its_builder(world: World) -> None:
    world.environ.update(
        GITHUB_SERVER_URL="https://github.example",
        GITHUB_REPOSITORY="org/hangar",
        GITHUB_RUN_ID="42",
    )
    pushed = world.invoke("image", "build", "--push", "--dry-run")
    assert (
        "--provenance mode=max,builder-id=https://github.example/org/hangar/actions/runs/42"
        in pushed.output
    )
    local = world.invoke("image", "build", "--dry-run")
    assert "--provenance" not in local.output  # the engine keeps no attestations


def test_outside_ci_the_builder_is_the_buildx_builder(world: World) -> None:
    world.environ["BUILDX_BUILDER"] = "airflow_cache"
    pushed = world.invoke("image", "build", "--push", "--dry-run")
    assert "--provenance mode=max,builder-id=buildx://airflow_cache" in pushed.output
