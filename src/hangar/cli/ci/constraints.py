"""`hangar ci push-constraints`: commit generated constraints to the constraints branch and
push it, only when the pins changed, never with force.
"""

from __future__ import annotations

import sys
from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, dry_run_option, output_option
from hangar.constraints.publish import generated_files, push_if_changed


@click.command(name="push-constraints")
@click.option(
    "--from",
    "source",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder of generated constraints*.txt files.",
)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="A clone whose remote holds the constraints branch.",
)
@click.option("--remote", default="origin", show_default=True)
@click.option("--branch", default="constraints-main", show_default=True)
@click.option("--message", default="Update constraints", show_default=True)
@dry_run_option
@output_option
def push_constraints(
    *,
    source: Path,
    repo: Path,
    remote: str,
    branch: str,
    message: str,
    dry_run: bool,
    output: str,
) -> None:
    """Commit the generated constraints on top of REMOTE's BRANCH and push, if their pins
    differ from the branch's (a new header alone is no change). The clone's work tree is not
    touched; a rejected push fails with exit code 7 and changes nothing.
    """
    app = current_app().dry(dry_run=dry_run, out=sys.stderr)  # stdout carries the commit or JSON
    target = app.branch(repo, remote, branch)
    result = push_if_changed(target, name=branch, files=generated_files(source), message=message)
    if output == "json":
        render.print_json(
            {
                "branch": result.branch,
                "parent": result.parent,
                "commit": result.commit,
                "pushed": result.commit is not None,
                "changed": list(result.changed),
                "unchanged": list(result.unchanged),
            }
        )
        return
    if result.commit is None:
        render.note(f"constraints unchanged ({', '.join(result.unchanged)}): nothing pushed")
        return
    render.note(
        f"pushed {result.commit[:12]} to {remote} {branch}: {', '.join(result.changed)} changed"
    )
    click.echo(result.commit)
