"""`hangar image verify IMAGE`: run the image checks and report pass/fail per check; with
`--key`, also whether the image's digest is signed, and its SBOM and provenance attested, with
that key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import rich_click as click

from hangar.app import App
from hangar.cli import render
from hangar.cli.image.sign import image_contents
from hangar.cli.options import current_app, output_option
from hangar.errors import BadInput, StepFailed
from hangar.image.attest import PROVENANCE, SBOM, provenance_row, sbom_row
from hangar.image.checks import CheckResult, image_checks
from hangar.image.sign import by_digest, registry_of
from hangar.image.verify import SIGNATURE, VerifyReport, verify_image, verify_signature

SUPPLY_CHAIN = (SIGNATURE, SBOM, PROVENANCE)


@click.command(name="verify")
@click.argument("image")
@click.option(
    "--check",
    "only",
    multiple=True,
    type=click.Choice([*(c.name for c in image_checks()), *SUPPLY_CHAIN]),
    help="Run only this check (repeatable; signature, sbom and provenance need --key).",
)
@click.option(
    "--key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="COSIGN.PUB",
    help="Also check the image's signature, signed SBOM and signed provenance with this key.",
)
@click.option("--parallel", default=4, show_default=True, help="Containers run at once.")
@output_option
def command(
    *, image: str, only: tuple[str, ...], public_key: Path | None, parallel: int, output: str
) -> None:
    """Run the image checks (user, paths, permissions, versions, providers, entrypoint…)
    against IMAGE, any image reference in the engine, and exit non-zero if one fails.

    With --key, three supply-chain rows about the digest IMAGE resolves to in its registry:
    `signature` (signed with the matching private key, `hangar image sign`), `sbom` (a signed
    SBOM that lists exactly the Debian packages and Python distributions in the image) and
    `provenance` (signed build provenance about this image's manifest).
    """
    wanted = tuple(c for c in only if c in SUPPLY_CHAIN) or (() if only else SUPPLY_CHAIN)
    if only and wanted and public_key is None:
        raise BadInput(
            f"--check {wanted[0]} needs --key", hint="give the public key: --key cosign.pub"
        )
    app = current_app()
    checks = tuple(c for c in only if c not in SUPPLY_CHAIN)
    report = VerifyReport(image=image, results=())
    if checks or not only:
        engine = app.engine()
        engine.ensure_available()
        report = verify_image(engine, image, only=checks, parallel=parallel)
    if public_key is not None and wanted:
        rows = supply_chain_rows(app, image, public_key=public_key, wanted=wanted)
        report = dataclasses.replace(report, results=(*report.results, *rows))
    show(report, output)
    if not report.passed:
        failed = [r.name for r in report.results if not r.passed]
        raise StepFailed(f"{image}: {len(failed)} check(s) failed: {', '.join(failed)}")


def supply_chain_rows(
    app: App, image: str, *, public_key: Path, wanted: tuple[str, ...]
) -> tuple[CheckResult, ...]:
    """The signature, SBOM and provenance rows of the digest `image` has in its registry."""
    signer = app.signer()
    signer.ensure_available()
    registry = app.registry(registry_of(image).registry)
    ref = by_digest(registry, image)
    rows = []
    if SIGNATURE in wanted:
        rows.append(verify_signature(signer, ref, public_key=public_key))
    if SBOM in wanted:
        rows.append(sbom_row(signer, ref, image_contents(app, ref), public_key=public_key))
    if PROVENANCE in wanted:
        rows.append(provenance_row(signer, registry, ref, public_key=public_key))
    return tuple(rows)


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
