"""A small OCI archive made by hand, as BuildKit's type=oci exporter lays one out: index.json,
an image index with the image and an attestation manifest, a config with labels, one layer.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping
from pathlib import Path

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer() -> bytes:
    files = io.BytesIO()
    with tarfile.open(fileobj=files, mode="w") as tar:
        body = b"built from the fork's sources\n"
        info = tarfile.TarInfo("etc/hangar-archive-test")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return gzip.compress(files.getvalue(), mtime=0)


def make_archive(
    path: Path, *, labels: Mapping[str, str], tamper: bool = False, salt: str = ""
) -> tuple[Path, str]:
    """Write the archive; returns it and the digest of its top index. `tamper` changes one
    blob after its name was given; `salt` makes the layer (and every digest) unique.
    """
    layer = _layer() + salt.encode()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": dict(labels)},
            "rootfs": {"type": "layers", "diff_ids": [_digest(gzip.decompress(_layer()))]},
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": _digest(layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    statement = b'{"_type": "https://in-toto.io/Statement/v1"}'
    empty = b"{}"
    attestation = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _digest(empty),
                "size": len(empty),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.in-toto+json",
                    "digest": _digest(statement),
                    "size": len(statement),
                }
            ],
        }
    ).encode()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": _digest(manifest),
                    "size": len(manifest),
                    "platform": {"architecture": "amd64", "os": "linux"},
                },
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": _digest(attestation),
                    "size": len(attestation),
                    "annotations": {
                        "vnd.docker.reference.digest": _digest(manifest),
                        "vnd.docker.reference.type": "attestation-manifest",
                    },
                    "platform": {"architecture": "unknown", "os": "unknown"},
                },
            ],
        }
    ).encode()
    top = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{"mediaType": OCI_INDEX, "digest": _digest(index), "size": len(index)}],
        }
    ).encode()
    blobs = {_digest(b): b for b in (layer, config, manifest, statement, empty, attestation, index)}
    with tarfile.open(path, "w") as tar:
        for name, data in (
            ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
            ("index.json", top),
            *((f"blobs/sha256/{d.split(':')[1]}", b) for d, b in blobs.items()),
        ):
            changed = tamper and name.endswith(_digest(config).split(":")[1])
            content = data.replace(b"amd64", b"arm64") if changed else data
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path, _digest(index)
