"""Run the image checks against an image through an Engine and collect the results."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hangar.image.checks import (
    SEPARATOR,
    Check,
    CheckResult,
    ImageFacts,
    Outcome,
    image_checks,
    judge,
)
from hangar.ports import Engine, Signer

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


def run_check(engine: Engine, ref: str, check: Check, facts: ImageFacts) -> CheckResult:
    if check.inspect_only:
        return judge(check, Outcome(returncode=0, stdout=""), facts)
    result = engine.run_container(ref, check.command, docker_args=check.docker_args)
    outcome = Outcome(returncode=result.returncode, stdout=result.stdout, stderr=result.stderr)
    return judge(check, outcome, facts)


def verify_image(
    engine: Engine,
    ref: str,
    *,
    only: Sequence[str] = (),
    parallel: int = 4,
) -> VerifyReport:
    facts = image_facts(engine, ref)
    checks = image_checks(extras=facts.labels.get("org.apache.airflow.extras", ""))
    if only:
        checks = tuple(c for c in checks if c.name in only)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        results = tuple(pool.map(lambda c: run_check(engine, ref, c, facts), checks))
    return VerifyReport(image=ref, results=results)


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
