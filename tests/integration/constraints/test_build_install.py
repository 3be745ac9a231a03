"""What a build installs, as the `--additional-python-deps` check resolves it, with the real
uv and the real package index: answered from uv's cache alone when the constraints pin it all,
from the index when the cache is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hangar.constraints.files import Pin
from hangar.constraints.resolver import Resolution
from hangar.image.inspecting.requirements import build_installed, is_airflow_family
from hangar.infra.process import SubprocessRunner
from hangar.infra.uv import UvResolver

pytestmark = [pytest.mark.integration, pytest.mark.network]

AIRFLOW = "3.3.2"
INDEX = "https://pypi.org/simple"
PLATFORM = "x86_64-manylinux_2_28"


@dataclass
class Recording:
    """The real resolver, with a record of which runs were from the cache alone."""

    resolver: UvResolver
    cached_only: list[bool] = field(default_factory=list)

    def resolve_with(self, resolution: Resolution) -> tuple[Pin, ...]:
        self.cached_only.append(resolution.cached_only)
        return self.resolver.resolve_with(resolution)

    def version(self) -> str:
        return self.resolver.version()


def install(resolver: Recording, constraints: str) -> tuple[Pin, ...]:
    return build_installed(
        resolver,  # type: ignore[arg-type]  # the port's other methods are not used
        airflow_version=AIRFLOW,
        extras=("http",),
        python="3.12",
        platform=PLATFORM,
        constraints=constraints,
        index_url=INDEX,
    ).packages


def test_pinned_by_the_constraints_it_is_answered_from_the_cache(tmp_path: Path) -> None:
    warm = Recording(UvResolver(runner=SubprocessRunner(), cache_dir=str(tmp_path / "warm")))
    free = install(warm, "")  # no constraints: the index, filling the cache
    constraints = "".join(f"{p.line()}\n" for p in free if not is_airflow_family(p.key))

    assert install(warm, constraints) == free
    assert warm.cached_only == [False, True]  # the second run never asked the index

    empty = Recording(UvResolver(runner=SubprocessRunner(), cache_dir=str(tmp_path / "empty")))
    assert install(empty, constraints) == free
    assert empty.cached_only == [True, False]  # nothing cached: uv offline fails, then the index
