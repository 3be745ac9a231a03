"""`hangar image sign IMAGE --key cosign.key`: sign the digest IMAGE has in its registry."""

from __future__ import annotations

from pathlib import Path

import rich_click as click

from hangar.app import App
from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.image.sign import Signed, registry_of, sign_image, sign_refs
from hangar.ports import SIGNING_PASSWORD_ENV

KEY_HELP = (
    f"cosign private key (`cosign generate-key-pair`); its password is read from "
    f"{SIGNING_PASSWORD_ENV}."
)

KEY_TYPE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command(name="sign")
@click.argument("image")
@click.option("--key", type=KEY_TYPE, required=True, metavar="COSIGN.KEY", help=KEY_HELP)
@output_option
def command(*, image: str, key: Path, output: str) -> None:
    """Sign IMAGE (REGISTRY/NAME:TAG or @DIGEST) with a cosign key: the tag is resolved to its
    digest in the registry and the digest is signed, never the tag. The signature is stored
    next to the image; check it with `hangar image verify IMAGE --key cosign.pub`.

    Key-based and offline: nothing is sent to a transparency log.
    """
    app = current_app()
    signer = app.signer()
    signer.ensure_available()
    registry = app.registry(registry_of(image).registry)
    signed = sign_image(signer, registry, image, key=key, password=password(app))
    show((signed,), output)


def sign_released(app: App, refs: tuple[str, ...], *, key: Path) -> None:
    """Sign each REPOSITORY@DIGEST a release published (`hangar image release --sign`); one
    line on stderr each, so `--output json` stays one document.
    """
    signer = app.signer()
    signer.ensure_available()
    for done in sign_refs(signer, refs, key=key, password=password(app)):
        render.note(f"signed {done.ref}")


def password(app: App) -> str | None:
    return app.environ.get(SIGNING_PASSWORD_ENV)


def show(signed: tuple[Signed, ...], output: str) -> None:
    if output == "json":
        render.print_json([{"image": s.image, "signed": s.ref, "digest": s.digest} for s in signed])
        return
    for done in signed:
        render.out_console().print(done.ref, soft_wrap=True, markup=False, highlight=False)
        render.note(f"signed {done.image} as its digest {done.digest}")
