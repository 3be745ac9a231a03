#!/usr/bin/env python3
"""What trust costs on the default image: two cold reproducible builds pushed (their image
digests side by side: the same inputs must give the same digest), then the SBOM, and the
signature with the SBOM and provenance attestations, timed.

Usage: .venv/bin/python bench/supply_chain.py [--python 3.13] [--extras celery,postgres]
       (no --extras: the Dockerfile's default set, the default image)

Each build starts from an empty builder cache (`docker buildx prune -af`) and pushes to a
throwaway repository of the configured registry; BuildKit writes the provenance during the
build, so its cost is inside the build time. A throwaway cosign key pair signs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from hangar.image.trust.provenance import attached_provenance, image_manifest_digest
from hangar.infra.registry import HttpRegistry

REPO = Path(__file__).resolve().parent.parent
HANGAR = str(Path(sys.executable).with_name("hangar"))
PASSWORD = uuid.uuid4().hex


def timed(*args: str) -> tuple[float, str, str]:
    started = time.monotonic()
    done = subprocess.run(
        args,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COSIGN_PASSWORD": PASSWORD},
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:4])} … failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started, done.stdout, done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--extras", default=None)
    parser.add_argument("--registry", default="127.0.0.1:5000")
    options = parser.parse_args()
    registry = HttpRegistry(host=options.registry)
    repository = f"bench-supply-{uuid.uuid4().hex[:8]}"
    extras = ("--extras", options.extras) if options.extras else ()
    rows: list[tuple[str, str]] = []
    digests = []
    for run in ("first", "second"):
        subprocess.run(["docker", "buildx", "prune", "-af"], capture_output=True, check=True)
        tag = f"{options.registry}/{repository}:{run}"
        seconds, _out, _err = timed(
            HANGAR, "image", "build", "--python", options.python, *extras,
            "--reproducible", "--push", "--tag", tag,
        )  # fmt: skip
        digest = image_manifest_digest(registry, repository, run)
        provenance = attached_provenance(registry, repository, run)
        digests.append(digest)
        rows.append((f"cold reproducible build ({run})", f"{seconds:.0f} s"))
        rows.append((f"  image digest ({run})", str(digest)))
        rows.append((f"  provenance ({run})", provenance.summary() if provenance else "none"))
    rows.append(("same digest", "yes" if digests[0] == digests[1] else "NO"))

    image = f"{options.registry}/{repository}:second"
    seconds, out, _err = timed(HANGAR, "image", "sbom", image)
    components = json.loads(out)["components"]
    debs = sum(1 for c in components if str(c.get("purl", "")).startswith("pkg:deb/"))
    pythons = sum(1 for c in components if str(c.get("purl", "")).startswith("pkg:pypi/"))
    rows.append(("SBOM (CycloneDX) of the image", f"{seconds:.1f} s"))
    rows.append(("  packages", f"{debs} Debian, {pythons} Python"))

    with tempfile.TemporaryDirectory() as keys:
        subprocess.run(
            ["cosign", "generate-key-pair"],
            cwd=keys,
            env={**os.environ, "COSIGN_PASSWORD": PASSWORD},
            capture_output=True,
            check=True,
        )
        seconds, _out, _err = timed(HANGAR, "image", "sign", image, "--key", f"{keys}/cosign.key")
        rows.append(("sign + attest SBOM and provenance", f"{seconds:.1f} s"))
        seconds, out, _err = timed(
            HANGAR, "image", "verify", image, "--key", f"{keys}/cosign.pub",
            "--check", "signature", "--check", "sbom", "--check", "provenance",
        )  # fmt: skip
        rows.append(("verify: signature, SBOM, provenance", f"{seconds:.1f} s"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(out)
    for tag in ("first", "second"):
        digest = registry.digest(repository, tag)
        if digest is not None:
            registry.delete(repository, digest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
