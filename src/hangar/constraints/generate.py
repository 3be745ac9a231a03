"""`constraints generate`: resolve every (mode, Python) pair of one Airflow version in parallel,
write each file atomically, and say what changed compared with the file it replaces.

The resolver and the index are ports; the caller hears about progress through two callbacks
(`on_start` once everything is known, `on_done` as each file ends) and gets a report back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hangar.constraints.cache import generate_text, release_cutoff, tool_versions, write_atomically
from hangar.constraints.files import Change, diff, parse
from hangar.constraints.resolve import (
    DEFAULT_INDEX_URL,
    DEFAULT_PLATFORM,
    LocalProvider,
    Mode,
    ResolveRequest,
    local_provider,
    output_dir_name,
    output_name,
)
from hangar.constraints.resolver import Resolver
from hangar.errors import BadInput, HangarError
from hangar.ports import UploadTimes
from hangar.values import (
    SUPPORTED_PYTHONS,
    pythons_supported,
    supported_pythons,
    validate_python,
)

ALL_MODES = "all"


@dataclass(frozen=True, kw_only=True)
class GenerateRequest:
    """What `constraints generate` was asked for, checked."""

    airflow_version: str
    pythons: tuple[str, ...] = SUPPORTED_PYTHONS
    modes: tuple[Mode, ...] = (Mode.CONSTRAINTS,)
    extras: tuple[str, ...] | None = None  # None: each mode's default
    providers_dir: str | None = None  # as given (it is written into the header)
    exclude_newer: datetime | None = None  # None: the release's upload time plus a window
    index_url: str = DEFAULT_INDEX_URL
    platform: str = DEFAULT_PLATFORM
    output_dir: Path = Path()
    parallelism: int = 0  # 0: every file at once


@dataclass(frozen=True, kw_only=True)
class FileResult:
    path: Path
    python: str
    mode: Mode
    pins: int
    seconds: float
    existed: bool
    changes: tuple[Change, ...]


@dataclass(frozen=True, kw_only=True)
class Failure:
    name: str  # the file's name, e.g. constraints-3.13.txt
    error: HangarError


@dataclass(frozen=True, kw_only=True)
class GenerateReport:
    cutoff: datetime
    folder: Path
    results: tuple[FileResult, ...]  # by mode, then Python
    failures: tuple[Failure, ...]  # in the order the files were asked for

    def raise_for_failure(self) -> None:
        """Raise the first failure's error (its exit code is the command's)."""
        if self.failures:
            raise self.failures[0].error


OnStart = Callable[[datetime, tuple[str, ...]], None]  # the cut-off, the files' names
OnDone = Callable[[str, FileResult | HangarError], None]  # a file's name and how it ended


def chosen_pythons(
    given: Iterable[str], *, airflow_version: str, requires_python: str
) -> tuple[str, ...]:
    """The Python versions asked for (checked, once each, in order), or every one hangar knows
    that the release supports (its Requires-Python); one it does not support is refused.
    """
    asked = tuple(dict.fromkeys(validate_python(p) for p in given))
    if not asked:
        asked = pythons_supported(requires_python)
    return supported_pythons(
        asked,
        airflow_version=airflow_version,
        requires_python=requires_python,
    )


def chosen_modes(given: Iterable[str]) -> tuple[Mode, ...]:
    """The modes asked for, once each; `all` for every mode."""
    names = tuple(given)
    if ALL_MODES in names:
        return tuple(Mode)
    return tuple(dict.fromkeys(Mode(name) for name in names)) or (Mode.CONSTRAINTS,)


def generate_constraints(
    request: GenerateRequest,
    *,
    resolver: Resolver,
    index: UploadTimes,
    on_start: OnStart = lambda _cutoff, _names: None,
    on_done: OnDone = lambda _name, _outcome: None,
) -> GenerateReport:
    """Resolve and write `<output_dir>/constraints-X.Y.Z/<mode>-<python>.txt` for every mode
    and Python version. A file that fails does not stop the others; the report has both.
    """
    if Mode.SOURCE_PROVIDERS in request.modes and request.providers_dir is None:
        raise BadInput(
            "mode constraints-source-providers needs the folder of provider distributions",
            hint="pass --providers-dir",
        )
    cutoff = request.exclude_newer or release_cutoff(index, request.airflow_version)
    requests = _resolve_requests(request, cutoff)
    tools = tool_versions(resolver)
    folder = request.output_dir / output_dir_name(request.airflow_version)
    names = {r: output_name(r.mode, r.python) for r in requests}
    on_start(cutoff, tuple(names.values()))
    outcomes: dict[ResolveRequest, FileResult | HangarError] = {}
    workers = max(1, request.parallelism or len(requests))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures: dict[Future[FileResult], ResolveRequest] = {
            pool.submit(_write_one, r, resolver, tools, folder): r for r in requests
        }
        for future in as_completed(futures):
            one = futures[future]
            try:
                outcome: FileResult | HangarError = future.result()
            except HangarError as exc:
                outcome = exc
            outcomes[one] = outcome
            on_done(names[one], outcome)
    results: list[FileResult] = []
    failures: list[Failure] = []
    for one in requests:
        ended = outcomes[one]
        if isinstance(ended, HangarError):
            failures.append(Failure(name=names[one], error=ended))
        else:
            results.append(ended)
    results.sort(key=lambda r: (r.mode.value, r.python))
    return GenerateReport(
        cutoff=cutoff, folder=folder, results=tuple(results), failures=tuple(failures)
    )


def _providers(folder: str | None) -> tuple[LocalProvider, ...]:
    if folder is None:
        return ()
    root = Path(folder)
    if not root.is_dir():
        raise BadInput(f"providers folder {folder} does not exist")
    found = [
        local_provider(
            str(entry.resolve()), is_dir=entry.is_dir() and (entry / "pyproject.toml").is_file()
        )
        for entry in sorted(root.iterdir())
    ]
    providers = tuple(p for p in found if p is not None)
    if not providers:
        raise BadInput(f"no provider wheels, sdists or source trees in {folder}")
    return providers


def _resolve_requests(request: GenerateRequest, cutoff: datetime) -> tuple[ResolveRequest, ...]:
    """One ResolveRequest per (mode, Python), modes first, in the order asked for."""
    source = Mode.SOURCE_PROVIDERS in request.modes
    providers = _providers(request.providers_dir if source else None)
    return tuple(
        ResolveRequest(
            airflow_version=request.airflow_version,
            python=python,
            mode=mode,
            extras=()
            if mode is Mode.NO_PROVIDERS
            else (request.extras if request.extras is not None else mode.default_extras),
            exclude_newer=cutoff,
            index_url=request.index_url,
            platform=request.platform,
            providers_dir=request.providers_dir if mode is Mode.SOURCE_PROVIDERS else None,
            providers=providers if mode is Mode.SOURCE_PROVIDERS else (),
        )
        for mode in request.modes
        for python in request.pythons
    )


def _write_one(request: ResolveRequest, resolver: Resolver, tools: str, folder: Path) -> FileResult:
    started = time.monotonic()
    text = generate_text(request, resolver, tools=tools)
    path = folder / output_name(request.mode, request.python)
    existed = path.is_file()
    old = parse(path.read_text(encoding="utf-8")).pins if existed else ()
    new = parse(text).pins
    write_atomically(path, text)
    return FileResult(
        path=path,
        python=request.python,
        mode=request.mode,
        pins=len(new),
        seconds=time.monotonic() - started,
        existed=existed,
        changes=diff(old, new),
    )
