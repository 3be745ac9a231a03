"""Release plans and their execution against the fake registry; the security refresh moves
tags only after the image checks pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pytest

from hangar.errors import BadInput, NotFound, RegistryUnavailable, StepFailed
from hangar.image.buildx import BuildParams
from hangar.image.checks import CheckResult
from hangar.image.release import (
    Action,
    RefreshParams,
    ReleaseParams,
    candidate_refs,
    execute_release,
    plan_release,
    refresh_base,
)
from hangar.image.request import BuildJob
from hangar.image.verify import VerifyReport, verify_image
from hangar.ports import ProcessResult
from tests.fakes.registry import FakeRegistry

REPO = "fake:5000/airflow"
D11, D13, OLD = "sha256:" + "1" * 64, "sha256:" + "3" * 64, "sha256:" + "0" * 64


def params(**changes: Any) -> ReleaseParams:
    values: dict[str, Any] = {
        "repository": REPO,
        "version": "3.3.2",
        "pythons": ("3.11", "3.13"),
        "default_python": "3.13",
    }
    return ReleaseParams(**{**values, **changes})


def built(version: str = "3.3.2", prefix: str = "", **more: str) -> FakeRegistry:
    """A registry holding what `hangar image build --push` leaves: one tag per Python."""
    return FakeRegistry(
        tags={
            "airflow": {
                f"{prefix}{version}-python3.11": D11,
                f"{prefix}{version}-python3.13": D13,
                **more,
            }
        }
    )


def test_plan_points_each_tag_at_its_pythons_digest_and_changes_nothing() -> None:
    registry = built()
    plan = plan_release(params(), registry)
    got = {t.tag.removeprefix(REPO + ":"): (t.digest, t.action) for t in plan.tags}
    assert got == {
        "3.3.2-python3.11": (D11, Action.KEEP),
        "latest-python3.11": (D11, Action.COPY),
        "3.3.2-python3.13": (D13, Action.KEEP),
        "latest-python3.13": (D13, Action.COPY),
        "3.3.2": (D13, Action.COPY),
        "latest": (D13, Action.COPY),
    }
    assert plan.latest.move
    assert registry.copies == []
    assert {t.source for t in plan.tags if t.python == "3.11"} == {f"{REPO}:3.3.2-python3.11"}


def test_release_copies_tags_and_every_tag_resolves_to_its_digest() -> None:
    registry = built(latest=OLD)
    plan = plan_release(params(), registry)
    assert next(t for t in plan.tags if t.tag.endswith(":latest")).current == OLD
    result = execute_release(plan, registry)
    assert result.ok
    assert registry.tags["airflow"]["3.3.2"] == registry.tags["airflow"]["3.3.2-python3.13"] == D13
    assert registry.tags["airflow"]["latest"] == D13
    assert registry.tags["airflow"]["latest-python3.11"] == D11
    assert len(registry.copies) == 4  # the versioned tags are the sources themselves


def test_pre_release_leaves_latest_where_it_was() -> None:
    registry = built(version="3.4.0rc1", latest=OLD)
    result = execute_release(plan_release(params(version="3.4.0rc1"), registry), registry)
    assert result.ok
    assert registry.tags["airflow"]["latest"] == OLD
    assert "latest-python3.11" not in registry.tags["airflow"]
    assert registry.tags["airflow"]["3.4.0rc1"] == D13


def test_older_version_than_released_leaves_latest() -> None:
    registry = built(version="3.2.9", **{"3.3.2": OLD, "latest": OLD})
    plan = plan_release(params(version="3.2.9"), registry)
    assert not plan.latest.move
    assert "older than 3.3.2" in plan.latest.reason
    execute_release(plan, registry)
    assert registry.tags["airflow"]["latest"] == OLD
    assert registry.tags["airflow"]["3.2.9"] == D13


def test_slim_release_uses_slim_sources_and_tags() -> None:
    registry = built(prefix="slim-")
    plan = plan_release(params(slim=True), registry)
    tags = sorted(t.tag.removeprefix(REPO + ":") for t in plan.tags)
    assert tags == [
        "slim-3.3.2",
        "slim-3.3.2-python3.11",
        "slim-3.3.2-python3.13",
        "slim-latest",
        "slim-latest-python3.11",
        "slim-latest-python3.13",
    ]
    assert execute_release(plan, registry).ok


def test_source_pattern_from_another_repository_is_copied_in() -> None:
    registry = FakeRegistry(tags={"staging": {"py3.11": D11, "py3.13": D13}})
    plan = plan_release(params(source="fake:5000/staging:py{python}"), registry)
    assert all(t.action is Action.COPY for t in plan.tags)
    assert execute_release(plan, registry).ok
    assert registry.tags["airflow"]["3.3.2-python3.11"] == D11


def test_a_tag_landing_on_another_digest_fails_the_check() -> None:
    registry = built()
    registry.wrong_digest_for = frozenset({"latest"})
    result = execute_release(plan_release(params(), registry), registry)
    assert not result.ok
    assert [c.tag for c in result.checks if not c.ok] == [f"{REPO}:latest"]


def test_missing_source_names_the_image_and_what_to_do() -> None:
    registry = FakeRegistry(tags={"airflow": {"3.3.2-python3.11": D11}})
    with pytest.raises(NotFound, match=r"airflow:3.3.2-python3.13 is not in the registry") as exc:
        plan_release(params(), registry)
    assert "hangar image build" in exc.value.line()


def test_unreachable_registry_and_bad_source_pattern() -> None:
    with pytest.raises(RegistryUnavailable):
        plan_release(params(), FakeRegistry(available=False))
    with pytest.raises(BadInput, match="--source"):
        plan_release(params(source="{repository}:{nope}"), built())
    with pytest.raises(BadInput, match="not in the registry fake:5000"):
        plan_release(params(source="other:5000/airflow:{version}-python{python}"), built())


# -- refresh-base ------------------------------------------------------------------------------


class FakeBuilder:
    """Building a candidate = pushing a new digest for it into the fake registry."""

    def __init__(self, registry: FakeRegistry, *, fail: bool = False) -> None:
        self.registry, self.fail, self.pushed = registry, fail, []  # type: ignore[var-annotated]

    def build(self, jobs: Sequence[BuildJob]) -> None:
        if self.fail:
            raise StepFailed("build failed")

    def push(self, ref: str) -> None:
        tag = ref.rsplit(":", 1)[1]
        self.registry.tags["airflow"][tag] = "sha256:" + str(len(self.pushed) + 5) * 64
        self.pushed.append(ref)


def job(python: str, ref: str) -> BuildJob:
    build = BuildParams(context=Path(), python=python, base_image="base", tags=(ref,))
    return BuildJob(
        name=python, python=python, params=build, log_path=Path("x.log"), constraints_file=None
    )


def refresh(registry: FakeRegistry) -> RefreshParams:
    base = RefreshParams(release=params(), builds=())
    refs = candidate_refs(base)
    return RefreshParams(
        release=params(),
        builds=tuple(job(p, r) for p, r in zip(("3.11", "3.13"), refs, strict=True)),
    )


def report(ref: str, *, passed: bool) -> VerifyReport:
    result = CheckResult(
        name="user",
        description="runs as airflow",
        passed=passed,
        detail="" if passed else "uid 1234",
    )
    return VerifyReport(image=ref, results=(result,))


def test_refresh_moves_tags_to_the_candidates_only_after_checks_pass() -> None:
    registry = built(latest=D13)
    builder = FakeBuilder(registry)
    verified: list[str] = []

    def verify(ref: str) -> VerifyReport:
        verified.append(ref)
        assert registry.tags["airflow"]["3.3.2-python3.11"] == D11  # nothing moved yet
        return report(ref, passed=True)

    result = refresh_base(refresh(registry), builder=builder, verify=verify, registry=registry)
    assert result.ok
    assert (
        verified
        == builder.pushed
        == [f"{REPO}:3.3.2-python3.11-candidate", f"{REPO}:3.3.2-python3.13-candidate"]
    )
    tags = registry.tags["airflow"]
    assert (
        tags["3.3.2-python3.11"] == tags["latest-python3.11"] == tags["3.3.2-python3.11-candidate"]
    )
    assert tags["3.3.2"] == tags["latest"] == tags["3.3.2-python3.13-candidate"] != D13


def test_refresh_failing_a_check_moves_nothing_and_names_the_check() -> None:
    registry = built(latest=D13)
    before = dict(registry.tags["airflow"])
    result = refresh_base(
        refresh(registry),
        builder=FakeBuilder(registry),
        verify=lambda ref: report(ref, passed="3.13" in ref),
        registry=registry,
    )
    assert result.release is None
    assert result.failed_checks == {f"{REPO}:3.3.2-python3.11-candidate": ("user",)}
    assert {k: v for k, v in registry.tags["airflow"].items() if "candidate" not in k} == before


class BrokenEngine:
    """An engine whose every container fails: the real image checks all fail on it."""

    def ensure_available(self) -> None: ...

    def inspect_image(self, ref: str) -> dict[str, Any]:
        return {"Config": {"Labels": {}, "User": "root"}}

    def run_container(
        self, ref: str, command: Sequence[str], *, docker_args: Sequence[str] = ()
    ) -> ProcessResult:
        return ProcessResult(args=(), returncode=1, stderr="boom")

    def build(self, args: Sequence[str], *, log: IO[str] | None = None) -> ProcessResult:
        return ProcessResult(args=(), returncode=0)


def test_refresh_with_the_real_checks_on_a_broken_engine_moves_nothing() -> None:
    registry = built(latest=D13)
    before = dict(registry.tags["airflow"])
    engine = BrokenEngine()
    result = refresh_base(
        refresh(registry),
        builder=FakeBuilder(registry),
        verify=lambda ref: verify_image(engine, ref),
        registry=registry,
    )
    assert not result.ok
    assert result.failed_checks
    assert all(result.failed_checks.values())
    assert {k: v for k, v in registry.tags["airflow"].items() if "candidate" not in k} == before


def test_refresh_build_failure_stops_before_anything_is_pushed() -> None:
    registry = built()
    builder = FakeBuilder(registry, fail=True)
    with pytest.raises(StepFailed):
        refresh_base(
            refresh(registry),
            builder=builder,
            verify=lambda r: report(r, passed=True),
            registry=registry,
        )
    assert builder.pushed == []
