"""`hangar env status` and `hangar env up`: is everything a build needs there, and set it up."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import rich_click as click
from rich.table import Table

from hangar.cli import render as common
from hangar.cli.options import Deps, deps
from hangar.errors import EngineUnavailable, HangarError, NotFound, RegistryUnavailable, StepFailed
from hangar.ports import cmd, last_line

SETUP_SCRIPT = Path("scripts/setup-env.sh")
FIX_ENGINE = "hangar env up (or: sudo scripts/setup-env.sh)"


@dataclass(frozen=True, kw_only=True)
class Check:
    what: str
    ok: bool
    detail: str
    fix: str = ""
    error: type[HangarError] = StepFailed


def status_checks(d: Deps) -> tuple[Check, ...]:
    config = d.config()
    checks: list[Check] = []
    engine = d.engine(d.runner)
    try:
        engine.ensure_available()
        version = d.runner.run(
            cmd("docker", "version", "-f", "{{.Server.Version}}", changes_state=False)
        )
        buildx = d.runner.run(cmd("docker", "buildx", "version", changes_state=False))
        checks.append(Check(what="engine", ok=True, detail=f"Docker {version.stdout.strip()}"))
        checks.append(Check(what="buildx", ok=True, detail=last_line(buildx.stdout)))
        engine_ok = True
    except EngineUnavailable as exc:
        checks.append(
            Check(
                what="engine + buildx",
                ok=False,
                detail=exc.message,
                fix=FIX_ENGINE,
                error=EngineUnavailable,
            )
        )
        engine_ok = False
    probe = d.probe(d.runner)
    registry = config["registry"]
    up = probe.registry_reachable(registry)
    checks.append(
        Check(
            what="registry",
            ok=up,
            detail=f"{registry} {'answers' if up else 'does not answer'}",
            fix="" if up else "hangar env up",
            error=RegistryUnavailable,
        )
    )
    for python in config.list("pythons"):
        ref = config.base_image_for(python)
        where = probe.image_available(ref) if engine_ok else None
        checks.append(
            Check(
                what=f"base image {python}",
                ok=where is not None,
                detail=f"{ref} ({where})" if where else f"{ref} not found",
                fix="" if where else f"hangar base build --python {python} --push",
                error=NotFound,
            )
        )
    return tuple(checks)


@click.group(name="env")
def group() -> None:
    """The engine, registry and base images hangar needs."""


@group.command(name="status")
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def status(output: str) -> None:
    """Say whether an engine with buildx, the registry and the base image of each configured
    Python version are available, and what to run if not (non-zero exit if one is missing)."""
    checks = status_checks(deps())
    if output == "json":
        common.print_json([{k: v for k, v in asdict(c).items() if k != "error"} for c in checks])
    else:
        table = Table(title="hangar env status")
        table.add_column("what", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("detail", overflow="fold")
        table.add_column("to fix, run", no_wrap=True)
        for c in checks:
            table.add_row(c.what, "[green]ok[/]" if c.ok else "[red]missing[/]", c.detail, c.fix)
        common.out_console().print(table)
    missing = [c for c in checks if not c.ok]
    if missing:
        first = missing[0]
        raise first.error(
            f"missing: {', '.join(c.what for c in missing)}", hint=f"run: {first.fix}"
        )


@group.command(name="up")
@click.option("--no-services", is_flag=True, help="Do not start PostgreSQL and Redis.")
@click.option("--no-bases", is_flag=True, help="Do not build or pull the base images.")
@click.option("--no-venv", is_flag=True, help="Do not set up .venv.")
@click.option("--dry-run", is_flag=True, help="Print the command; run nothing.")
def up(no_services: bool, no_bases: bool, no_venv: bool, dry_run: bool) -> None:
    """Set up and start the engine, registry, base images and services
    (scripts/setup-env.sh; needs root; safe to run again)."""
    d = deps()
    script = d.cwd / SETUP_SCRIPT
    if not script.is_file():
        raise NotFound(
            f"{SETUP_SCRIPT} not found in {d.cwd}", hint="run hangar from the repository root"
        )
    flags = [
        f
        for f, on in (
            ("--no-services", no_services),
            ("--no-bases", no_bases),
            ("--no-venv", no_venv),
        )
        if on
    ]
    result = d.effective_runner(dry_run).run(cmd(str(script), *flags), stream_to=sys.stderr)
    if not result.ok:
        raise StepFailed(
            f"set-up failed: {last_line(result.stdout) or f'exit code {result.returncode}'}",
            hint="fix what the line above says and run `hangar env up` again",
        )
