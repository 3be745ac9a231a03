"""What extra requirements would do to an image: resolved against what the image holds, with
Airflow and every installed provider pinned, the image's constraints (minus the projects the
requirements name: their pins win, as in the build) and its installed versions preferred.
The image is read through the Engine port (its own Python, in a throwaway container),
the resolver is a port too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from hangar import __version__
from hangar.constraints.cache import write_atomically
from hangar.constraints.files import Change, ChangeKind, Pin, diff
from hangar.constraints.resolve import parse_resolution
from hangar.constraints.resolver import Resolution, Resolver
from hangar.errors import BadInput, ResolutionConflict, StepFailed
from hangar.image.inspecting.diff import python_order
from hangar.image.inspecting.sbom import CONSTRAINTS_FILE
from hangar.ports import Engine, last_line

# Airflow, its core and task SDK, and every provider: what a requirement must never move.
_AIRFLOW_FAMILY = re.compile(r"^apache-airflow(-core|-task-sdk|-providers-[a-z0-9-]+)?$")
# uv's --python-platform for the image's architecture (the Debian bases run glibc >= 2.28)
UV_PLATFORMS = {"amd64": "x86_64-manylinux_2_28", "arm64": "aarch64-manylinux_2_28"}


def is_airflow_family(name: str) -> bool:
    return bool(_AIRFLOW_FAMILY.match(canonicalize_name(name)))


@dataclass(frozen=True, kw_only=True)
class Installed:
    """What an image holds (or a build would install), as the check needs it."""

    source: str  # the image reference, or a description of the build
    python: str  # 3.X
    platform: str  # uv's --python-platform
    packages: tuple[Pin, ...]
    constraints: str  # the constraints file's text ("" when the image has none)

    def pinned(self) -> tuple[Pin, ...]:
        """Airflow's distributions and providers, held at their installed versions."""
        return tuple(p for p in self.packages if is_airflow_family(p.key))


@dataclass(frozen=True, kw_only=True)
class RequirementsReport:
    source: str
    python: str
    platform: str
    requirements: tuple[str, ...]
    changes: tuple[Change, ...] = ()  # added, upgraded, downgraded (nothing is removed)
    conflict: str | None = None  # the resolver's explanation, with Airflow held
    unheld: tuple[Change, ...] = ()  # on a conflict: what moves once Airflow is not held

    @property
    def moves_installed(self) -> bool:
        return any(c.kind is not ChangeKind.ADDED for c in self.changes)

    @property
    def ok(self) -> bool:
        return self.conflict is None and not self.moves_installed


def parse_requirements(lines: Iterable[str], *, origin: str) -> tuple[str, ...]:
    """The requirement lines (comments and blank lines dropped, options such as `-r` kept for
    the resolver); BadInput naming the line that is not a requirement.
    """
    found: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("-"):
            try:
                Requirement(line)
            except InvalidRequirement as exc:
                raise BadInput(
                    f"{origin}:{number}: {line!r} is not a requirement ({exc})",
                    hint="write one requirement per line, e.g. `pandas>=2.1`",
                ) from None
        found.append(line)
    return tuple(found)


def named_projects(requirements: Sequence[str]) -> frozenset[str]:
    """The canonical names of the projects the requirements ask for."""
    return frozenset(
        canonicalize_name(Requirement(r).name) for r in requirements if not r.startswith("-")
    )


def without_named(constraints: str, names: frozenset[str]) -> str:
    """The constraints minus the lines pinning a named project (the user's pin wins)."""
    kept = []
    for line in constraints.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match and canonicalize_name(match[1]) in names:
            continue
        kept.append(line)
    return "\n".join(kept) + "\n" if kept else ""


def resolution(
    installed: Installed,
    requirements: Sequence[str],
    *,
    hold: bool,
    index_url: str,
    from_file: Path | None = None,
) -> Resolution:
    """What to resolve: the requirements (included from their file when they come from one, so
    its own relative `-r`/`-c` lines work), plus (with `hold`) Airflow and its providers pinned.
    """
    held = [p.line() for p in installed.pinned()] if hold else []
    given = [f"-r {from_file.resolve()}"] if from_file is not None else list(requirements)
    return Resolution(
        requirements="\n".join([*given, *held]) + "\n",
        constraints=without_named(installed.constraints, named_projects(requirements))
        if hold
        else "",
        preferences="".join(f"{p.line()}\n" for p in installed.packages),
        python=installed.python,
        platform=installed.platform,
        index_url=index_url,
    )


def changes(installed: Installed, resolved: Iterable[Pin]) -> tuple[Change, ...]:
    """What the resolution adds or moves (Airflow and providers first); what it does not need
    stays installed.
    """
    found = [c for c in diff(installed.packages, resolved) if c.kind is not ChangeKind.REMOVED]
    return tuple(sorted(found, key=lambda c: python_order(canonicalize_name(c.name))))


def check_requirements(
    installed: Installed,
    requirements: Sequence[str],
    *,
    resolver: Resolver,
    index_url: str,
    from_file: Path | None = None,
) -> RequirementsReport:
    """Resolve with Airflow held; on a conflict, resolve again without holding it (nor the
    constraints) to show what a plain `pip install -r` on top of the image would move.
    """
    report = RequirementsReport(
        source=installed.source,
        python=installed.python,
        platform=installed.platform,
        requirements=tuple(requirements),
    )
    try:
        held = resolver.resolve_with(
            resolution(installed, requirements, hold=True, index_url=index_url, from_file=from_file)
        )
    except ResolutionConflict as exc:
        try:
            free = resolver.resolve_with(
                resolution(
                    installed, requirements, hold=False, index_url=index_url, from_file=from_file
                )
            )
        except ResolutionConflict:
            free = ()
        unheld = changes(installed, free)
        return dataclasses.replace(report, conflict=exc.message, unheld=unheld)
    return dataclasses.replace(report, changes=changes(installed, held))


def _installed_file(
    cache_dir: Path | None, resolution: Resolution, resolver: Resolver
) -> Path | None:
    """Where the resolution of a build's own install is kept, named by all that decides it."""
    if cache_dir is None:
        return None
    inputs = json.dumps(
        [dataclasses.asdict(resolution), __version__, resolver.version()], sort_keys=True
    )
    return cache_dir / f"{hashlib.sha256(inputs.encode()).hexdigest()[:24]}.txt"


def _from_cache(resolver: Resolver, resolution: Resolution) -> tuple[Pin, ...]:
    """The resolution answered from the resolver's cache alone, when that answer cannot be
    stale: every distribution in it is pinned by the constraints, or is Airflow's own (which
    Airflow's metadata pins exactly). Empty when it has no constraints, when the cache is not
    enough, or when the answer holds a distribution the constraints leave free: then the index
    must be asked.
    """
    if not resolution.constraints:
        return ()
    try:
        pins = resolver.resolve_with(dataclasses.replace(resolution, cached_only=True))
    except (ResolutionConflict, StepFailed):
        return ()
    pinned = {
        (p.key, p.version) for p in parse_resolution(resolution.constraints, keep=lambda _: True)
    }
    if all((p.key, p.version) in pinned or is_airflow_family(p.key) for p in pins):
        return pins
    return ()


def uv_platform(arch: str) -> str:
    try:
        return UV_PLATFORMS[arch]
    except KeyError:
        raise BadInput(
            f"no resolver platform for architecture {arch!r}",
            hint=f"check-requirements knows {', '.join(sorted(UV_PLATFORMS))}",
        ) from None


# run in the image by its own Python: what `pip install` there would see as installed
_READ_INSTALLED = """
import importlib.metadata, json, pathlib, sys
path = pathlib.Path(sys.argv[1])
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "packages": sorted({(d.metadata["Name"], d.version) for d in importlib.metadata.distributions()
                        if d.metadata["Name"]}),
    "constraints": path.read_text() if path.is_file() else "",
}))
"""


def read_installed(engine: Engine, ref: str) -> Installed:
    """What image `ref` holds, as `image check-requirements` needs it: its Python version and
    platform, installed distributions and constraints file, read by the image's own Python in
    a throwaway container without network.
    """
    platform = uv_platform(engine.inspect_image(ref).get("Architecture", ""))
    result = engine.run_container(
        ref, ("python", "-c", _READ_INSTALLED, CONSTRAINTS_FILE), docker_args=("--network", "none")
    )
    if not result.ok:
        raise StepFailed(
            f"reading the installed distributions of {ref} failed: {last_line(result.stderr)}",
            hint="is it an Airflow image? `docker run --rm IMAGE python --version` should work",
        )
    try:
        found = json.loads(last_line(result.stdout))
    except json.JSONDecodeError:
        raise StepFailed(f"{ref}'s Python printed no list of distributions") from None
    packages = tuple(Pin.of(name, version) for name, version in found["packages"])
    if not any(p.key == "apache-airflow" for p in packages):
        raise BadInput(
            f"{ref} has no apache-airflow installed",
            hint="check the requirements against an Airflow image",
        )
    return Installed(
        source=ref,
        python=found["python"],
        platform=platform,
        packages=packages,
        constraints=found["constraints"],
    )


def build_installed(
    resolver: Resolver,
    *,
    airflow_version: str,
    extras: Sequence[str],
    python: str,
    platform: str,
    constraints: str,
    index_url: str,
    cache_dir: Path | None = None,
) -> Installed:
    """What a build without extra requirements would install: Airflow with its extras,
    resolved within the build's constraints for its Python and platform. Constraints that pin
    what Airflow installs give the same answer each time: it is taken from the resolver's cache
    when that holds it (no index asked), and with `cache_dir` kept there by every input, so the
    next build asks the index only about the extra requirements.
    """
    listed = f"[{','.join(extras)}]" if extras else ""
    airflow = f"apache-airflow{listed}=={airflow_version}"
    resolution = Resolution(
        requirements=f"{airflow}\n",
        constraints=constraints,
        preferences="",
        python=python,
        platform=platform,
        index_url=index_url,
    )
    kept = _installed_file(cache_dir, resolution, resolver) if constraints else None
    if kept is not None and kept.is_file():
        pins = parse_resolution(kept.read_text(), keep=lambda _: True)
    else:
        pins = _from_cache(resolver, resolution) or resolver.resolve_with(resolution)
        if kept is not None:
            write_atomically(kept, "".join(f"{pin.line()}\n" for pin in pins))
    return Installed(
        source=f"Airflow {airflow_version} on Python {python}",
        python=python,
        platform=platform,
        packages=pins,
        constraints=constraints,
    )
