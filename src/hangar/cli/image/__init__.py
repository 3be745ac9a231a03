"""`hangar image …`: build, verify and release production images."""

from __future__ import annotations

import rich_click as click


@click.group(name="image")
def group() -> None:
    """Build, verify, tag and release production images."""


def _register() -> None:
    # each subcommand lives in its own module: cli/image_<name>.py defines `command`
    from hangar.cli.image import build as image_build
    from hangar.cli.image import check_requirements as image_check_requirements
    from hangar.cli.image import diff as image_diff
    from hangar.cli.image import release as image_release
    from hangar.cli.image import sbom as image_sbom
    from hangar.cli.image import scan as image_scan
    from hangar.cli.image import sign as image_sign
    from hangar.cli.image import verify as image_verify

    group.add_command(image_build.command)
    group.add_command(image_check_requirements.command)
    group.add_command(image_diff.command)
    group.add_command(image_release.command)
    group.add_command(image_release.patch_command)
    group.add_command(image_release.refresh_base_command)
    group.add_command(image_release.rollback_command)
    group.add_command(image_release.refresh_released_command)
    group.add_command(image_sbom.command)
    group.add_command(image_scan.command)
    group.add_command(image_sign.command)
    group.add_command(image_verify.command)


_register()
