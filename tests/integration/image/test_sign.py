"""`hangar image sign` and `hangar image verify --key` with the real cosign against the local
registry, offline (no transparency log): a small base image copied into a throwaway repository
stands in for a released image, so nothing is built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from hangar.infra.cosign import CosignSigner
from hangar.infra.process import SubprocessRunner
from hangar.infra.registry import HttpRegistry
from tests.images import HANGAR, REGISTRY

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("cosign") is None,
        reason="cosign is not installed (scripts/setup-env.sh --test installs it)",
    ),
]

PASSWORD = "hangar-test-" + uuid.uuid4().hex  # must never show in a command line or output


def key_pair(folder: Path, password: str) -> Path:
    folder.mkdir()
    subprocess.run(
        ["cosign", "generate-key-pair"],
        cwd=folder,
        env={**os.environ, "COSIGN_PASSWORD": password},
        capture_output=True,
        check=True,
        timeout=60,
    )
    return folder


def hangar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANGAR, "-v", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COSIGN_PASSWORD": PASSWORD},
        check=False,
        timeout=120,
    )


def test_signed_digest_verifies_with_its_key_only_and_not_after_the_tag_moves(
    registry: HttpRegistry, repo: str, tmp_path: Path
) -> None:
    ours, theirs = key_pair(tmp_path / "ours", PASSWORD), key_pair(tmp_path / "theirs", "other")
    digest = registry.copy(
        source_repository="python",
        source_reference="3.11-slim-bookworm",
        repository=repo,
        tag="3.3.2-python3.11",
    )
    image = f"{REGISTRY}/{repo}:3.3.2-python3.11"

    signed = hangar("image", "sign", image, "--key", str(ours / "cosign.key"))
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout.strip() == f"{REGISTRY}/{repo}@{digest}"  # the digest, never the tag
    assert "--tlog-upload=false" in signed.stderr  # -v logs the command line

    def verify(key: Path) -> subprocess.CompletedProcess[str]:
        return hangar("image", "verify", image, "--check", "signature", "--key", str(key))

    good = verify(ours / "cosign.pub")
    assert good.returncode == 0, good.stderr
    assert "pass" in good.stdout

    other = verify(theirs / "cosign.pub")
    assert other.returncode == 1
    assert f"no signature for {digest} with this key" in " ".join(other.stdout.split())
    assert "1 check(s) failed: signature" in other.stderr

    # plain cosign, as a user checks it, agrees
    plain = subprocess.run(
        [
            "cosign", "verify", "--key", str(ours / "cosign.pub"), "--insecure-ignore-tlog=true",
            "--allow-http-registry", "--allow-insecure-registry", f"{REGISTRY}/{repo}@{digest}",
        ],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr

    # another image pushed under the same tag: its digest carries no signature
    moved = registry.copy(
        source_repository="python",
        source_reference="3.13-slim-trixie",
        repository=repo,
        tag="3.3.2-python3.11",
    )
    assert moved != digest
    tampered = verify(ours / "cosign.pub")
    assert tampered.returncode == 1
    assert f"no signature for {moved}" in " ".join(tampered.stdout.split())

    for done in (signed, good, other, tampered):
        assert PASSWORD not in done.stdout + done.stderr


def test_a_wrong_password_says_so_and_signs_nothing(
    registry: HttpRegistry, repo: str, tmp_path: Path
) -> None:
    keys = key_pair(tmp_path / "keys", "not-" + PASSWORD)
    registry.copy(
        source_repository="python", source_reference="3.11-slim-bookworm", repository=repo, tag="t"
    )
    done = hangar("image", "sign", f"{REGISTRY}/{repo}:t", "--key", str(keys / "cosign.key"))
    assert done.returncode == 1
    assert "set COSIGN_PASSWORD" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert not [t for t in registry.list_tags(repo) if t.endswith(".sig")]


def test_attestation_verifies_with_its_key_and_type(
    registry: HttpRegistry, repo: str, tmp_path: Path
) -> None:
    keys = key_pair(tmp_path / "keys", PASSWORD)
    digest = registry.copy(
        source_repository="python", source_reference="3.11-slim-bookworm", repository=repo, tag="t"
    )
    ref = f"{REGISTRY}/{repo}@{digest}"
    predicate = tmp_path / "predicate.json"
    predicate.write_text('{"built_by": "hangar"}\n')
    signer = CosignSigner(runner=SubprocessRunner())
    signer.ensure_available()
    signer.attest(
        ref,
        predicate_file=predicate,
        predicate_type="https://hangar.example/test/v1",
        key=keys / "cosign.key",
        password=PASSWORD,
    )
    found = signer.verify_attestation(
        ref, public_key=keys / "cosign.pub", predicate_type="https://hangar.example/test/v1"
    )
    assert found.ok, found.detail
    other = signer.verify_attestation(
        ref, public_key=keys / "cosign.pub", predicate_type="https://hangar.example/other/v1"
    )
    assert not other.ok
