"""`hangar constraints generate`: resolve and write constraints files, all Python versions
in parallel, with one live progress line per file and a summary of what changed."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import rich_click as click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hangar.cli.constraints import index_options, output_option
from hangar.constraints import files as core
from hangar.constraints.cache import (
    generate_text,
    release_cutoff,
    tool_versions,
    write_atomically,
)
from hangar.constraints.resolve import (
    LocalProvider,
    Mode,
    ResolveRequest,
    format_time,
    local_provider,
    output_dir_name,
    output_name,
    parse_time,
    validate_extras,
)
from hangar.errors import BadInput, HangarError
from hangar.infra.index import SimpleIndex
from hangar.infra.process import SubprocessRunner
from hangar.infra.uv import UvResolver
from hangar.ports import Resolver
from hangar.values import split_list, validate_airflow_version, validate_python

DEFAULT_PYTHONS = ("3.10", "3.11", "3.12", "3.13")


@dataclass(frozen=True, kw_only=True)
class GenerateParams:
    airflow_version: str
    pythons: tuple[str, ...]
    modes: tuple[Mode, ...]
    extras: tuple[str, ...] | None  # None: each mode's default
    providers_dir: str | None
    exclude_newer: datetime | None
    index_url: str
    platform: str
    output_dir: Path
    parallelism: int
    output_format: str


@dataclass(frozen=True, kw_only=True)
class FileResult:
    path: Path
    python: str
    mode: Mode
    pins: int
    seconds: float
    existed: bool
    changes: tuple[core.Change, ...]


def _params(
    *,
    airflow_version: str,
    python: tuple[str, ...],
    mode: tuple[str, ...],
    extras: tuple[str, ...],
    providers_dir: str | None,
    exclude_newer: str | None,
    index_url: str,
    platform: str,
    output_dir: str,
    parallelism: int,
    output_format: str,
) -> GenerateParams:
    try:
        version = validate_airflow_version(airflow_version)
        pythons = tuple(dict.fromkeys(validate_python(p) for p in split_list(python)))
        chosen = validate_extras(split_list(extras)) if extras else None
        cutoff = parse_time(exclude_newer) if exclude_newer else None
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    modes = tuple(Mode) if "all" in mode else tuple(dict.fromkeys(Mode(m) for m in mode))
    if Mode.SOURCE_PROVIDERS in modes and providers_dir is None:
        raise BadInput(
            "mode constraints-source-providers needs the folder of provider distributions",
            hint="pass --providers-dir",
        )
    return GenerateParams(
        airflow_version=version,
        pythons=pythons or DEFAULT_PYTHONS,
        modes=modes,
        extras=chosen,
        providers_dir=providers_dir,
        exclude_newer=cutoff,
        index_url=index_url,
        platform=platform,
        output_dir=Path(output_dir),
        parallelism=parallelism,
        output_format=output_format,
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


def _requests(params: GenerateParams, cutoff: datetime) -> tuple[ResolveRequest, ...]:
    providers = _providers(params.providers_dir if Mode.SOURCE_PROVIDERS in params.modes else None)
    return tuple(
        ResolveRequest(
            airflow_version=params.airflow_version,
            python=python,
            mode=mode,
            extras=()
            if mode is Mode.NO_PROVIDERS
            else (params.extras if params.extras is not None else mode.default_extras),
            exclude_newer=cutoff,
            index_url=params.index_url,
            platform=params.platform,
            providers_dir=params.providers_dir if mode is Mode.SOURCE_PROVIDERS else None,
            providers=providers if mode is Mode.SOURCE_PROVIDERS else (),
        )
        for mode in params.modes
        for python in params.pythons
    )


def _one(request: ResolveRequest, resolver: Resolver, tools: str, folder: Path) -> FileResult:
    started = time.monotonic()
    text = generate_text(request, resolver, tools=tools)
    path = folder / output_name(request.mode, request.python)
    existed = path.is_file()
    old = core.parse(path.read_text(encoding="utf-8")).pins if existed else ()
    new = core.parse(text).pins
    write_atomically(path, text)
    return FileResult(
        path=path,
        python=request.python,
        mode=request.mode,
        pins=len(new),
        seconds=time.monotonic() - started,
        existed=existed,
        changes=core.diff(old, new),
    )


def run_generate(
    params: GenerateParams, *, resolver: Resolver, cutoff: datetime, console: Console
) -> tuple[list[FileResult], list[tuple[ResolveRequest, HangarError]]]:
    """Resolve every (mode, Python) pair in parallel; return results and failures."""
    requests = _requests(params, cutoff)
    tools = tool_versions(resolver)
    folder = params.output_dir / output_dir_name(params.airflow_version)
    results: list[FileResult] = []
    failures: list[tuple[ResolveRequest, HangarError]] = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with (
        Progress(*columns, console=console, transient=False) as progress,
        ThreadPoolExecutor(max_workers=max(1, params.parallelism or len(requests))) as pool,
    ):
        tasks = {
            request: progress.add_task(
                f"{output_name(request.mode, request.python)}: resolving", total=1
            )
            for request in requests
        }
        futures = {pool.submit(_one, r, resolver, tools, folder): r for r in requests}
        for future, request in futures.items():
            name = output_name(request.mode, request.python)
            try:
                result = future.result()
            except HangarError as exc:
                failures.append((request, exc))
                progress.update(tasks[request], description=f"[red]{name}: failed", completed=1)
                continue
            results.append(result)
            progress.update(
                tasks[request], description=f"[green]{name}: {result.pins} pins", completed=1
            )
    return results, failures


@click.command(name="generate")
@click.option("--airflow-version", required=True, help="The Airflow version, X.Y.Z.")
@click.option(
    "--python",
    multiple=True,
    help=f"Python version (repeatable, or comma-separated). Default: {', '.join(DEFAULT_PYTHONS)}.",
)
@click.option(
    "--mode",
    multiple=True,
    default=(Mode.CONSTRAINTS.value,),
    show_default=True,
    type=click.Choice([*(m.value for m in Mode), "all"]),
    help="Which constraints to generate (repeatable; `all` for the three).",
)
@click.option(
    "--extras",
    multiple=True,
    help="Airflow extras (comma-separated). Default: `all` for mode constraints, none otherwise.",
)
@click.option(
    "--providers-dir",
    type=click.Path(file_okay=False),
    help="Folder of provider wheels, sdists or source trees (constraints-source-providers).",
)
@click.option(
    "--exclude-newer",
    help="Resolve as the index stood at this time (RFC 3339). "
    "Default: the Airflow release's upload time plus one hour.",
)
@index_options
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where constraints-X.Y.Z/ is written.",
)
@click.option(
    "--parallelism", type=int, default=0, help="How many resolutions run at once (default: all)."
)
@output_option
def generate(**options: Any) -> None:
    """Resolve and write `constraints-X.Y.Z/<mode>-<python>.txt` per Python version and mode."""
    params = _params(**options)
    console = Console(stderr=True, soft_wrap=True)
    resolver = UvResolver(runner=SubprocessRunner())
    cutoff = params.exclude_newer or release_cutoff(
        SimpleIndex(index_url=params.index_url), params.airflow_version
    )
    console.print(
        f"Resolving Airflow {params.airflow_version} as the index stood at {format_time(cutoff)}"
    )
    results, failures = run_generate(params, resolver=resolver, cutoff=cutoff, console=console)
    _report(params, results, console)
    for request, error in failures:
        console.print(f"[red]{output_name(request.mode, request.python)}:[/] {error.line()}")
    if failures:
        raise failures[0][1]


def _report(params: GenerateParams, results: list[FileResult], console: Console) -> None:
    results.sort(key=lambda r: (r.mode.value, r.python))
    for result in results:
        counts = core.summarize(result.changes)
        if not result.existed:
            console.print(f"{result.path}: new, {result.pins} pins ({result.seconds:.1f}s)")
            continue
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        console.print(f"{result.path}: {summary} ({result.seconds:.1f}s)")
        for change in result.changes:
            console.print(f"    {change.describe()}", highlight=False)
    if params.output_format == "json":
        data = [
            {
                "file": str(r.path),
                "python": r.python,
                "mode": r.mode.value,
                "pins": r.pins,
                "seconds": round(r.seconds, 2),
                "changes": [
                    {"kind": c.kind.value, "name": c.name, "old": c.old, "new": c.new}
                    for c in r.changes
                ],
            }
            for r in results
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        for result in results:
            sys.stdout.write(f"{result.path}\n")
