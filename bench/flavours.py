#!/usr/bin/env python3
"""The slim image next to the regular one, and what an emulated arm64 build of it costs.

Usage: .venv/bin/python bench/flavours.py --base-image REF [--python 3.13] [--json FILE]

REF must hold linux/amd64 and linux/arm64 (`hangar base build --platform
linux/amd64,linux/arm64 --push`, or python:3.13-slim-trixie where Docker Hub is reachable).
In one run, each build pushed to a throwaway repository of the configured registry:
  1. the regular image (the Dockerfile's default extras), amd64;
  2. the slim image (`--slim`: no extras), amd64;
  3. the slim image for linux/arm64 alone, under emulation, from an emptied builder cache.
Then for each image: its size on disk (`du -sxb /` in a container of it, the way the official
image is measured) and what a user pulls (the compressed layers and config in the registry).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

from hangar.infra.registry import HttpRegistry

REPO = Path(__file__).resolve().parent.parent
HANGAR = str(Path(sys.executable).with_name("hangar"))
MB = 1_000_000


def timed(*args: str) -> float:
    started = time.monotonic()
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:6])} … failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def on_disk(image: str, platform: str) -> int:
    """Bytes of the image's file system, as `du -sxb /` in a container of it counts them."""
    done = subprocess.run(
        ["docker", "run", "--rm", "--platform", platform, "--user", "0", "--entrypoint", "du",
         image, "-sxb", "/"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout.split()[0])


def pulled(registry: HttpRegistry, repository: str, tag: str, platform: str) -> int:
    """Bytes a user pulls for `platform`: the compressed layers and the config."""
    _media_type, body = registry.manifest(repository, tag)
    manifest = json.loads(body)
    if "manifests" in manifest:  # an index: the platform's manifest
        os_name, _, arch = platform.partition("/")
        (entry,) = [
            m for m in manifest["manifests"]
            if m.get("platform", {}).get("os") == os_name
            and m.get("platform", {}).get("architecture") == arch
        ]  # fmt: skip
        _media, body = registry.manifest(repository, entry["digest"])
        manifest = json.loads(body)
    return int(manifest["config"]["size"]) + sum(int(layer["size"]) for layer in manifest["layers"])


def measured(
    name: str, registry: HttpRegistry, repository: str, tag: str, platform: str, seconds: float
) -> dict[str, object]:
    """One row: the build's time, the pushed image's size on disk and the bytes pulled."""
    image = f"{registry.host}/{repository}:{tag}"
    return {
        "image": name,
        "build_seconds": round(seconds, 1),
        "on_disk_mb": round(on_disk(image, platform) / MB),
        "pulled_mb": round(pulled(registry, repository, tag, platform) / MB),
    }


def empty(registry: HttpRegistry, repository: str) -> None:
    """Delete every manifest of a throwaway repository."""
    for tag in registry.list_tags(repository):
        digest = registry.digest(repository, tag)
        if digest is not None:
            registry.delete(repository, digest)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--base-image", required=True)
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    registry = HttpRegistry(host=options.registry)
    repository = f"bench-flavours-{uuid.uuid4().hex[:8]}"
    common = ("--python", options.python, "--base-image", options.base_image, "--push")
    builds = {
        "regular (amd64)": ("linux/amd64", ()),
        "slim (amd64)": ("linux/amd64", ("--slim",)),
        "slim (arm64, emulated, cold)": ("linux/arm64", ("--slim",)),
    }
    results = []
    try:
        for name, (platform, flags) in builds.items():
            tag = name.split()[0] + "-" + platform.rpartition("/")[2]
            if "cold" in name:
                subprocess.run(
                    ["docker", "buildx", "prune", "-af"], capture_output=True, check=True
                )
            seconds = timed(
                HANGAR, "image", "build", *common, *flags, "--platform", platform,
                "--tag", f"{options.registry}/{repository}:{tag}",
            )  # fmt: skip
            results.append(measured(name, registry, repository, tag, platform, seconds))
    finally:
        empty(registry, repository)
    regular = results[0]
    print(f"hangar bench: flavours, Python {options.python}, base {options.base_image}")
    print(f"{'image':<30} {'build':>8} {'on disk':>10} {'pulled':>9} {'disk vs regular':>16}")
    for row in results:
        ratio = row["on_disk_mb"] / regular["on_disk_mb"]
        print(
            f"{row['image']:<30} {row['build_seconds']:>7.0f}s {row['on_disk_mb']:>7} MB "
            f"{row['pulled_mb']:>6} MB {ratio:>15.2f}x"
        )
    if options.json:
        options.json.write_text(
            json.dumps({"python": options.python, "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
