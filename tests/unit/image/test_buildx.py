"""Build parameters turn into the exact, copy-pasteable `docker buildx build` command."""

from __future__ import annotations

from pathlib import Path

from hangar.image.building.buildx import BuildParams, Secret, buildx_command, join_list_arg
from tests.fakes.world import value_of


def params(**kwargs: object) -> BuildParams:
    base: dict[str, object] = {
        "context": Path(),
        "python": "3.11",
        "base_image": "127.0.0.1:5000/python:3.11-slim-bookworm",
    }
    return BuildParams(**{**base, **kwargs})  # type: ignore[arg-type]


def test_python_version_and_base_image_become_build_args() -> None:
    args = buildx_command(params())
    assert "PYTHON_MAJOR_MINOR_VERSION=3.11" in args
    assert "PYTHON_BASE_IMAGE=127.0.0.1:5000/python:3.11-slim-bookworm" in args
    assert args[:2] == ("buildx", "build")
    assert args[-1] == "."


def test_build_uses_host_network_and_main_target_by_default() -> None:
    args = buildx_command(params())
    assert args[args.index("--network") + 1] == "host"
    assert args[args.index("--target") + 1] == "main"


def test_secrets_are_passed_by_file_or_variable_name_never_by_value() -> None:
    args = buildx_command(
        params(
            secrets=(
                Secret(id="ca-bundle", src=Path("/certs/ca.pem")),
                Secret(id="index-url", env="HANGAR_INDEX_URL"),
            )
        )
    )
    assert "id=ca-bundle,src=/certs/ca.pem" in args
    assert "id=index-url,env=HANGAR_INDEX_URL" in args


def test_registry_cache_is_exported_with_mode_max() -> None:
    args = buildx_command(
        params(
            cache_from=("reg/airflow:cache-linux-amd64",), cache_to="reg/airflow:cache-linux-amd64"
        )
    )
    assert "type=registry,ref=reg/airflow:cache-linux-amd64" in args
    (exported,) = value_of(args, "--cache-to")
    assert exported.startswith("type=registry,ref=reg/airflow:cache-linux-amd64,mode=max,")


def test_push_replaces_load() -> None:
    assert "--load" in buildx_command(params())
    pushed = buildx_command(params(push=True, tags=("reg/airflow:3.3.2",)))
    assert "type=image,push=true,compression=gzip,force-compression=true" in pushed
    assert "--load" not in pushed


def test_extras_are_joined_with_commas_and_packages_with_spaces() -> None:
    assert join_list_arg("AIRFLOW_EXTRAS", ("celery", "postgres")) == "celery,postgres"
    assert join_list_arg("ADDITIONAL_PYTHON_DEPS", ("six", "attrs")) == "six attrs"


def test_a_load_is_compressed_as_asked_and_a_push_always_forced() -> None:
    loaded = buildx_command(params(load_compression="zstd", tags=("a:1",)))
    assert value_of(loaded, "--output") == ["type=docker,compression=zstd"]
    assert "--load" not in loaded
    # a push converts what the builder holds in another compression (a zstd load before it)
    pushed = buildx_command(params(load_compression="zstd", push=True, tags=("a:1",)))
    assert value_of(pushed, "--output") == [
        "type=image,push=true,compression=gzip,force-compression=true"
    ]
    zstd = buildx_command(params(compression="zstd", push=True, tags=("a:1",)))
    assert value_of(zstd, "--output") == [
        "type=image,push=true,compression=zstd,force-compression=true"
    ]


def test_the_cache_export_always_forces_its_compression() -> None:
    """Unforced, BuildKit's cache export tries every combination of a layer's compressions."""
    for compression in ("gzip", "zstd"):
        args = buildx_command(
            params(compression=compression, push=True, cache_to="reg/c:t", tags=("a:1",))
        )
        options = f"compression={compression},force-compression=true,oci-mediatypes=true"
        assert value_of(args, "--cache-to") == [f"type=registry,ref=reg/c:t,mode=max,{options}"]


def test_an_oci_archive_takes_the_push_compression() -> None:
    args = buildx_command(params(oci_archive=Path("/tmp/a.tar"), load_compression="zstd"))
    assert value_of(args, "--output") == [
        "type=oci,dest=/tmp/a.tar,rewrite-timestamp=true,compression=gzip,force-compression=true"
    ]
