"""Wait until an image appears in a registry (pushed by another job or workflow)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hangar.errors import NotFound
from hangar.values import ImageRef


class ManifestLookup(Protocol):
    def digest(self, repository: str, reference: str) -> str | None: ...


@dataclass(frozen=True, kw_only=True)
class Waited:
    ref: str
    digest: str
    seconds: float
    polls: int


def wait_for_image(
    registry: ManifestLookup,
    ref: ImageRef,
    *,
    timeout: float,
    interval: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[int, float], None] | None = None,
) -> Waited:
    """Poll until `ref` resolves to a digest; NotFound with one clear line after `timeout`."""
    started = clock()
    polls = 0
    while True:
        polls += 1
        digest = registry.digest(ref.repository, ref.reference)
        waited = clock() - started
        if digest is not None:
            return Waited(ref=str(ref), digest=digest, seconds=waited, polls=polls)
        if waited >= timeout:
            raise NotFound(
                f"image {ref} did not appear in {ref.registry} within {timeout:.0f}s",
                hint="check the job that builds and pushes it (for a fork's pull request: "
                "the build-images workflow), or raise --timeout",
            )
        if on_poll is not None:
            on_poll(polls, waited)
        sleep(min(interval, max(0.0, timeout - waited)))
