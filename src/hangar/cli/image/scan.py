"""`hangar image scan IMAGE`: the security updates an image is missing, read without running it."""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.errors import StepFailed
from hangar.image.inspecting.scan import ScanReport, scan_image

FAIL_ON = ("any", "none")


@click.command(name="scan")
@click.argument("image")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="any",
    show_default=True,
    help="any: exit 1 when an update or advisory is pending; none: report only.",
)
@click.option(
    "--osv",
    "osv_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Also match the image's Python distributions against the OSV advisories in DIR.",
)
@output_option
def command(*, image: str, fail_on: str, osv_dir: Path | None, output: str) -> None:
    """List the Debian packages in IMAGE that its release's security suite has a newer version
    of, reading the image's dpkg status without running anything in it.
    """
    app = current_app()
    engine = app.engine()
    engine.ensure_available()
    index = app.security_index(app.config()["debian_security_mirror"])
    report = scan_image(engine, index, image, osv_dir=osv_dir)
    show(report, output)
    for line in summary(report, osv_dir):
        render.note(line)
    if fail_on == "any" and not report.clean:
        raise StepFailed(
            f"{image}: {counted(report)}",
            hint="rebuild it on a refreshed base, e.g. `hangar image release VERSION "
            "--refresh-base`; --fail-on none only reports",
        )


def updates_pending(report: ScanReport) -> str:
    count = len(report.pending)
    return f"{count} security update{'' if count == 1 else 's'} pending"


def counted(report: ScanReport) -> str:
    """`12 security updates pending`, and the OSV matches when there are any."""
    found = updates_pending(report)
    return f"{found}, {len(report.osv)} OSV advisory match(es)" if report.osv else found


def summary(report: ScanReport, osv_dir: Path | None) -> list[str]:
    lines = [f"{updates_pending(report)} (from {report.debian.suite})"]
    if osv_dir is not None:
        lines.append(
            f"{len(report.osv)} OSV advisory match(es) among {len(report.python)} Python "
            f"distributions (advisories from {osv_dir})"
        )
    return lines


def show(report: ScanReport, output: str) -> None:
    if output == "json":
        render.print_json(report.to_json())
        return
    if report.pending:
        render.table(
            f"hangar image scan {report.image}: {report.debian.suite}",
            ("package", "installed", "fixed", "source"),
            ((u.package, u.installed, u.fixed, u.source) for u in report.pending),
        )
    if report.osv:
        render.table(
            f"hangar image scan {report.image}: OSV advisories",
            ("advisory", "package", "installed", "fixed"),
            ((m.id, m.package, m.installed, ", ".join(m.fixed) or "-") for m in report.osv),
        )
