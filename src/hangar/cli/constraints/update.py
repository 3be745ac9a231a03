"""`hangar constraints update`: change pins in the constraints files of already tagged Airflow
versions, commit on top of each tag, move the tag and push branch and tag. See
hangar.constraints.update for why this can never lose anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

import rich_click as click
from rich.markup import escape

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.constraints.edit import unified_diff
from hangar.constraints.update import (
    UpdateRequest,
    VersionPlan,
    VersionResult,
    apply_update,
    parse_pins,
    plan_update,
)
from hangar.errors import Aborted
from hangar.values import split_list, validate_airflow_version


@click.command(name="update")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Local clone of the constraints repository.",
)
@click.option(
    "--remote",
    default="origin",
    show_default=True,
    help="The remote holding the constraints-X.Y.Z tags.",
)
@click.option(
    "--airflow-version",
    "versions",
    multiple=True,
    required=True,
    help="Airflow version whose constraints to repair (repeatable or comma-separated).",
)
@click.option(
    "--updated-constraint", "updated", multiple=True, help="A new pin, name==version (repeatable)."
)
@click.option(
    "--comment",
    help="A line added to each file's header (before the first pin), e.g. why it changed.",
)
@click.option("--commit-message", required=True, help="Message of the new commits and tags.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for CI).")
@click.option(
    "--dry-run", is_flag=True, help="Show the diffs and the git commands; change nothing anywhere."
)
@output_option
def update(
    *,
    repo: Path,
    remote: str,
    versions: tuple[str, ...],
    updated: tuple[str, ...],
    comment: str | None,
    commit_message: str,
    yes: bool,
    dry_run: bool,
    output: str,
) -> None:
    """Repair the constraints of already released Airflow versions, keeping their history."""
    app = current_app()
    request = UpdateRequest(
        remote=remote,
        airflow_versions=tuple(
            dict.fromkeys(validate_airflow_version(v) for v in split_list(versions))
        ),
        pins=parse_pins(updated),
        comment=comment,
        commit_message=commit_message.strip(),
    )
    plans = plan_update(app.git(repo), request)
    _show_plans(plans)
    changed = [p for p in plans if p.changed]
    if not changed:
        render.note("Nothing to change.")
        return
    tags = ", ".join(p.tag for p in changed)
    if (
        not dry_run
        and not yes
        and not click.confirm(f"Commit, move {tags} and push to {remote!r}?", err=True)
    ):
        raise Aborted("nothing was changed")
    if dry_run:
        render.note("Dry run: these commands would run (<...> stands for new object ids):")
    # a dry run prints the git commands on stderr: stdout carries the diffs
    results = apply_update(app.dry(dry_run=dry_run, out=sys.stderr).git(repo), request, plans)
    if not dry_run:
        _show_results(results, remote, output)


def _show_plans(plans: tuple[VersionPlan, ...]) -> None:
    """Each tag's diff on stdout; what is unchanged, and why, on stderr."""
    for plan in plans:
        if not plan.changed:
            render.note(f"{plan.tag}: already up to date, nothing to change")
            continue
        render.err_console().print(
            f"[bold]{escape(plan.tag)}[/] (tagged commit {plan.commit[:12]}):", soft_wrap=True
        )
        for edit in plan.edits:
            if edit.changed:
                click.echo(unified_diff(edit, ref=plan.tag), nl=False)
        untouched = [e.path for e in plan.edits if not e.changed]
        if untouched:
            render.note(f"  unchanged (no such pin): {', '.join(untouched)}")


def _show_results(results: tuple[VersionResult, ...], remote: str, output: str) -> None:
    for result in results:
        render.note(
            f"constraints-{result.airflow_version}: tag moved {result.old_tag_oid[:12]} -> "
            f"{result.new_tag_oid[:12]} (commit {result.new_commit[:12]}), pushed to {remote!r}; "
            f"old target kept at {result.backup_ref}"
        )
    if output == "json":
        render.print_json(
            [
                {
                    "airflow_version": r.airflow_version,
                    "old_tag": r.old_tag_oid,
                    "new_tag": r.new_tag_oid,
                    "new_commit": r.new_commit,
                    "backup_ref": r.backup_ref,
                }
                for r in results
            ]
        )
