"""`hangar image sign IMAGE --key cosign.key`: sign the digest IMAGE has in its registry, and
attest its SBOM and build provenance with the same key.
"""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.app import App
from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.errors import BadInput
from hangar.image.inspecting.sbom import ImageContents, read_contents
from hangar.image.trust.attest import Attested, attest_image
from hangar.image.trust.sign import by_digest, present, registry_of
from hangar.ports import SIGNING_PASSWORD_ENV

KEY_HELP = (
    f"cosign private key (`cosign generate-key-pair`); its password is read from "
    f"{SIGNING_PASSWORD_ENV}."
)

KEY_TYPE = click.Path(exists=True, dir_okay=False, path_type=Path)
KEYLESS_HELP = (
    "Sign without a key: cosign's OIDC identity (in GitHub Actions the job's token, which "
    "needs `id-token: write`) and the public transparency log."
)


# where cosign finds an OIDC identity without a browser: GitHub Actions' token endpoint (a job
# with `id-token: write`), or a token given as is
OIDC_SOURCES = ("ACTIONS_ID_TOKEN_REQUEST_URL", "SIGSTORE_ID_TOKEN")


def signing_key(
    app: App, *, key: Path | None, keyless: bool, what: str = "image sign"
) -> Path | None:
    """The key to sign with; None for keyless. Exactly one of the two is asked for, and a
    keyless signature needs an identity token, checked before anything is signed or moved.
    """
    if key is not None and keyless:
        raise BadInput("--key and --keyless exclude each other", hint="keep one")
    if key is None and not keyless:
        raise BadInput(
            f"{what} needs --key or --keyless",
            hint="e.g. --key cosign.key (cosign generate-key-pair), or --keyless in CI",
        )
    if keyless and not any(app.environ.get(name) for name in OIDC_SOURCES):
        raise BadInput(
            "--keyless needs an OIDC identity token and none is here",
            hint="run it in a GitHub Actions job with `id-token: write`, or set "
            "SIGSTORE_ID_TOKEN; elsewhere sign with --key",
        )
    return key


@click.command(name="sign")
@click.argument("image")
@click.option("--key", type=KEY_TYPE, default=None, metavar="COSIGN.KEY", help=KEY_HELP)
@click.option("--keyless", is_flag=True, help=KEYLESS_HELP)
@output_option
def command(*, image: str, key: Path | None, keyless: bool, output: str) -> None:
    """Sign IMAGE (REGISTRY/NAME:TAG or @DIGEST) with a cosign key: the tag is resolved to its
    digest in the registry and the digest is signed, never the tag. The image's SBOM
    (CycloneDX, read from its files) and the build provenance BuildKit attached to it are
    attested with the same key. All of it is stored next to the image; check it with
    `hangar image verify IMAGE --key cosign.pub`.

    With --key, offline: nothing is sent to a transparency log. With --keyless (in CI), the
    signing identity is the job's OIDC token and the signatures go to the public log.
    """
    app = current_app()
    chosen = signing_key(app, key=key, keyless=keyless)
    show((sign_and_attest(app, image, key=chosen),), output)


def sign_released(app: App, refs: tuple[str, ...], *, key: Path | None) -> None:
    """Sign and attest each REPOSITORY@DIGEST a release published (`hangar image release
    --sign`); one line on stderr each, so `--output json` stays one document.
    """
    for ref in refs:
        done = sign_and_attest(app, ref, key=key)
        render.note(f"signed {done.ref}; {attested_line(done)}")


def sign_and_attest(app: App, image: str, *, key: Path | None) -> Attested:
    """Sign the digest `image` resolves to, then attest its SBOM and provenance (with `key`,
    or keyless when None).
    """
    name = registry_of(image)  # a name without its registry is refused before anything runs
    signer = app.signer()
    signer.ensure_available()
    registry = app.registry(name.registry)
    ref = by_digest(registry, image)
    contents = image_contents(app, ref)
    secret = app.environ.get(SIGNING_PASSWORD_ENV)
    signer.sign(ref, key=key, password=secret)
    return attest_image(signer, registry, ref, contents, key=key, password=secret)


def image_contents(app: App, ref: str) -> ImageContents:
    """What `ref` (REPOSITORY@DIGEST) holds, read from its files; pulled into the engine first
    when it is not there (shared by signing and verify's `sbom` row).
    """
    engine = app.engine()
    engine.ensure_available()
    return read_contents(engine, present(engine, ref))


def attested_line(done: Attested) -> str:
    counts = done.sbom_counts
    sbom = f"SBOM attested ({counts['debian']} Debian packages, {counts['python']} Python)"
    if done.provenance is None:
        return f"{sbom}; no build provenance in the image (`hangar image build --push` adds it)"
    return f"{sbom}; provenance attested ({done.provenance.summary()})"


def show(done: tuple[Attested, ...], output: str) -> None:
    if output == "json":
        render.print_json(
            [
                {
                    "signed": d.ref,
                    "digest": d.ref.partition("@")[2],
                    "sbom": dict(d.sbom_counts),
                    "provenance": d.provenance.summary() if d.provenance else None,
                }
                for d in done
            ]
        )
        return
    for d in done:
        render.out_console().print(d.ref, soft_wrap=True, markup=False, highlight=False)
        render.note(f"signed {d.ref.partition('@')[2]}; {attested_line(d)}")
