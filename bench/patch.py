#!/usr/bin/env python3
"""What keeping a released image patched costs, `image patch` next to `image refresh-base`:
the time each takes and the bytes a user who has the released image must pull to get the new one.

Usage: .venv/bin/python bench/patch.py [--python 3.13] [--extras celery,postgres]
       (no --extras: the Dockerfile's default set, the default image)

Builds the image on a base that took no Debian updates (`build-base-image.sh --main-only`,
pushed once as python:<py>-slim-<debian>-main-only in the configured registry), releases it
into a throwaway repository, then runs `hangar image patch` and, from the same release,
`hangar image refresh-base` (on a current base image, built once per day). Bytes to pull: the
compressed sizes of the new image's layers that the released image does not have.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from hangar.image.trust.provenance import image_manifest_digest
from hangar.infra.registry import HttpRegistry

REPO = Path(__file__).resolve().parent.parent
HANGAR = str(Path(sys.executable).with_name("hangar"))
CODENAMES = {"3.11": "bookworm", "3.13": "trixie"}


def run(*args: str, env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:4])} … failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def base(registry: HttpRegistry, python: str, tag: str, *more: str) -> str:
    if registry.digest("python", tag) is None:
        run(
            str(REPO / "scripts" / "build-base-image.sh"),
            "--python", python, "--codename", CODENAMES[python],
            "--tag", f"{registry.host}/python:{tag}", "--push", *more,
        )  # fmt: skip
    return f"{registry.host}/python:{tag}"


def layer_sizes(registry: HttpRegistry, repo: str, ref: str) -> dict[str, int]:
    image = image_manifest_digest(registry, repo, ref)
    assert image is not None, f"{repo}@{ref} is not in the registry"
    _media, body = registry.manifest(repo, image)
    return {layer["digest"]: int(layer["size"]) for layer in json.loads(body)["layers"]}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--python", default="3.13", choices=sorted(CODENAMES))
    parser.add_argument("--extras", default=None)
    parser.add_argument("--registry", default="127.0.0.1:5000")
    opts = parser.parse_args()

    registry = HttpRegistry(host=opts.registry)
    codename = CODENAMES[opts.python]
    slim = f"{opts.python}-slim-{codename}"
    outdated = base(registry, opts.python, f"{slim}-main-only", "--main-only")
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    current = base(registry, opts.python, f"{slim}-current-{today}")
    name = f"hangar-bench-patch-{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="hangar-bench-"))
    env = {
        **os.environ,
        "HANGAR_REGISTRY": opts.registry,
        "HANGAR_IMAGE_NAME": name,
        "HANGAR_PYTHONS": opts.python,
        "HANGAR_DEFAULT_PYTHON": opts.python,
        "HANGAR_LOG_DIR": str(work / "logs"),
    }
    extras = ("--extras", opts.extras) if opts.extras else ()
    build = run(
        HANGAR, "image", "build", "--python", opts.python, "--push", *extras,
        "--base-image", outdated, env=env,
    )  # fmt: skip
    run(HANGAR, "image", "release", "--python", opts.python, "--date", "20260101", env=env)
    tag = f"3.3.2-python{opts.python}"
    released = layer_sizes(registry, name, tag)

    patch = run(HANGAR, "image", "patch", "--date", "20260102", env=env)
    patched = layer_sizes(registry, name, tag)
    run(HANGAR, "image", "rollback", "--to", "20260101", env=env)
    refresh_env = {**env, "HANGAR_BASE_IMAGE": current.replace(opts.python, "{python}")}
    refresh = run(HANGAR, "image", "refresh-base", "--date", "20260103", env=refresh_env)
    refreshed = layer_sizes(registry, name, tag)

    def pull(new: dict[str, int]) -> float:
        return sum(size for digest, size in new.items() if digest not in released) / 1e6

    print(
        f"image: Python {opts.python}, extras {opts.extras or '(default set)'}; build {build:.0f} s"
    )
    print(f"{'':16}{'time':>10}{'to pull':>12}{'layers new':>12}")
    for what, seconds, new in (("patch", patch, patched), ("refresh-base", refresh, refreshed)):
        fresh = sum(1 for d in new if d not in released)
        print(f"{what:16}{seconds:>8.0f} s{pull(new):>9.1f} MB{fresh:>8}/{len(new)}")
    for digest in {registry.digest(name, t) for t in registry.list_tags(name)} - {None}:
        registry.delete(name, digest)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
