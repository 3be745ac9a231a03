"""`hangar image verify IMAGE`: run the image checks and report pass/fail per check; with
`--key`, also whether the image's digest is signed, and its SBOM and provenance attested, with
that key; with `--profile helm`, the official Helm chart's containers instead
(image/verifying/helm.py).
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from pathlib import Path

import rich_click as click

from hangar.app import App
from hangar.cli import render
from hangar.cli.image.sign import image_contents
from hangar.cli.options import current_app, output_option
from hangar.errors import BadInput, StepFailed
from hangar.image.building.platforms import ensure_runnable
from hangar.image.trust.attest import PROVENANCE, SBOM, provenance_row, sbom_row
from hangar.image.trust.sign import by_digest, registry_of
from hangar.image.verifying.checks import CheckResult, image_checks
from hangar.image.verifying.helm import ContractRow, HelmContract, HelmRun
from hangar.image.verifying.verify import SIGNATURE, VerifyReport, verify_image, verify_signature

SUPPLY_CHAIN = (SIGNATURE, SBOM, PROVENANCE)
PROFILES = ("image", "helm")


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
@click.option(
    "--platform",
    default=None,
    metavar="OS/ARCH",
    help="Run the checks in containers of this platform of a multi-platform image, e.g. "
    "linux/arm64 (emulated when it is not this machine's), plus a `platform` row.",
)
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="image",
    show_default=True,
    help="image: the image checks; helm: start the official Helm chart's containers "
    "(jobs, api-server, scheduler, dag-processor, triggerer, Celery worker, flower, log "
    "groomer) as the chart does and check their probes and a DAG run.",
)
@click.option(
    "--database-url",
    default=None,
    metavar="URL",
    help="--profile helm: SQLAlchemy URL of an EMPTY PostgreSQL database the check migrates "
    "and writes to, e.g. postgresql+psycopg2://airflow:airflow@127.0.0.1:5432/helm_check.",
)
@click.option(
    "--broker-url",
    default=None,
    metavar="URL",
    help="--profile helm: the Celery broker, e.g. redis://127.0.0.1:6379/1.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=10),
    default=600,
    show_default=True,
    help="--profile helm: seconds for the services to pass their probes, and for the DAG run.",
)
@output_option
def command(
    *,
    image: str,
    only: tuple[str, ...],
    public_key: Path | None,
    parallel: int,
    platform: str | None,
    profile: str,
    database_url: str | None,
    broker_url: str | None,
    timeout: float,
    output: str,
) -> None:
    """Run the image checks (user, paths, permissions, versions, providers, entrypoint…)
    against IMAGE, any image reference in the engine, and exit non-zero if one fails.

    With --key, three supply-chain rows about the digest IMAGE resolves to in its registry:
    `signature` (signed with the matching private key, `hangar image sign`), `sbom` (a signed
    SBOM that lists exactly the Debian packages and Python distributions in the image) and
    `provenance` (signed build provenance about this image's manifest).

    With --profile helm, the containers the official Helm chart starts with its default
    values (arguments, probes, environment, mounts, securityContext: UID 50000, group 0, all
    capabilities dropped, no privilege escalation), started with `docker run` on the host's
    network against --database-url and --broker-url; ports 8080, 8793, 8794 and 5555 must be
    free. Everything started is removed afterwards.
    """
    if profile == "helm":
        ignored = [
            name
            for name, given in (("--check", only), ("--key", public_key), ("--platform", platform))
            if given
        ]
        if ignored:
            raise BadInput(
                f"--profile helm does not take {', '.join(ignored)}",
                hint="run the image checks (with --check, --key, --platform) in a separate "
                "`hangar image verify` without --profile",
            )
        helm(
            image, database_url=database_url, broker_url=broker_url, timeout=timeout, output=output
        )
        return
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
        if platform:
            ensure_runnable(app.probe(), (platform,), host_platform=app.host_platform)
        report = verify_image(engine, image, only=checks, parallel=parallel, platform=platform)
    if public_key is not None and wanted:
        rows = supply_chain_rows(app, image, public_key=public_key, wanted=wanted)
        report = dataclasses.replace(report, results=(*report.results, *rows))
    show(report, output)
    if not report.passed:
        failed = [r.name for r in report.results if not r.passed]
        raise StepFailed(f"{image}: {len(failed)} check(s) failed: {', '.join(failed)}")


def helm(
    image: str, *, database_url: str | None, broker_url: str | None, timeout: float, output: str
) -> None:
    if not database_url or not broker_url:
        missing = "--database-url" if not database_url else "--broker-url"
        raise BadInput(
            f"--profile helm needs {missing}",
            hint="give an empty PostgreSQL database (--database-url) and a Redis (--broker-url)",
        )
    app = current_app()
    engine = app.engine()
    engine.ensure_available()
    engine.inspect_image(image)
    contract = HelmContract(containers=app.containers(), http=app.http())
    request = HelmRun(
        image=image,
        database_url=database_url,
        broker_url=broker_url,
        timeout=timeout,
        name=f"hangar-helm-{uuid.uuid4().hex[:8]}",
    )
    with (
        render.err_console().status(f"starting the Helm chart's containers of {image}"),
        tempfile.TemporaryDirectory(prefix="hangar-helm-") as scratch,
    ):
        rows = contract.run(request, Path(scratch))
    show_contract(image, rows, output)
    failed = [r.component for r in rows if not r.passed]
    if failed:
        raise StepFailed(f"{image}: the Helm chart's contract failed for {', '.join(failed)}")


def show_contract(image: str, rows: tuple[ContractRow, ...], output: str) -> None:
    if output == "json":
        render.print_json(
            {
                "image": image,
                "profile": "helm",
                "passed": all(r.passed for r in rows),
                "components": [dataclasses.asdict(r) for r in rows],
            }
        )
        return
    render.table(
        f"hangar image verify {image} --profile helm",
        ("component", "command", "probe", "result"),
        (
            (
                r.component,
                r.command,
                r.probe,
                f"[green]pass[/] {r.detail}" if r.passed else f"[red]FAIL {r.detail}[/]",
            )
            for r in rows
        ),
    )


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
