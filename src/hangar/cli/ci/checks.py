"""`hangar ci selective-checks`: from the event and the changed files, decide the Python
versions, images and tests of a CI run (JSON for `hangar ci run`, $GITHUB_OUTPUT for GitHub).
"""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.app import App
from hangar.ci.selective import (
    EVENTS,
    SelectiveInput,
    changed_from_lines,
    decide,
)
from hangar.ci.selective import github_output as github_output_lines
from hangar.cli import render
from hangar.cli.builds import release_requirement
from hangar.cli.options import current_app, output_option, python_option
from hangar.image.building.plan import resolve_pythons
from hangar.values import validate_airflow_version

ZERO = "0" * 40


def changed_files(app: App, repo: Path, base: str, head: str) -> tuple[str, ...] | None:
    """Files changed between `base` and `head` (three-dot), or None when unknown."""
    if not base or base == ZERO:
        return None
    names = app.git(repo).diff_names(base, head)
    return changed_from_lines(names) if names is not None else None


@click.command(name="selective-checks")
@click.option("--event", type=click.Choice(EVENTS), required=True, help="The triggering event.")
@click.option("--base", default="", help="Base commit (empty: changed files unknown).")
@click.option("--head", default="HEAD", show_default=True, help="Head commit.")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="The git work tree to diff.",
)
@click.option(
    "--changed-file", "changed", multiple=True, help="A changed file (repeatable; skips git)."
)
@python_option("Use these Python versions instead (repeatable or comma-separated).")
@click.option(
    "--upgrade-cutoff",
    help="--exclude-newer for upgraded constraints (RFC 3339). Default: now.",
)
@output_option
@click.option(
    "--github-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append key=value lines to this file ($GITHUB_OUTPUT).",
)
def selective_checks(
    *,
    event: str,
    base: str,
    head: str,
    repo: Path,
    changed: tuple[str, ...],
    pythons: tuple[str, ...],
    upgrade_cutoff: str | None,
    output: str,
    github_output: Path | None,
) -> None:
    """Decide which Python versions, images and tests a CI run needs, and whether
    constraints are upgraded and pushed.
    """
    app = current_app()
    config = app.config()
    files = changed_from_lines(changed) if changed else changed_files(app, repo, base, head)
    cutoff = upgrade_cutoff or app.utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    version = validate_airflow_version(config["airflow_version"])
    supported = {
        "airflow_version": version,
        # read from the cache or the index, never written: deciding changes nothing
        "requires_python": release_requirement(app, config, version, keep=False),
    }
    decision = decide(
        SelectiveInput(
            event=event,
            changed_files=files,
            pythons=resolve_pythons(("all",), config, **supported),
            default_python=config["default_python"],
            airflow_version=version,
            upgrade_cutoff=cutoff,
            python_override=resolve_pythons(pythons, config, **supported) if pythons else (),
        )
    )
    if github_output is not None:
        with github_output.open("a", encoding="utf-8") as handle:
            handle.write(github_output_lines(decision))
    for reason in decision.reasons:
        render.note(reason, dim=True)
    if output == "json":
        render.print_json({**decision.outputs(), "reasons": list(decision.reasons)})
        return
    for key, value in decision.outputs().items():
        click.echo(f"{key}: {value}")
