"""`hangar image sbom IMAGE`: the image's Software Bill of Materials, read without running it."""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app
from hangar.image.inspecting.sbom import ImageContents, read_contents
from hangar.image.trust.sbom_formats import FORMATS
from hangar.image.trust.sbom_formats import render as render_sbom


@click.command(name="sbom")
@click.argument("image")
@click.option(
    "--format",
    "sbom_format",
    type=click.Choice(FORMATS),
    default="cyclonedx",
    show_default=True,
    help="cyclonedx: CycloneDX 1.6 JSON; spdx: SPDX 2.3 JSON.",
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write the SBOM to FILE instead of stdout.",
)
def command(*, image: str, sbom_format: str, output_file: Path | None) -> None:
    """Print the SBOM of IMAGE: its Debian packages (dpkg status), Python distributions
    (dist-info / egg-info, with their declared licences), its digest, its base image's digest
    when labelled and the sha256 of /home/airflow/constraints.txt. Nothing runs in the image.
    """
    engine = current_app().engine()
    engine.ensure_available()
    contents = read_contents(engine, image)
    document = render_sbom(contents, sbom_format)
    if output_file is None:
        click.echo(document, nl=False)
    else:
        output_file.write_text(document, encoding="utf-8", newline="\n")
    render.note(summary(contents, sbom_format, output_file))


def summary(contents: ImageContents, sbom_format: str, output_file: Path | None) -> str:
    """`CycloneDX SBOM of IMAGE (sha256:…): 117 Debian packages, 0 Python distributions`."""
    name = {"cyclonedx": "CycloneDX", "spdx": "SPDX"}[sbom_format]
    counts = contents.counts()
    where = f", written to {output_file}" if output_file is not None else ""
    return (
        f"{name} SBOM of {contents.image} ({contents.digest}): {counts['debian']} Debian "
        f"packages, {counts['python']} Python distributions{where}"
    )
