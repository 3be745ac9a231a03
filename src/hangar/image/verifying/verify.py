"""Run the image checks against an image through an Engine and collect the results."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hangar.image.verifying.checks import (
    SEPARATOR,
    Check,
    CheckResult,
    ImageFacts,
    Outcome,
    image_checks,
    judge,
)
from hangar.ports import Engine, Signer, last_line

# the supply-chain row `verify --key` adds after the image checks
SIGNATURE = "signature"


@dataclass(frozen=True, kw_only=True)
class VerifyReport:
    image: str
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


def image_facts(engine: Engine, ref: str) -> ImageFacts:
    data = engine.inspect_image(ref)
    config = data.get("Config") or {}
    return ImageFacts(labels=config.get("Labels") or {}, config=config)


# what Python's platform.machine() says on each platform
MACHINES = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}


def run_check(
    engine: Engine, ref: str, check: Check, facts: ImageFacts, platform: str | None = None
) -> CheckResult:
    if check.inspect_only:
        return judge(check, Outcome(returncode=0, stdout=""), facts)
    options = ("--platform", platform) if platform else ()
    result = engine.run_container(ref, check.command, docker_args=(*options, *check.docker_args))
    outcome = Outcome(returncode=result.returncode, stdout=result.stdout, stderr=result.stderr)
    return judge(check, outcome, facts)


def verify_image(
    engine: Engine,
    ref: str,
    *,
    only: Sequence[str] = (),
    parallel: int = 4,
    platform: str | None = None,
) -> VerifyReport:
    """Every image check (or `only` those) in containers of `ref`; with `platform`, in
    containers of that platform (emulated when it is not the machine's), plus a `platform` row
    saying the containers really ran on it.
    """
    facts = image_facts(engine, ref)
    checks = image_checks(extras=facts.labels.get("org.apache.airflow.extras", ""))
    if only:
        checks = tuple(c for c in checks if c.name in only)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        results = tuple(pool.map(lambda c: run_check(engine, ref, c, facts, platform), checks))
    if platform and not only:
        results = (platform_row(engine, ref, platform), *results)
    return VerifyReport(image=ref, results=results)


def platform_row(engine: Engine, ref: str, platform: str) -> CheckResult:
    """A container of `ref` started for `platform` runs on that machine type."""
    want = MACHINES.get(platform, platform.rpartition("/")[2])
    done = engine.run_container(
        ref,
        ("python", "-c", "import platform; print(platform.machine())"),
        docker_args=("--platform", platform),
    )
    seen = done.stdout.strip()
    return CheckResult(
        name="platform",
        description=f"containers of {platform} run on {want}",
        passed=done.ok and seen == want,
        detail=f"python says {seen or 'nothing'}: {last_line(done.stderr)}".rstrip(": "),
    )


def verify_signature(signer: Signer, ref: str, *, public_key: Path) -> CheckResult:
    """The signature row: `ref` (REPOSITORY@DIGEST) carries a signature that verifies with
    `public_key`.
    """
    found = signer.verify(ref, public_key=public_key)
    return CheckResult(
        name=SIGNATURE,
        description=f"{ref.partition('@')[2]} is signed with {public_key.name}",
        passed=found.ok,
        detail=found.detail,
    )


__all__ = [
    "SEPARATOR",
    "SIGNATURE",
    "VerifyReport",
    "image_facts",
    "run_check",
    "verify_image",
    "verify_signature",
]
