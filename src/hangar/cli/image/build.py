"""`hangar image build`: the production image for one or more Python versions, in parallel,
with a live line per build, a log file per build and a summary table.
"""

from __future__ import annotations

import rich_click as click

from hangar.app import App
from hangar.cli.builds import build_and_show
from hangar.cli.image.preflight import check_additional_deps
from hangar.cli.options import (
    BuildOptions,
    build_options,
    output_option,
    slim_option,
)
from hangar.config import Config
from hangar.image.building.platforms import ensure_loadable
from hangar.image.building.request import Build

_CACHE_HELP = (
    "Registry cache per Python version and platform (<repo>:cache-python<py>-<platform>); "
    "REPO defaults to the image repository."
)


@click.command(name="build")
@build_options
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="PATTERN",
    help="Image tag (repeatable); {python} and {airflow_version} are filled in. "
    "Default: <registry>/<image_name>:<airflow_version>-python<py>.",
)
@click.option("--push", is_flag=True, help="Push the image(s) to the registry.")
@slim_option
@click.option(
    "--cache-from",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[REPO]",
    help="Use the registry cache. " + _CACHE_HELP,
)
@click.option(
    "--cache-to",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[REPO]",
    help="Export the registry cache (mode=max). " + _CACHE_HELP,
)
@click.option(
    "--cache",
    type=click.Choice(["registry", "none"]),
    default="none",
    show_default=True,
    help="`registry`: both --cache-from and --cache-to the default cache.",
)
@click.option("--no-cache", is_flag=True, help="Build every step again (buildx --no-cache).")
@click.option(
    "--target",
    type=click.Choice(["main", "ci"]),
    default="main",
    show_default=True,
    help="Dockerfile target: main (the production image) or ci (main + pytest + check-dags).",
)
@click.option(
    "--compression",
    type=click.Choice(["gzip", "zstd"]),
    default="gzip",
    show_default=True,
    help="Layer compression of what is pushed: the image and the cache it exports. zstd is "
    "smaller and faster but pulled only by Docker 23 / containerd 1.5 and later.",
)
@click.option(
    "--load-compression",
    type=click.Choice(["zstd", "gzip"]),
    default="zstd",
    show_default=True,
    help="Layer compression of an image loaded into the local engine: zstd exports and unpacks "
    "several times faster; gzip if you will `docker push` the loaded image yourself.",
)
@click.option(
    "--allow-upgrades",
    is_flag=True,
    help="Build even when --additional-python-deps would move Airflow, a provider or another "
    "installed distribution (checked before the build otherwise).",
)
@output_option
def command(
    *,
    build: BuildOptions,
    tags: tuple[str, ...],
    push: bool,
    slim: bool,
    cache_from: str | None,
    cache_to: str | None,
    cache: str,
    no_cache: bool,
    target: str,
    compression: str,
    load_compression: str,
    allow_upgrades: bool,
    output: str,
) -> None:
    """Build the production image, one per Python version, in parallel.

    Examples: `hangar image build --python 3.11 --extras celery,postgres`;
    `hangar image build --python all --push --cache registry`;
    `hangar image build --dry-run` prints the commands and runs nothing.
    """
    app = build.app()
    config = app.config()
    use_cache = cache == "registry"
    request = build.request(
        app,
        tags=tags,
        push=push,
        slim=slim,
        cache_from="" if use_cache and cache_from is None else cache_from,
        cache_to="" if use_cache and cache_to is None else cache_to,
        no_cache=no_cache,
        compression=compression,
        load_compression=load_compression,
        target=target,
    )
    build_and_show(
        app,
        config,
        request,
        options=build,
        output=output,
        title="hangar image build",
        check=lambda resolved: _checks(
            app, config, resolved, push=push, preflight=not allow_upgrades
        ),
    )


def _checks(app: App, config: Config, resolved: Build, *, push: bool, preflight: bool) -> None:
    ensure_loadable(app.probe(), resolved.platforms, push=push)
    if preflight:
        check_additional_deps(app, config, resolved)
