"""Signatures and attestations of image digests, through the real `cosign` CLI (2.x).

Key-based and offline: nothing goes to a transparency log (`--tlog-upload=false`, and
`--insecure-ignore-tlog=true` when verifying), so signing needs only the registry. Keyless
(no key given): cosign's own OIDC flow with Fulcio and Rekor, as in a CI job. A registry
on this machine is reached over plain HTTP, as docker allows. The private key's password is
given to cosign in `COSIGN_PASSWORD` through `Command.secret_env`: never on a command line,
never in a log.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hangar.errors import StepFailed
from hangar.infra.registry import default_scheme
from hangar.ports import (
    SIGNING_PASSWORD_ENV,
    Command,
    Runner,
    SignatureCheck,
    cmd,
    last_line,
)

PASSWORD_ENV = SIGNING_PASSWORD_ENV
INSTALL_HINT = (
    "install cosign 2.x (Debian 13: apt-get install cosign; Debian 12: "
    "apt-get install -t trixie cosign, which scripts/setup-env.sh --test does)"
)
# what cosign says when a password was needed and not right, or when no signature matched
WRONG_PASSWORD = "decryption failed"  # noqa: S105 # cosign's message, not a password
NO_SIGNATURES = ("no signatures found", "no matching attestations")
OTHER_KEY = ("no matching signatures", "invalid signature")
IN_TOTO = "application/vnd.in-toto+json"


@dataclass(frozen=True, kw_only=True)
class CosignSigner:
    runner: Runner
    cosign: str = "cosign"

    def ensure_available(self) -> None:
        result = self.runner.run(cmd(self.cosign, "version", changes_state=False))
        if not result.ok:
            raise StepFailed(
                f"cosign does not run: {last_line(result.stderr) or result.returncode}",
                hint=INSTALL_HINT,
            )

    def sign(self, ref_by_digest: str, *, key: Path | None, password: str | None) -> None:
        args = ("sign", "--yes", *_key_args(key))
        self._write(
            self._command(args, ref_by_digest, password=password), f"signing {ref_by_digest}"
        )

    def verify(self, ref_by_digest: str, *, public_key: Path) -> SignatureCheck:
        args = ("verify", "--key", str(public_key), "--insecure-ignore-tlog=true")
        return self._check(self._command(args, ref_by_digest, reads=True), ref_by_digest)

    def attest(
        self,
        ref_by_digest: str,
        *,
        predicate_file: Path,
        predicate_type: str,
        key: Path | None,
        password: str | None,
    ) -> None:
        args = (
            "attest",
            "--yes",
            *_key_args(key),
            "--predicate",
            str(predicate_file),
            "--type",
            predicate_type,
        )
        self._write(
            self._command(args, ref_by_digest, password=password), f"attesting {ref_by_digest}"
        )

    def verify_attestation(
        self, ref_by_digest: str, *, public_key: Path, predicate_type: str
    ) -> SignatureCheck:
        args = (
            "verify-attestation",
            "--key",
            str(public_key),
            "--type",
            predicate_type,
            "--insecure-ignore-tlog=true",
        )
        return self._check(self._command(args, ref_by_digest, reads=True), ref_by_digest)

    # -- helpers --------------------------------------------------------------------------------
    def _command(
        self,
        args: tuple[str, ...],
        ref_by_digest: str,
        *,
        password: str | None = None,
        reads: bool = False,
    ) -> Command:
        name, _, digest = ref_by_digest.partition("@")
        if not digest.startswith("sha256:"):
            raise StepFailed(f"{ref_by_digest}: cosign is given digests only, never a tag")
        local = ("--allow-insecure-registry", "--allow-http-registry")
        plain_http = "/" in name and default_scheme(name.split("/", 1)[0]) == "http"
        return cmd(
            self.cosign,
            *args,
            *(local if plain_http else ()),
            ref_by_digest,
            changes_state=not reads,
            # an empty password opens a key made without one; never a prompt on stdin
            secret_env={} if reads else {PASSWORD_ENV: password or ""},
            input="",
        )

    def _write(self, command: Command, what: str) -> None:
        result = self.runner.run(command)
        if result.ok:
            return
        said = _error_line(result.stderr or result.stdout)
        hint = f"the key's password is wrong or missing: set {PASSWORD_ENV}"
        raise StepFailed(f"{what} failed: {said}", hint=hint if WRONG_PASSWORD in said else None)

    def _check(self, command: Command, ref_by_digest: str) -> SignatureCheck:
        result = self.runner.run(command)
        if result.ok:
            return SignatureCheck(ok=True, statements=_statements(result.stdout))
        said = _error_line(result.stderr or result.stdout)
        digest = ref_by_digest.partition("@")[2]
        if any(s in said for s in NO_SIGNATURES):
            return SignatureCheck(ok=False, detail=f"no signature for {digest}")
        if any(s in said for s in OTHER_KEY):
            return SignatureCheck(
                ok=False, detail=f"no signature for {digest} with this key (cosign: {said})"
            )
        return SignatureCheck(ok=False, detail=f"cosign could not verify {digest}: {said}")


def _key_args(key: Path | None) -> tuple[str, ...]:
    """With a key: offline, no transparency log. Without: keyless, cosign's OIDC flow (in
    GitHub Actions the job's identity token; needs `id-token: write`) and the public log.
    """
    return ("--key", str(key), "--tlog-upload=false") if key is not None else ()


def _statements(stdout: str) -> tuple[dict[str, Any], ...]:
    """The in-toto statements in what `cosign verify-attestation` printed: one DSSE envelope
    (JSON) per line, its payload the statement in base64. `cosign verify` prints other JSON.
    """
    found = []
    for line in stdout.splitlines():
        try:
            envelope = json.loads(line)
        except ValueError:
            continue
        if isinstance(envelope, dict) and envelope.get("payloadType") == IN_TOTO:
            found.append(json.loads(base64.b64decode(envelope["payload"])))
    return tuple(found)


def _error_line(text: str) -> str:
    """The `Error: …` line of what cosign printed (it also warns about the skipped tlog)."""
    for line in text.splitlines():
        if line.startswith("Error: "):
            return line.removeprefix("Error: ").strip()
    return last_line(text) or "no output"
