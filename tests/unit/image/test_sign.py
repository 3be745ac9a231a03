"""`hangar image sign`, the `signature` row of `hangar image verify` and `release --sign`,
driven through the real CLI with a fake signer; the cosign adapter's command lines.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from click.testing import Result

from hangar.errors import BadInput, HangarError, NotFound, StepFailed
from hangar.infra.cosign import CosignSigner
from hangar.ports import Command, ProcessResult
from tests.fakes.registry import FakeRegistry
from tests.fakes.scan import FakeEngine, FakeImage, debian_image, stanza
from tests.fakes.world import World

REPO = "reg.example:5000/airflow"
D11, D13 = "sha256:" + "1" * 64, "sha256:" + "3" * 64


def error(result: Result) -> HangarError:
    """The foreseen failure a command ended with (main() turns it into a line and a code)."""
    assert isinstance(result.exception, HangarError), result.output
    return result.exception


IMAGE13 = "sha256:" + "4" * 64  # the 3.13 image manifest inside the index D13
SITE = "/home/airflow/.local/lib/python3.13/site-packages"
STATEMENT = {
    "_type": "https://in-toto.io/Statement/v0.1",
    "predicateType": "https://slsa.dev/provenance/v0.2",
    "subject": [{"name": "pkg:docker/airflow", "digest": {"sha256": "4" * 64}}],
    "predicate": {
        "builder": {"id": "buildx://default"},
        "invocation": {"parameters": {"args": {"build-arg:AIRFLOW_VERSION": "3.3.2"}}},
        "materials": [{"uri": "pkg:docker/python@3.13", "digest": {"sha256": "5" * 64}}],
        "metadata": {
            "https://mobyproject.org/buildkit@v1#metadata": {
                "vcs": {"source": "https://git.example/hangar", "revision": "abc123def456789"},
                "source": {"infos": [{"language": "Dockerfile", "data": "RlJPTSBweXRob24K"}]},
            }
        },
    },
}


def pushed_index(
    registry: FakeRegistry, digest: str, image: str, statement: Mapping[str, object]
) -> None:
    """`digest` is an index holding `image` and BuildKit's attestation manifest about it."""
    blob = json.dumps(statement).encode()
    attestation = {
        "layers": [
            {
                "digest": "sha256:" + "6" * 64,
                "annotations": {"in-toto.io/predicate-type": statement["predicateType"]},
            }
        ]
    }
    index = {
        "manifests": [
            {"digest": image, "platform": {"architecture": "amd64", "os": "linux"}},
            {
                "digest": "sha256:" + "7" * 64,
                "platform": {"architecture": "unknown", "os": "unknown"},
                "annotations": {
                    "vnd.docker.reference.type": "attestation-manifest",
                    "vnd.docker.reference.digest": image,
                },
            },
        ]
    }
    index_type = "application/vnd.oci.image.index.v1+json"
    registry.manifests["airflow", digest] = (index_type, json.dumps(index).encode())
    registry.manifests["airflow", "sha256:" + "7" * 64] = ("m", json.dumps(attestation).encode())
    registry.blobs["sha256:" + "6" * 64] = blob


def airflow_image(*packages: str) -> FakeImage:
    status = "".join(stanza(name, "1.0-1") for name in ("libc6", *packages))
    meta = b"Metadata-Version: 2.4\nName: apache-airflow\nVersion: 3.3.2\n\n"
    image = debian_image(status, more={f"{SITE}/apache_airflow-3.3.2.dist-info/METADATA": meta})
    image.env = ("VIRTUAL_ENV=/home/airflow/.local",)
    return image


@pytest.fixture
def keys(world: World) -> Path:
    """A `release` key pair and an `other` one, in the project folder; in the registry the
    3.11 image is a single manifest (no provenance), the 3.13 one an index with provenance.
    """
    for name in ("release.key", "release.pub", "other.key", "other.pub"):
        (world.root / name).write_text("")
    world.registry = FakeRegistry(
        tags={"airflow": {"3.3.2-python3.11": D11, "3.3.2-python3.13": D13}}
    )
    world.registry.manifests["airflow", D11] = ("application/vnd.oci.image.manifest.v1+json", b"{}")
    pushed_index(world.registry, D13, IMAGE13, STATEMENT)
    world.engine = FakeEngine(
        images={f"{REPO}@{D11}": airflow_image(), f"{REPO}@{D13}": airflow_image()}
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
        {
            "signed": f"{REPO}@{D11}",
            "digest": D11,
            "sbom": {"debian": 1, "python": 1},
            "provenance": None,  # a single manifest: built without BuildKit's provenance
        }
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


def test_sign_attests_the_sbom_read_from_the_image_and_the_build_provenance(
    world: World, keys: Path
) -> None:
    result = world.invoke(
        "image", "sign", f"{REPO}:3.3.2-python3.13", "--key", str(keys / "release.key")
    )
    assert result.exit_code == 0, result.output
    assert "SBOM attested (1 Debian packages, 1 Python)" in result.stderr
    assert "provenance attested (https://git.example/hangar@abc123def456" in result.stderr
    sbom = world.signer.predicates[f"{REPO}@{D13}", "cyclonedx"]
    assert {c["purl"].split("?")[0] for c in sbom["components"] if "purl" in c} >= {
        "pkg:deb/debian/libc6@1.0-1",
        "pkg:pypi/apache-airflow@3.3.2",
    }
    provenance = world.signer.predicates[f"{REPO}@{D13}", "https://slsa.dev/provenance/v0.2"]
    assert provenance == STATEMENT["predicate"]


def verify_all(world: World, keys: Path, tag: str = "3.3.2-python3.13") -> Result:
    return world.invoke(
        "image", "verify", f"{REPO}:{tag}", "--key", str(keys / "release.pub"),
        "--check", "signature", "--check", "sbom", "--check", "provenance", "--output", "json",
    )  # fmt: skip


def rows(result: Result) -> dict[str, dict[str, object]]:
    return {r["name"]: r for r in json.loads(result.stdout)["checks"]}


def test_verify_passes_the_three_supply_chain_rows_of_a_signed_image(
    world: World, keys: Path
) -> None:
    world.invoke("image", "sign", f"{REPO}:3.3.2-python3.13", "--key", str(keys / "release.key"))
    result = verify_all(world, keys)
    assert result.exit_code == 0, result.output
    found = rows(result)
    assert all(r["passed"] for r in found.values()), found
    assert "1 Debian, 1 Python" in str(found["sbom"]["description"])
    assert IMAGE13[:19] in str(found["provenance"]["description"])
    assert "Dockerfile sha256:" in str(found["provenance"]["description"])


def test_verify_names_the_packages_an_sbom_does_not_match(world: World, keys: Path) -> None:
    world.invoke("image", "sign", f"{REPO}:3.3.2-python3.13", "--key", str(keys / "release.key"))
    assert isinstance(world.engine, FakeEngine)
    world.engine.images[f"{REPO}@{D13}"] = airflow_image("curl")  # changed after signing
    result = verify_all(world, keys)
    found = rows(result)
    assert found["signature"]["passed"]
    assert not found["sbom"]["passed"]
    assert "the SBOM misses 1 (deb/debian/curl@1.0-1)" in str(found["sbom"]["detail"])
    assert error(result).message.endswith("1 check(s) failed: sbom")


def test_verify_fails_an_image_without_provenance_or_attestations(world: World, keys: Path) -> None:
    world.invoke("image", "sign", f"{REPO}:3.3.2-python3.11", "--key", str(keys / "release.key"))
    found = rows(verify_all(world, keys, "3.3.2-python3.11"))
    assert found["signature"]["passed"]
    assert found["sbom"]["passed"]
    assert found["provenance"]["detail"] == "the image carries no build provenance"
    unsigned = rows(verify_all(world, keys))
    assert "no signed SBOM: no signature" in str(unsigned["sbom"]["detail"])
    assert "the provenance is not signed" in str(unsigned["provenance"]["detail"])


def test_provenance_about_another_image_fails(world: World, keys: Path) -> None:
    pushed_index(world.registry, D13, "sha256:" + "9" * 64, STATEMENT)  # names another image
    world.invoke("image", "sign", f"{REPO}:3.3.2-python3.13", "--key", str(keys / "release.key"))
    found = rows(verify_all(world, keys))
    assert f"not sha256:{'9' * 64}" in str(found["provenance"]["detail"])


def test_the_supply_chain_rows_need_a_key(world: World, keys: Path) -> None:
    result = world.invoke("image", "verify", f"{REPO}:3.3.2-python3.13", "--check", "sbom")
    assert "--check sbom needs --key" in error(result).message


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


def test_a_dry_run_of_release_sign_plans_the_signing_and_signs_nothing(
    world: World, keys: Path
) -> None:
    key = keys / "release.key"
    done = release(world, "--sign", "--key", str(key), "--dry-run")
    assert done.exit_code == 0, done.output
    signs = json.loads(done.stdout)["plan"]["signs"]
    assert sorted(s["image"] for s in signs) == [f"{REPO}@{D11}", f"{REPO}@{D13}"]
    assert {s["with"] for s in signs} == {f"key {key}"}
    text = world.invoke("image", "release", "3.3.2", "--sign", "--key", str(key), "--dry-run")
    assert f"would sign and attest (SBOM, provenance) {REPO}@{D13} (key {key})" in text.output
    assert world.signer.signed == []
    assert world.registry.copies == []


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


def test_cosign_attestations_are_read_from_the_envelopes_it_prints() -> None:
    statement = {"predicateType": "https://cyclonedx.org/bom", "predicate": {"components": []}}
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    envelope = json.dumps({"payloadType": "application/vnd.in-toto+json", "payload": payload})
    runner = Recorder(answer=ProcessResult(args=(), returncode=0, stdout=f"{envelope}\nnot json\n"))
    found = CosignSigner(runner=runner).verify_attestation(
        f"127.0.0.1:5000/airflow@{D13}", public_key=Path("k.pub"), predicate_type="cyclonedx"
    )
    assert found.ok
    assert found.statements == (statement,)
    assert runner.commands[0].args[:5] == (
        "cosign",
        "verify-attestation",
        "--key",
        "k.pub",
        "--type",
    )


def test_keyless_signing_leaves_the_key_out_and_uses_the_public_log() -> None:
    runner = Recorder()
    signer = CosignSigner(runner=runner)
    signer.sign(f"ghcr.io/org/airflow@{D13}", key=None, password=None)
    signer.attest(
        f"ghcr.io/org/airflow@{D13}",
        predicate_file=Path("sbom.json"),
        predicate_type="cyclonedx",
        key=None,
        password=None,
    )
    sign, attest = runner.commands
    assert sign.args == ("cosign", "sign", "--yes", f"ghcr.io/org/airflow@{D13}")
    assert "--key" not in attest.args
    assert "--tlog-upload=false" not in attest.args


def test_sign_and_release_take_a_key_or_keyless_and_not_both(world: World, keys: Path) -> None:
    image = f"{REPO}:3.3.2-python3.13"
    neither = world.invoke("image", "sign", image)
    assert "image sign needs --key or --keyless" in error(neither).message
    both = world.invoke("image", "sign", image, "--keyless", "--key", str(keys / "release.key"))
    assert "exclude each other" in error(both).message
    no_identity = world.invoke("image", "sign", image, "--keyless")
    assert "--keyless needs an OIDC identity token" in error(no_identity).message
    assert world.signer.signed == []
    world.environ["ACTIONS_ID_TOKEN_REQUEST_URL"] = "https://token.example/"
    keyless = world.invoke("image", "sign", image, "--keyless")
    assert keyless.exit_code == 0, keyless.output
    assert world.signer.signed == [(f"{REPO}@{D13}", "keyless", None)]
    released = release(world, "--sign", "--keyless")
    assert released.exit_code == 0, released.output
    assert (f"{REPO}@{D11}", "keyless", None) in world.signer.signed
    assert "--keyless goes with --sign" in error(release(world, "--keyless")).message
