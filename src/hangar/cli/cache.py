"""`hangar cache refresh`: rebuild and push the registry build cache (mode=max, no image) for
every configured Python version and each platform, in parallel.
"""

from __future__ import annotations

import rich_click as click

from hangar.cli.builds import build_and_show
from hangar.cli.options import (
    BuildOptions,
    build_options,
    output_option,
    slim_option,
)
from hangar.image.building.plan import cache_jobs


@click.group(name="cache")
def group() -> None:
    """The registry build cache that makes rebuilds fast."""


@group.command(name="refresh")
@build_options
@click.option(
    "--cache-repo",
    metavar="REPO",
    help="Repository of the cache tags (default: the image repository).",
)
@slim_option
@output_option
def refresh(*, build: BuildOptions, cache_repo: str | None, slim: bool, output: str) -> None:
    """Build every Python version (default: all configured) and push its registry cache,
    `<repo>:cache-python<py>-<platform>` (`cache-slim-…` with --slim), with mode=max; no image
    is pushed.

    Platforms other than the engine's own need emulation (qemu binfmt) set up; asking for one
    that the builder cannot run is an error (as for every build).
    """
    app = build.app()
    config = app.config()
    request = build.request(app, cache_to=cache_repo, all_pythons=True, slim=slim)

    build_and_show(
        app,
        config,
        request,
        options=build,
        output=output,
        title="hangar cache refresh",
        planner=cache_jobs,
    )
