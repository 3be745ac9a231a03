"""`hangar image verify IMAGE`: run the image checks and report pass/fail per check."""

from __future__ import annotations

import dataclasses

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.errors import StepFailed
from hangar.image.checks import image_checks
from hangar.image.verify import VerifyReport, verify_image


@click.command(name="verify")
@click.argument("image")
@click.option(
    "--check",
    "only",
    multiple=True,
    type=click.Choice([c.name for c in image_checks()]),
    help="Run only this check (repeatable).",
)
@click.option("--parallel", default=4, show_default=True, help="Containers run at once.")
@output_option
def command(*, image: str, only: tuple[str, ...], parallel: int, output: str) -> None:
    """Run the image checks (user, paths, permissions, versions, providers, entrypoint…)
    against IMAGE, any image reference in the engine, and exit non-zero if one fails.
    """
    engine = current_app().engine()
    engine.ensure_available()
    report = verify_image(engine, image, only=only, parallel=parallel)
    show(report, output)
    if not report.passed:
        failed = [r.name for r in report.results if not r.passed]
        raise StepFailed(f"{image}: {len(failed)} check(s) failed: {', '.join(failed)}")


def show(report: VerifyReport, output: str) -> None:
    if output == "json":
        render.print_json(
            {
                "image": report.image,
                "passed": report.passed,
                "checks": [dataclasses.asdict(r) for r in report.results],
            }
        )
        return
    render.table(
        f"hangar image verify {report.image}",
        ("check", "result", "what it checks / what was wrong"),
        (
            (
                r.name,
                "[green]pass[/]" if r.passed else "[red]FAIL[/]",
                r.description if r.passed else f"[red]{r.detail}[/]",
            )
            for r in report.results
        ),
    )
