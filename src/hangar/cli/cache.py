"""`hangar cache refresh`: rebuild and push the registry build cache (mode=max, no image) for
every configured Python version and each platform, in parallel."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import rich_click as click

from hangar.cli.image.build import plan_and_run
from hangar.cli.options import build_options, deps, read_dockerfile_args, request_from
from hangar.errors import BadInput
from hangar.image.plan import cache_jobs, platforms_of


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
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def refresh(**options: Any) -> None:
    """Build every Python version (default: all configured) and push its registry cache,
    `<repo>:cache-python<py>-<platform>`, with mode=max; no image is pushed.

    Platforms other than the engine's own need emulation (qemu binfmt) set up; asking for one
    that the builder cannot run is an error.
    """
    d = deps()
    config = d.config()
    context = (options["context"] or d.cwd).resolve()
    if not options["pythons"]:
        options = {**options, "pythons": ("all",)}
    request = request_from(options, context=context, known_args=read_dockerfile_args(context))
    if options["cache_repo"]:
        request = replace(request, cache_to=options["cache_repo"])
    platforms = platforms_of(request, config, d.host_platform)
    if not options["dry_run"] and platforms != (d.host_platform,):
        d.engine(d.runner).ensure_available()
        runnable = d.probe(d.runner).builder_platforms()
        missing = [p for p in platforms if p not in runnable]
        if missing:
            raise BadInput(
                f"the builder cannot run {', '.join(missing)}"
                f" (it runs {', '.join(runnable) or 'nothing'})",
                hint="set up emulation (qemu-user-static, binfmt-support; see ENGINE.md) "
                "or leave those platforms out",
            )
    plan_and_run(
        cache_jobs, request, config=config, d=d, options=options, title="hangar cache refresh"
    )
