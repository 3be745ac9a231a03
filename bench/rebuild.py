#!/usr/bin/env python3
"""How long `hangar image build` takes: cold, warm (nothing changed), after adding one runtime
Debian package to the warm image, after adding one Python dependency, and from the registry
cache on an emptied builder; side by side.

Usage: .venv/bin/python bench/rebuild.py [--python 3.11] [--default-extras] [--dep cowsay]
                                         [--apt-dep jq] [--json FILE]

Runs from the repository root with its hangar.toml (registry, base images, CA bundle). Builds
in a throwaway copy of the build context under the image name `hangar-bench`, and empties the
builder cache (`docker buildx prune -af`) before the cold and the registry-cache builds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hangar.infra.files import copy_build_context

REPO = Path(__file__).resolve().parent.parent


def make_context(root: Path) -> Path:
    return copy_build_context(REPO, root)


def cached_steps(log: str) -> tuple[int, int]:
    """(steps taken from the cache, steps in all) in buildx's plain output."""
    steps = set(re.findall(r"^#(\d+) \[[^\]]+\] ", log, re.MULTILINE))
    cached = set(re.findall(r"^#(\d+) CACHED$", log, re.MULTILINE)) & steps
    return len(cached), len(steps)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--python", default="3.11")
    parser.add_argument(
        "--default-extras",
        action="store_true",
        help="build the Dockerfile's default extras instead of celery,postgres",
    )
    parser.add_argument("--apt-dep", default="jq", help="the Debian package added for run 3")
    parser.add_argument("--dep", default="cowsay", help="the Python dependency added for run 4")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    opts = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hangar-bench-"))
    context = make_context(work / "ctx")
    logs = work / "logs"
    env = {
        **os.environ,
        "HANGAR_IMAGE_NAME": "hangar-bench",
        "HANGAR_LOG_DIR": str(logs),
        "COLUMNS": "200",
    }
    extras = [] if opts.default_extras else ["--extras", "celery,postgres"]
    base = [
        sys.executable,
        "-c",
        "from hangar.cli.main import main; main()",
        "image",
        "build",
        "--context",
        str(context),
        "--python",
        opts.python,
        *extras,
    ]

    def prune() -> None:
        subprocess.run(["docker", "buildx", "prune", "-af"], capture_output=True, check=True)

    def build(label: str, *args: str) -> tuple[str, float, int, int]:
        started = time.monotonic()
        done = subprocess.run(
            [*base, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
        )
        seconds = time.monotonic() - started
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-3000:])
            raise SystemExit(f"bench: {label} failed (exit {done.returncode}); logs in {logs}")
        log = (logs / f"build-{opts.python}.log").read_text()
        slug = re.sub(r"\W+", "-", label).strip("-")
        shutil.copy2(logs / f"build-{opts.python}.log", work / f"{slug}.log")
        return (label, seconds, *cached_steps(log))

    shown_extras = "default" if opts.default_extras else "celery,postgres"
    print(
        f"bench: Python {opts.python}, extras {shown_extras}, work folder {work}",
        file=sys.stderr,
    )
    rows = []
    prune()
    rows.append(build("cold (emptied builder, no cache)", "--cache-to"))
    rows.append(build("warm (nothing changed)"))
    # the package goes onto the warm image, which the engine still holds (as a user's would be)
    rows.append(
        build(
            f"one runtime package added ({opts.apt_dep})",
            "--additional-runtime-apt-deps",
            opts.apt_dep,
        )
    )
    rows.append(build(f"one dependency added ({opts.dep})", "--additional-python-deps", opts.dep))
    prune()
    rows.append(build("registry cache, emptied builder", "--cache-from"))
    cold = rows[0][1]
    print(f"{'build':<40} {'seconds':>8} {'vs cold':>8} {'cached steps':>13}")
    for label, seconds, cached, steps in rows:
        print(f"{label:<40} {seconds:8.1f} {seconds / cold:7.0%} {f'{cached}/{steps}':>13}")
    if opts.json is not None:
        keys = ("cold", "warm", "one_runtime_package", "one_dependency", "registry_cache")
        document = {
            "python": opts.python,
            "extras": shown_extras,
            "dependency": opts.dep,
            "runtime_package": opts.apt_dep,
            "rows": [
                {
                    "run": key,
                    "label": label,
                    "seconds": round(seconds, 1),
                    "cached_steps": cached,
                    "steps": steps,
                }
                for key, (label, seconds, cached, steps) in zip(keys, rows, strict=True)
            ],
        }
        opts.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
