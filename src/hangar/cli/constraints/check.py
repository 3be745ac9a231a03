"""`hangar constraints check FILE`: syntax, duplicates, forbidden entries, order, and whether
Airflow with the chosen extras resolves against the file for a Python version."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import rich_click as click
from rich.console import Console

from hangar.cli.constraints import index_options, output_option
from hangar.constraints import files as core
from hangar.constraints.resolve import Mode, ResolveRequest, header_facts, validate_extras
from hangar.errors import BadInput, NotFound, ResolutionConflict, StepFailed
from hangar.infra.process import SubprocessRunner
from hangar.infra.uv import UvResolver
from hangar.ports import Resolver
from hangar.values import split_list, validate_airflow_version, validate_python

UNRESOLVABLE = "does not resolve"


@dataclass(frozen=True, kw_only=True)
class CheckParams:
    path: Path
    python: str
    airflow_version: str | None
    extras: tuple[str, ...] | None
    index_url: str
    platform: str
    resolve: bool
    output_format: str


def check_file(params: CheckParams, *, resolver: Resolver) -> tuple[core.Problem, ...]:
    """Every problem in the file, line by line (the resolution's, if any, last)."""
    if not params.path.is_file():
        raise NotFound(f"{params.path} does not exist")
    text = params.path.read_text(encoding="utf-8")
    parsed = core.parse(text)
    problems = [*parsed.problems, *core.check_order(parsed)]
    if not parsed.pins and not parsed.problems:
        problems.append(core.Problem(line_no=0, text="", message="pins nothing"))
    if problems or not params.resolve:
        return tuple(problems)
    version, header_extras = header_facts(parsed.header)
    version = params.airflow_version or version
    if version is None:
        raise BadInput(
            f"{params.path} does not say which Airflow version it is for",
            hint="pass --airflow-version",
        )
    extras = params.extras if params.extras is not None else header_extras
    request = ResolveRequest(
        airflow_version=version,
        python=params.python,
        mode=Mode.CONSTRAINTS,
        extras=extras,
        exclude_newer=None,
        index_url=params.index_url,
        platform=params.platform,
    )
    try:
        resolver.check(request, str(params.path.resolve()))
    except ResolutionConflict as exc:
        return tuple(_conflict_problems(parsed, exc.message))
    return ()


def _conflict_problems(parsed: core.ConstraintsFile, message: str) -> list[core.Problem]:
    """Point at each pinned line the resolver's explanation names."""
    named = {m.group(0).lower() for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9._-]*", message)}
    problems = [
        core.Problem(line_no=line_no, text=pin.line(), message="part of the resolution conflict")
        for pin, line_no in zip(parsed.pins, parsed.pin_lines, strict=True)
        if pin.key in named or pin.name.lower() in named
    ]
    return [core.Problem(line_no=0, text="", message=f"{UNRESOLVABLE}: {message}"), *problems]


@click.command(name="check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--python", required=True, help="The Python version the file is for (A.B).")
@click.option(
    "--airflow-version",
    help="Airflow version to resolve. Default: the one the file's header names.",
)
@click.option(
    "--extras", multiple=True, help="Airflow extras to resolve with. Default: the header's."
)
@click.option("--no-resolve", is_flag=True, help="Only check the file's text; skip the resolution.")
@index_options
@output_option
def check(
    file: Path,
    python: str,
    airflow_version: str | None,
    extras: tuple[str, ...],
    no_resolve: bool,
    index_url: str,
    platform: str,
    output_format: str,
) -> None:
    """Check a constraints file and report what is wrong with it, line by line."""
    try:
        params = CheckParams(
            path=file,
            python=validate_python(python),
            airflow_version=validate_airflow_version(airflow_version) if airflow_version else None,
            extras=validate_extras(split_list(extras)) if extras else None,
            index_url=index_url,
            platform=platform,
            resolve=not no_resolve,
            output_format=output_format,
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    console = Console(stderr=True)
    with console.status(f"Checking {file} for Python {python}"):
        problems = check_file(params, resolver=UvResolver(runner=SubprocessRunner()))
    if output_format == "json":
        sys.stdout.write(
            json.dumps(
                {
                    "file": str(file),
                    "ok": not problems,
                    "problems": [
                        {"line": p.line_no, "text": p.text, "message": p.message} for p in problems
                    ],
                },
                indent=2,
            )
            + "\n"
        )
    else:
        for problem in problems:
            sys.stdout.write(problem.render(str(file)) + "\n")
    if not problems:
        console.print(f"{file}: OK")
        return
    if any(p.message.startswith(UNRESOLVABLE) for p in problems):
        raise ResolutionConflict(f"{file}: Airflow does not resolve against it for Python {python}")
    raise StepFailed(f"{file}: {len(problems)} problem(s)")
