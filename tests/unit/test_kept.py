"""The key a kept test image is found by (tests/kept.py): every input changes it, the creation
date does not.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hangar.image.building.buildx import BuildParams, Secret
from tests.kept import build_key

BASE = "sha256:" + "1" * 64


@pytest.fixture
def params(tmp_path: Path) -> BuildParams:
    context = tmp_path / "ctx"
    (context / "scripts").mkdir(parents=True)
    (context / "Dockerfile").write_text("FROM scratch\n")
    (context / "scripts" / "install.sh").write_text("echo install\n")
    secret = tmp_path / "ca.pem"
    secret.write_text("a CA\n")
    return BuildParams(
        context=context,
        python="3.11",
        base_image="127.0.0.1:5000/python:3.11-slim-bookworm",
        build_args=(("AIRFLOW_EXTRAS", "celery"), ("AIRFLOW_IMAGE_DATE_CREATED", "2026-12-01")),
        secrets=(Secret(id="ca-bundle", src=secret), Secret(id="index-url", env="INDEX")),
        tags=("hangar-test:one",),
    )


def key(params: BuildParams, env: dict[str, str] | None = None, base: str = BASE) -> str:
    return build_key(params, env or {"INDEX": "https://index.example/simple"}, base)


def test_the_same_inputs_in_another_folder_and_tag_give_the_same_key(
    params: BuildParams, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "scripts").mkdir()
    (elsewhere / "Dockerfile").write_text("FROM scratch\n")
    (elsewhere / "scripts" / "install.sh").write_text("echo install\n")
    moved = replace(params, context=elsewhere, tags=("hangar-test:two",))
    assert key(moved) == key(params)


def test_the_creation_date_is_not_in_the_key(params: BuildParams) -> None:
    later = replace(
        params,
        build_args=(("AIRFLOW_EXTRAS", "celery"), ("AIRFLOW_IMAGE_DATE_CREATED", "2026-12-04")),
    )
    assert key(later) == key(params)


def test_a_changed_script_changes_the_key(params: BuildParams) -> None:
    before = key(params)
    (params.context / "scripts" / "install.sh").write_text("echo install again\n")
    assert key(params) != before


def test_an_executable_bit_changes_the_key(params: BuildParams) -> None:
    before = key(params)
    (params.context / "scripts" / "install.sh").chmod(0o755)
    assert key(params) != before


def test_a_build_arg_target_or_base_changes_the_key(params: BuildParams) -> None:
    before = key(params)
    assert key(replace(params, build_args=(("AIRFLOW_EXTRAS", "postgres"),))) != before
    assert key(replace(params, target="ci")) != before
    assert key(params, base="sha256:" + "2" * 64) != before


def test_secret_contents_change_the_key(params: BuildParams) -> None:
    before = key(params)
    assert key(params, {"INDEX": "https://other.example/simple"}) != before
    source = params.secrets[0].src
    assert source is not None
    source.write_text("another CA\n")
    assert key(params) != before
