"""`hangar image sign`, the `signature` row of `hangar image verify` and `release --sign`,
driven through the real CLI with a fake signer; the cosign adapter's command lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from click.testing import Result

from hangar.errors import BadInput, HangarError, NotFound, StepFailed
from hangar.infra.cosign import CosignSigner
from hangar.ports import Command, ProcessResult
from tests.fakes.registry import FakeRegistry
from tests.fakes.world import World

REPO = "reg.example:5000/airflow"
D11, D13 = "sha256:" + "1" * 64, "sha256:" + "3" * 64


def error(result: Result) -> HangarError:
    """The foreseen failure a command ended with (main() turns it into a line and a code)."""
    assert isinstance(result.exception, HangarError), result.output
    return result.exception


@pytest.fixture
def keys(world: World) -> Path:
    """A `release` key pair and an `other` one, in the project folder."""
    for name in ("release.key", "release.pub", "other.key", "other.pub"):
        (world.root / name).write_text("")
    world.registry = FakeRegistry(
        tags={"airflow": {"3.3.2-python3.11": D11, "3.3.2-python3.13": D13}}
    )
    return world.root


def test_sign_signs_the_digest_the_tag_resolves_to_never_the_tag(world: World, keys: Path) -> None:
    world.environ["COSIGN_PASSWORD"] = "s3cret"
    result = world.invoke(
        "image", "sign", f"{REPO}:3.3.2-python3.13", "--key", str(keys / "release.key")
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{REPO}@{D13}"
    assert world.signer.signed == [(f"{REPO}@{D13}", str(keys / "release.key"), "s3cret")]


def test_sign_json_names_image_reference_and_digest(world: World, keys: Path) -> None:
    result = world.invoke(
        "image",
        "sign",
        f"{REPO}:3.3.2-python3.11",
        "--key",
        str(keys / "release.key"),
        "--output",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"image": f"{REPO}:3.3.2-python3.11", "signed": f"{REPO}@{D11}", "digest": D11}
    ]


def test_sign_refuses_what_the_registry_does_not_have_or_an_image_without_registry(
    world: World, keys: Path
) -> None:
    missing = world.invoke("image", "sign", f"{REPO}:9.9.9", "--key", str(keys / "release.key"))
    assert isinstance(error(missing), NotFound)
    assert "not in the registry reg.example:5000" in error(missing).message
    local = world.invoke("image", "sign", "airflow:3.3.2", "--key", str(keys / "release.key"))
    assert isinstance(error(local), BadInput)
    assert "name the registry" in error(local).message
    assert world.signer.signed == []


def test_sign_without_cosign_says_what_to_install(world: World, keys: Path) -> None:
    world.signer.installed = False
    result = world.invoke(
        "image", "sign", f"{REPO}:3.3.2-python3.13", "--key", str(keys / "release.key")
    )
    assert isinstance(error(result), StepFailed)
    assert "cosign" in error(result).message
    assert world.signer.signed == []


def verify(world: World, keys: Path, key: str, *more: str) -> Result:
    return world.invoke(
        "image", "verify", f"{REPO}:3.3.2-python3.13", "--check", "signature",
        "--key", str(keys / key), *more,
    )  # fmt: skip


def test_verify_signature_row_passes_with_the_key_pair_and_fails_with_another(
    world: World, keys: Path
) -> None:
    unsigned = verify(world, keys, "release.pub")
    assert isinstance(error(unsigned), StepFailed)
    assert f"no signature for {D13}" in unsigned.stdout
    world.invoke("image", "sign", f"{REPO}:3.3.2-python3.13", "--key", str(keys / "release.key"))

    signed = verify(world, keys, "release.pub", "--output", "json")
    assert signed.exit_code == 0, signed.output
    (row,) = json.loads(signed.stdout)["checks"]
    assert row["name"] == "signature"
    assert row["passed"]
    assert D13 in row["description"]

    other = verify(world, keys, "other.pub")
    assert "with this key" in other.stdout
    assert "FAIL" in other.stdout
    assert error(other).message.endswith("1 check(s) failed: signature")
    assert world.runner.commands == []  # the signature alone runs no container


def test_verify_signature_needs_a_key(world: World, keys: Path) -> None:
    result = world.invoke("image", "verify", f"{REPO}:3.3.2-python3.13", "--check", "signature")
    assert isinstance(error(result), BadInput)
    assert "--check signature needs --key" in error(result).message


def release(world: World, *more: str) -> Result:
    return world.invoke("image", "release", "3.3.2", "--output", "json", *more)


def test_release_sign_signs_each_digest_the_release_moved_a_tag_to(
    world: World, keys: Path
) -> None:
    done = release(world, "--sign", "--key", str(keys / "release.key"))
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["ok"]  # the notes go to stderr: still one JSON document
    assert sorted(ref for ref, _key, _pw in world.signer.signed) == [
        f"{REPO}@{D11}",
        f"{REPO}@{D13}",
    ]
    assert f"signed {REPO}@{D13}" in done.stderr

    world.signer.signed.clear()
    again = release(world, "--sign", "--key", str(keys / "release.key"))
    assert again.exit_code == 0, again.output
    assert world.signer.signed == []  # nothing moved, nothing new to sign
    assert "nothing to sign" in again.stderr


def test_release_sign_is_checked_before_any_tag_moves(world: World, keys: Path) -> None:
    assert "--sign needs --key" in error(release(world, "--sign")).message
    assert (
        "--key goes with --sign"
        in error(release(world, "--key", str(keys / "release.key"))).message
    )
    world.signer.installed = False
    assert isinstance(
        error(release(world, "--sign", "--key", str(keys / "release.key"))), StepFailed
    )
    assert world.registry.copies == []


# -- the cosign adapter ---------------------------------------------------------------------------


@dataclass
class Recorder:
    answer: ProcessResult | None = None
    commands: list[Command] = field(default_factory=list)

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        self.commands.append(command)
        return self.answer or ProcessResult(args=command.args, returncode=0)


def test_cosign_signs_offline_with_the_password_only_in_its_environment() -> None:
    runner = Recorder()
    signer = CosignSigner(runner=runner)
    signer.sign(f"127.0.0.1:5000/airflow@{D13}", key=Path("k.key"), password="s3cret")
    signer.sign(f"ghcr.io/org/airflow@{D13}", key=Path("k.key"), password=None)
    local, remote = runner.commands
    assert local.args == (
        "cosign", "sign", "--yes", "--key", "k.key", "--tlog-upload=false",
        "--allow-insecure-registry", "--allow-http-registry", f"127.0.0.1:5000/airflow@{D13}",
    )  # fmt: skip
    assert local.secret_env == {"COSIGN_PASSWORD": "s3cret"}
    assert "s3cret" not in local.quoted()
    assert "s3cret" not in repr(local)
    assert "--allow-http-registry" not in remote.args
    assert remote.secret_env == {"COSIGN_PASSWORD": ""}  # never a prompt


def test_cosign_is_given_digests_only() -> None:
    with pytest.raises(StepFailed, match="digests only"):
        CosignSigner(runner=Recorder()).sign(
            "127.0.0.1:5000/airflow:latest", key=Path("k.key"), password=None
        )


@pytest.mark.parametrize(
    ("said", "detail"),
    [
        ("Error: no signatures found\n", f"no signature for {D13}"),
        (
            "WARNING: Skipping tlog verification\nError: no matching signatures: invalid signature",
            f"no signature for {D13} with this key",
        ),
        ("Error: loading public key: open x.pub", "cosign could not verify"),
    ],
)
def test_cosign_verify_failures_say_why(said: str, detail: str) -> None:
    runner = Recorder(answer=ProcessResult(args=(), returncode=10, stderr=said))
    found = CosignSigner(runner=runner).verify(f"127.0.0.1:5000/a@{D13}", public_key=Path("k.pub"))
    assert not found.ok
    assert found.detail.startswith(detail)
    (command,) = runner.commands
    assert "--insecure-ignore-tlog=true" in command.args
    assert not command.changes_state


def test_cosign_attestation_commands() -> None:
    runner = Recorder()
    signer = CosignSigner(runner=runner)
    ref = f"127.0.0.1:5000/a@{D13}"
    signer.attest(
        ref,
        predicate_file=Path("p.json"),
        predicate_type="spdxjson",
        key=Path("k.key"),
        password="pw",
    )
    assert signer.verify_attestation(ref, public_key=Path("k.pub"), predicate_type="spdxjson").ok
    attest, check = runner.commands
    assert attest.args[1:2] == ("attest",)
    assert attest.args[attest.args.index("--type") : attest.args.index("--type") + 2] == (
        "--type",
        "spdxjson",
    )
    assert attest.secret_env == {"COSIGN_PASSWORD": "pw"}
    assert check.args[1] == "verify-attestation"
    assert "--insecure-ignore-tlog=true" in check.args
