"""Signatures in memory behind the Signer interface: a key pair is `NAME.key` and `NAME.pub`
(the same stem), a signature is the stem of the key that made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hangar.errors import StepFailed
from hangar.ports import SignatureCheck

KEYLESS = "keyless"  # what a keyless signature is recorded as


@dataclass
class FakeSigner:
    """ref@digest -> the key stems that signed it; `signed` records every (ref, key, password)."""

    signatures: dict[str, set[str]] = field(default_factory=dict)
    attestations: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    predicates: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    signed: list[tuple[str, str, str | None]] = field(default_factory=list)
    installed: bool = True
    password: str | None = None  # the password every key needs, when set

    def ensure_available(self) -> None:
        if not self.installed:
            raise StepFailed("cosign does not run: cosign: command not found", hint="install it")

    def sign(self, ref_by_digest: str, *, key: Path | None, password: str | None) -> None:
        self._open(ref_by_digest, key, password)
        self.signatures.setdefault(ref_by_digest, set()).add(key.stem if key else KEYLESS)
        self.signed.append((ref_by_digest, str(key) if key else KEYLESS, password))

    def verify(self, ref_by_digest: str, *, public_key: Path) -> SignatureCheck:
        return self._check(self.signatures.get(ref_by_digest, set()), ref_by_digest, public_key)

    def attest(
        self,
        ref_by_digest: str,
        *,
        predicate_file: Path,
        predicate_type: str,
        key: Path | None,
        password: str | None,
    ) -> None:
        self._open(ref_by_digest, key, password)
        stem = key.stem if key else KEYLESS
        self.attestations.setdefault((ref_by_digest, predicate_type), set()).add(stem)
        self.predicates[ref_by_digest, predicate_type] = json.loads(predicate_file.read_text())

    def verify_attestation(
        self, ref_by_digest: str, *, public_key: Path, predicate_type: str
    ) -> SignatureCheck:
        stems = self.attestations.get((ref_by_digest, predicate_type), set())
        found = self._check(stems, ref_by_digest, public_key)
        if not found.ok:
            return found
        statement = {"predicate": self.predicates[ref_by_digest, predicate_type]}
        return SignatureCheck(ok=True, statements=(statement,))

    def _open(self, ref_by_digest: str, key: Path | None, password: str | None) -> None:
        assert "@sha256:" in ref_by_digest, f"signing a tag: {ref_by_digest}"
        if self.password is not None and password != self.password:
            raise StepFailed(f"signing {ref_by_digest} failed: decryption failed")

    @staticmethod
    def _check(stems: set[str], ref_by_digest: str, public_key: Path) -> SignatureCheck:
        digest = ref_by_digest.partition("@")[2]
        if not stems:
            return SignatureCheck(ok=False, detail=f"no signature for {digest}")
        if public_key.stem not in stems:
            return SignatureCheck(ok=False, detail=f"no signature for {digest} with this key")
        return SignatureCheck(ok=True)
