"""`hangar constraints update`: change pins in the constraints files of already tagged Airflow
versions, commit on top of each tag, move the tag and push branch and tag. See
hangar.constraints.update for why this can never lose anything."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import rich_click as click
from rich.console import Console

from hangar.cli.constraints import output_option
from hangar.constraints.edit import unified_diff
from hangar.constraints.files import parse_pin
from hangar.constraints.update import UpdateRequest, VersionPlan, apply_update, plan_update
from hangar.errors import Aborted, BadInput
from hangar.infra.git import GitCli
from hangar.infra.process import DryRunRunner, SubprocessRunner
from hangar.ports import Runner
from hangar.values import split_list, validate_airflow_version


def _request(
    versions: tuple[str, ...],
    updated: tuple[str, ...],
    comment: str | None,
    commit_message: str,
    remote: str,
) -> UpdateRequest:
    try:
        parsed_versions = tuple(
            dict.fromkeys(validate_airflow_version(v) for v in split_list(versions))
        )
        pins = tuple(parse_pin(p) for p in updated)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if len({p.key for p in pins}) != len(pins):
        raise BadInput("the same distribution is given twice in --updated-constraint")
    if not commit_message.strip():
        raise BadInput("the commit message is empty")
    return UpdateRequest(
        remote=remote,
        airflow_versions=parsed_versions,
        pins=pins,
        comment=comment,
        commit_message=commit_message.strip(),
    )


def _show(plans: tuple[VersionPlan, ...], console: Console) -> None:
    for plan in plans:
        if not plan.changed:
            console.print(f"{plan.tag}: already up to date, nothing to change")
            continue
        console.print(f"[bold]{plan.tag}[/] (tagged commit {plan.commit[:12]}):")
        for edit in plan.edits:
            if edit.changed:
                sys.stdout.write(unified_diff(edit, ref=plan.tag))
        untouched = [e.path for e in plan.edits if not e.changed]
        if untouched:
            console.print(f"  unchanged (no such pin): {', '.join(untouched)}", highlight=False)


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
    repo: Path,
    remote: str,
    versions: tuple[str, ...],
    updated: tuple[str, ...],
    comment: str | None,
    commit_message: str,
    yes: bool,
    dry_run: bool,
    output_format: str,
) -> None:
    """Repair the constraints of already released Airflow versions, keeping their history."""
    request = _request(versions, updated, comment, commit_message, remote)
    console = Console(stderr=True)
    plans = plan_update(GitCli(repo=repo, runner=SubprocessRunner()), request)
    _show(plans, console)
    changed = [p for p in plans if p.changed]
    if not changed:
        console.print("Nothing to change.")
        return
    tags = ", ".join(p.tag for p in changed)
    if (
        not dry_run
        and not yes
        and not click.confirm(f"Commit, move {tags} and push to {remote!r}?", err=True)
    ):
        raise Aborted("nothing was changed")
    runner: Runner = DryRunRunner(out=sys.stderr) if dry_run else SubprocessRunner()
    if dry_run:
        console.print("Dry run: these commands would run (<...> stands for new object ids):")
    results = apply_update(GitCli(repo=repo, runner=runner), request, plans)
    if dry_run:
        return
    for result in results:
        console.print(
            f"constraints-{result.airflow_version}: tag moved {result.old_tag_oid[:12]} -> "
            f"{result.new_tag_oid[:12]} (commit {result.new_commit[:12]}), pushed to {remote!r}; "
            f"old target kept at {result.backup_ref}",
            highlight=False,
        )
    if output_format == "json":
        sys.stdout.write(
            json.dumps(
                [
                    {
                        "airflow_version": r.airflow_version,
                        "old_tag": r.old_tag_oid,
                        "new_tag": r.new_tag_oid,
                        "new_commit": r.new_commit,
                        "backup_ref": r.backup_ref,
                    }
                    for r in results
                ],
                indent=2,
            )
            + "\n"
        )
