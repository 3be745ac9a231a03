"""`hangar ci`: the CI flows (pull requests, canary, scheduled) and the commands their steps
run. The flows are defined once (hangar.ci.flows); `hangar ci workflows` renders them for
GitHub Actions and `hangar ci run` runs them locally. One small module per subcommand.
"""

from __future__ import annotations

import rich_click as click


@click.group(name="ci")
def group() -> None:
    """CI flows, defined once: render them for GitHub Actions or run them locally."""


def _register() -> None:
    from hangar.cli.ci import checks as ci_checks
    from hangar.cli.ci import constraints as ci_constraints
    from hangar.cli.ci import images as ci_images
    from hangar.cli.ci import run as ci_run
    from hangar.cli.ci import workflows as ci_workflows

    group.add_command(ci_checks.selective_checks)
    group.add_command(ci_images.build_image)
    group.add_command(ci_images.push_archive)
    group.add_command(ci_images.wait_for_image)
    group.add_command(ci_images.check_dags)
    group.add_command(ci_constraints.push_constraints)
    group.add_command(ci_run.run)
    group.add_command(ci_workflows.workflows)


_register()
