#!/usr/bin/env python3
"""Cold builds of the default image, side by side: hangar with uv, hangar with pip, the same
extras installed the way the official image does it (`official-way`: pip, no bytecode at all,
nothing trimmed, the official image's runtime package list) and that with every module's
bytecode compiled (`pip-bytecode`). Prints build time, size on disk, compressed size and the
start-up time of `airflow version` in a fresh container, each against `official-way`, then
where hangar's bytes are (per site-packages folder, and bytecode against source), and writes
the whole as JSON with --json FILE.

Each build starts from an empty builder cache (`docker buildx prune -af`). All variants use the
same constraints file (generated once with `hangar constraints generate`), so they install the
same package versions.

    .venv/bin/python bench/image.py                    # default extras, Python 3.13
    .venv/bin/python bench/image.py --extras celery,postgres --python 3.11
    .venv/bin/python bench/image.py --python 3.13,3.14 --variants hangar-uv

Several Pythons (comma-separated) build each variant for each of them in turn, in one run; a
variant's rows of a later Python are compared with the first Python's.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from hangar.infra.files import copy_build_context

REPO = Path(__file__).resolve().parent.parent
REGISTRY = "127.0.0.1:5000"
BASES = {
    "3.11": f"{REGISTRY}/python:3.11-slim-bookworm",
    "3.13": f"{REGISTRY}/python:3.13-slim-trixie",
    "3.14": f"{REGISTRY}/python:3.14-slim-forky",
}
CA = "/etc/ssl/certs/ca-certificates.crt"
# The official image's runtime packages (REFERENCE-airflow.md §1.5), in Debian's own names;
# the vendor repositories (MariaDB, Microsoft, PGDG, Docker) are not reachable here, so their
# clients come from Debian.
OFFICIAL_RUNTIME = {
    "bookworm": "libldap-2.5-0 libssl3",
    "trixie": "libldap2 libssl3t64",
    "forky": "libldap2 libssl3t64",
}
OFFICIAL_RUNTIME_COMMON = (
    "apt-transport-https apt-utils ca-certificates curl dumb-init freetds-bin git gnupg "
    "iputils-ping krb5-user ldap-utils libev4 libffi8 libgeos-dev libsasl2-2 libsasl2-modules "
    "libxmlsec1 locales lsb-release netcat-openbsd openssh-client rsync sasl2-bin sqlite3 sudo "
    "unixodbc wget mariadb-client postgresql-client"
)
VARIANTS = {
    "hangar-uv": {},
    "hangar-pip": {"AIRFLOW_USE_UV": "false"},
    "official-way": {"AIRFLOW_USE_UV": "false", "TRIM_VENV": "false", "COMPILE_BYTECODE": "false"},
    "pip-bytecode": {"AIRFLOW_USE_UV": "false", "TRIM_VENV": "false", "COMPILE_BYTECODE": "true"},
}
OFFICIAL_WAY = ("official-way", "pip-bytecode")  # with the official runtime packages
# where the bytes are: MB per top folder of site-packages, and the bytecode's share
BREAKDOWN = """
import collections, os, sys
site = sys.argv[1]
sizes, pyc, py = collections.Counter(), 0, 0
for folder, _, files in os.walk(site):
    top = os.path.relpath(folder, site).split(os.sep)[0]
    for name in files:
        size = os.lstat(os.path.join(folder, name)).st_size
        sizes[top] += size
        pyc += size if name.endswith(".pyc") else 0
        py += size if name.endswith(".py") else 0
print({"top": sizes.most_common(12), "pyc": pyc, "py": py, "all": sum(sizes.values())})
"""


def sh(*args: str, check: bool = True, capture: bool = True) -> str:
    done = subprocess.run(args, capture_output=capture, text=True, check=False)
    if check and done.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{(done.stderr or '')[-3000:]}")
    return done.stdout if capture else ""


def constraints(python: str, airflow: str, folder: Path) -> Path:
    out = folder / f"constraints-{airflow}" / f"constraints-{python}.txt"
    folder.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        print(f"generating constraints for Python {python} …", file=sys.stderr)
        subprocess.run(
            [
                str(REPO / ".venv/bin/hangar"),
                "constraints",
                "generate",
                "--airflow-version",
                airflow,
                "--python",
                python,
                "--mode",
                "constraints",
            ],
            cwd=folder,
            check=True,
        )
    return out


def context_with(constraints_file: Path, python: str, folder: Path) -> Path:
    ctx = folder / "context"
    if ctx.exists():
        shutil.rmtree(ctx)
    return copy_build_context(REPO, ctx, files={f"constraints-{python}.txt": constraints_file})


def compressed_size(ref: str) -> int:
    """Sum of the layer sizes in the pushed manifest, as a registry stores them."""
    repo, tag = ref.split("/", 1)[1].rsplit(":", 1)
    accept = (
        "application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,"
        "application/vnd.docker.distribution.manifest.v2+json,"
        "application/vnd.docker.distribution.manifest.list.v2+json"
    )

    def get(reference: str) -> dict:
        req = urllib.request.Request(
            f"http://{REGISTRY}/v2/{repo}/manifests/{reference}", headers={"Accept": accept}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 -- http URL built above
            return json.load(resp)

    manifest = get(tag)
    if "manifests" in manifest:  # an index: take the image manifest for this platform
        image = next(
            m
            for m in manifest["manifests"]
            if m.get("platform", {}).get("architecture") not in (None, "unknown")
        )
        manifest = get(image["digest"])
    return sum(layer["size"] for layer in manifest["layers"])


def disk_size(ref: str) -> int:
    out = sh(
        "docker",
        "run",
        "--rm",
        "--network",
        "host",
        "--user",
        "0",
        "--entrypoint",
        "du",
        ref,
        "-sxb",
        "/",
    )
    return int(out.split()[0])


def startup(ref: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        sh("docker", "run", "--rm", "--network", "host", ref, "airflow", "version")
        times.append(time.monotonic() - start)
    return statistics.median(times)


def build(
    ctx: Path,
    python: str,
    tag: str,
    args: dict[str, str],
    *,
    cold: bool = True,
    push: bool = False,
    load_compression: str | None = None,
) -> float:
    """Loaded with `load_compression` (None: buildx's --load, gzip, as the official image's own
    build does); pushed with gzip (forced, so every variant's pushed size is comparable).
    """
    if cold:
        sh("docker", "buildx", "prune", "-af")
    if push:
        output = ["--output", "type=image,push=true,compression=gzip,force-compression=true"]
    elif load_compression:
        output = ["--output", f"type=docker,compression={load_compression}"]
    else:
        output = ["--load"]
    cmd = [
        "docker",
        "buildx",
        "build",
        "--network",
        "host",
        "--progress",
        "plain",
        *output,
        "--secret",
        f"id=ca-bundle,src={CA}",
        "-t",
        tag,
        "--build-arg",
        f"PYTHON_MAJOR_MINOR_VERSION={python}",
        "--build-arg",
        f"PYTHON_BASE_IMAGE={BASES[python]}",
    ]
    # as hangar does for a build with nothing for the runtime-packages step to install
    for key, value in {"RUNTIME_PACKAGES_STEP": "skip", **args}.items():
        cmd += ["--build-arg", f"{key}={value}"]
    start = time.monotonic()
    done = subprocess.run([*cmd, str(ctx)], capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"build {tag} failed:\n{done.stderr[-3000:]}")
    return elapsed


def breakdown(ref: str, python: str) -> dict:
    site = f"/home/airflow/.local/lib/python{python}/site-packages"
    out = sh("docker", "run", "--rm", "--network", "none", "--entrypoint", "python", ref,
             "-c", BREAKDOWN, site)  # fmt: skip
    return ast.literal_eval(out.strip().splitlines()[-1])


def ratio(value: float, base: float | None) -> str:
    return f" {value / base:5.2f}x" if base else " " * 7


def against(row: dict, rows: list[dict], first: str) -> dict | None:
    """The row `row` is compared with: official-way of its Python, else the same variant of the
    first Python; None for those rows themselves.
    """
    for candidate in (
        next((r for r in rows if r["variant"] == "official-way" and r["python"] == row["python"]),
             None),
        next((r for r in rows if r["variant"] == row["variant"] and r["python"] == first), None),
    ):  # fmt: skip
        if candidate is not None and candidate is not row:
            return candidate
    return None


def table(what: str, rows: list[dict]) -> str:
    lines = [f"\n{what}"]
    lines.append(
        f"{'variant':<24} {'build':>13} {'on disk':>16} {'pushed':>15} {'airflow version':>17}"
    )
    first = rows[0]["python"] if rows else ""
    for row in rows:
        b = against(row, rows, first)

        def cell(key: str, scale: float, unit: str, width: int, digits: int) -> str:
            value = row[key] / scale  # noqa: B023 -- used at once, in this iteration
            against = b[key] if b else None  # noqa: B023
            return f" {value:>{width}.{digits}f}{unit}{ratio(row[key], against)}"  # noqa: B023

        lines.append(
            f"{row['variant'] + ' python' + row['python']:<24}"
            + cell("build_s", 1, "s", 6, 0)
            + cell("disk_bytes", 1e6, "MB", 8, 0)
            + cell("pushed_bytes", 1e6, "MB", 7, 0)
            + cell("start_s", 1, "s", 9, 2)
        )
    for row in rows:
        site = row["site_packages"]
        tops = ", ".join(f"{name} {size / 1e6:.0f}" for name, size in site["top"])
        lines.append(
            f"\n{row['variant']} python{row['python']}: site-packages {site['all'] / 1e6:.0f} MB,"
            " of which bytecode "
            f"{site['pyc'] / 1e6:.0f} MB and source {site['py'] / 1e6:.0f} MB; largest (MB): {tops}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default="3.13", help=f"one or more of {', '.join(BASES)}")
    parser.add_argument("--airflow-version", default="3.3.2")
    parser.add_argument("--extras", default=None, help="AIRFLOW_EXTRAS (default: the Dockerfile's)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    opts = parser.parse_args()

    pythons = [p.strip() for p in opts.python.split(",") if p.strip()]
    unknown = [p for p in pythons if p not in BASES]
    if unknown:
        parser.error(f"no base for Python {', '.join(unknown)} (known: {', '.join(BASES)})")
    work = Path(tempfile.mkdtemp(prefix="hangar-bench-"))
    rows = []
    for python in pythons:
        cons = constraints(python, opts.airflow_version, REPO / ".hangar" / "bench")
        ctx = context_with(cons, python, work / python)
        debian = BASES[python].rsplit("-", 1)[1]
        for name in opts.variants.split(","):
            args = dict(VARIANTS[name])
            if opts.extras is not None:
                args["AIRFLOW_EXTRAS"] = opts.extras
            if name in OFFICIAL_WAY:
                args["RUNTIME_APT_DEPS"] = f"{OFFICIAL_RUNTIME_COMMON} {OFFICIAL_RUNTIME[debian]}"
            tag = f"{REGISTRY}/hangar-bench:{name}-python{python}"
            print(f"building {name} for Python {python} cold …", file=sys.stderr)
            # hangar's variants loaded as `hangar image build` loads (zstd), the others as buildx
            load = None if name in OFFICIAL_WAY else "zstd"
            seconds = build(ctx, python, tag, args, load_compression=load)
            # for the compressed size, every variant is pushed (from the warm cache)
            build(ctx, python, tag, args, cold=False, push=True)
            rows.append(
                {
                    "variant": name,
                    "python": python,
                    "base": BASES[python],
                    "build_s": round(seconds, 1),
                    "disk_bytes": disk_size(tag),
                    "pushed_bytes": compressed_size(tag),
                    "start_s": round(startup(tag), 2),
                    "site_packages": breakdown(tag, python),
                }
            )

    what = (
        f"Cold builds, Python {', '.join(pythons)}, Airflow {opts.airflow_version}, "
        f"extras: {opts.extras or 'Dockerfile default'}; ratios against official-way of the "
        f"same Python, else the same variant on Python {pythons[0]}"
    )
    print(table(what, rows))
    if opts.json is not None:
        opts.json.write_text(json.dumps({"what": what, "rows": rows}, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
