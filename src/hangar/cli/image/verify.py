"""`hangar image verify IMAGE`: run the image checks and report pass/fail per check; with
`--key`, also whether the image's digest is signed with that key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.errors import BadInput, StepFailed
from hangar.image.checks import image_checks
from hangar.image.sign import registry_of
from hangar.image.verify import SIGNATURE, VerifyReport, verify_image, verify_signature


@click.command(name="verify")
@click.argument("image")
@click.option(
    "--check",
    "only",
    multiple=True,
    type=click.Choice([*(c.name for c in image_checks()), SIGNATURE]),
    help="Run only this check (repeatable; `signature` needs --key).",
)
@click.option(
    "--key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="COSIGN.PUB",
    help="Also check that the digest IMAGE has in its registry is signed with this public key.",
)
@click.option("--parallel", default=4, show_default=True, help="Containers run at once.")
@output_option
def command(
    *, image: str, only: tuple[str, ...], public_key: Path | None, parallel: int, output: str
) -> None:
    """Run the image checks (user, paths, permissions, versions, providers, entrypoint…)
    against IMAGE, any image reference in the engine, and exit non-zero if one fails.

    With --key, the `signature` row checks the digest IMAGE resolves to in its registry has a
    cosign signature made with the matching private key (`hangar image sign`).
    """
    if SIGNATURE in only and public_key is None:
        raise BadInput(
            "--check signature needs --key", hint="give the public key: --key cosign.pub"
        )
    app = current_app()
    checks = tuple(c for c in only if c != SIGNATURE)
    report = VerifyReport(image=image, results=())
    if checks or not only:
        engine = app.engine()
        engine.ensure_available()
        report = verify_image(engine, image, only=checks, parallel=parallel)
    if public_key is not None and (not only or SIGNATURE in only):
        signer = app.signer()
        signer.ensure_available()
        registry = app.registry(registry_of(image).registry)
        row = verify_signature(signer, registry, image, public_key=public_key)
        report = dataclasses.replace(report, results=(*report.results, row))
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
