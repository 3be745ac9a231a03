"""Constraints generation time per Python version: hangar (uv) vs pip, side by side.

    python bench/constraints.py [--airflow-version 3.3.2] [--python 3.11 --python 3.13]
                                [--pip /path/to/pip] [--pip-timeout 900] [--skip-pip]
                                [--no-warm-up] [--json FILE]

Both resolve the full `constraints` mode (`apache-airflow[all]==V`) for linux x86_64 and the
given Python version, against https://pypi.org/simple only (pip with --isolated and
PIP_CONFIG_FILE=/dev/null), as the index stood at the release's cut-off. First an unmeasured
run of all the Python versions warms the index (a mirror's first fetch from upstream costs
more than anything measured). Each tool then starts from an empty cache for its first Python
version and keeps it for the next ones; hangar is also timed for all Python versions in one
parallel run from an empty cache. Every hangar run's CPU time is printed too: an index that
sends no cache headers is fetched and parsed again by every resolution. pip needs 25.3+
(`--uploaded-prior-to`); the script makes a venv with the newest pip when --pip is not given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hangar.constraints.cache import release_cutoff
from hangar.constraints.resolve import DEFAULT_INDEX_URL, format_time
from hangar.infra.index import SimpleIndex
from hangar.values import SUPPORTED_PYTHONS

PIP_PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
    "linux_x86_64",
)
HANGAR = [sys.executable, "-c", "from hangar.cli.main import main; main()"]


def timed(args: list[str], env: dict[str, str], timeout: float) -> tuple[float, str]:
    started = time.monotonic()
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.monotonic() - started, f"timed out after {timeout:.0f}s"
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
        return elapsed, f"failed: {tail[0][:90]}"
    return elapsed, "ok"


def hangar_run(
    pythons: list[str], version: str, cutoff: str, cache: Path, out: Path
) -> tuple[float, str]:
    env = {**os.environ, "UV_CACHE_DIR": str(cache)}
    args = [
        *HANGAR,
        "constraints",
        "generate",
        "--airflow-version",
        version,
        "--mode",
        "constraints",
        "--exclude-newer",
        cutoff,
        "--output-dir",
        str(out),
    ]
    for python in pythons:
        args += ["--python", python]
    elapsed, status = timed(args, env, 1800)
    if status == "ok":
        files = [out / f"constraints-{version}" / f"constraints-{p}.txt" for p in pythons]
        pins = [
            sum(1 for ln in f.read_text().splitlines() if not ln.startswith("#")) for f in files
        ]
        status = f"ok, {'/'.join(map(str, pins))} pins"
    return elapsed, status


def pip_run(
    pip: str, python: str, version: str, cutoff: str, cache: Path, timeout: float, work: Path
) -> tuple[float, str]:
    report = work / f"pip-report-{python}.json"
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    args = [
        pip,
        "install",
        "--isolated",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        str(report),
        "--cache-dir",
        str(cache),
        "--index-url",
        DEFAULT_INDEX_URL,
        "--python-version",
        python,
        "--only-binary=:all:",
        "--uploaded-prior-to",
        cutoff,
        "--target",
        str(work / "pip-target"),
    ]
    for platform in PIP_PLATFORMS:
        args += ["--platform", platform]
    args.append(f"apache-airflow[all]=={version}")
    elapsed, status = timed(args, env, timeout)
    note = ""
    if "does not provide upload-time metadata" in status:
        # pip reads upload times only from the JSON simple API; an HTML-only mirror has none
        cut = args.index("--uploaded-prior-to")
        elapsed, status = timed(args[:cut] + args[cut + 2 :], env, timeout)
        note = " (no cut-off: index gives pip no upload times)"
    if status == "ok":
        status = f"ok, {len(json.loads(report.read_text())['install'])} packages"
    status += note
    return elapsed, status


def newest_pip(work: Path) -> str:
    venv = work / "pip-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-U", "pip"], check=True)
    return str(venv / "bin" / "pip")


def cpu_seconds() -> float:
    """User and system time of the children that ended so far (uv runs inside hangar's)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow-version", default="3.3.2")
    parser.add_argument("--python", action="append", dest="pythons")
    parser.add_argument("--pip", help="a pip 25.3+ executable (default: a fresh venv's newest)")
    parser.add_argument("--pip-timeout", type=float, default=900)
    parser.add_argument("--skip-pip", action="store_true")
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="skip the first, unmeasured resolution that warms the index (a mirror fetches "
        "what it has not seen from upstream, which takes longer than anything measured here)",
    )
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    opts = parser.parse_args()
    pythons = opts.pythons or list(SUPPORTED_PYTHONS)
    cutoff = format_time(
        release_cutoff(SimpleIndex(index_url=DEFAULT_INDEX_URL), opts.airflow_version)
    )
    rows: list[tuple[str, str, str]] = []
    measured: dict[str, dict[str, object]] = {}

    def hangar_timed(key: str, pythons_: list[str], cache: Path, out: Path) -> tuple[float, str]:
        cpu = cpu_seconds()
        elapsed, status = hangar_run(pythons_, opts.airflow_version, cutoff, cache, out)
        measured[key] = {
            "seconds": round(elapsed, 1),
            "cpu_seconds": round(cpu_seconds() - cpu, 1),
            "status": status,
        }
        print(f"hangar {key}: {elapsed:.1f}s", file=sys.stderr)
        return elapsed, status

    with tempfile.TemporaryDirectory(prefix="hangar-bench-") as tmp:
        work = Path(tmp)
        print(
            f"apache-airflow[all]=={opts.airflow_version}, cut-off {cutoff}, {os.cpu_count()} CPUs",
            file=sys.stderr,
        )
        if not opts.no_warm_up:
            hangar_timed("warm-up", pythons, work / "uv-cache-warm-up", work / "out-warm-up")
        cache = work / "uv-cache"
        hangar_times = {
            python: hangar_timed(python, [python], cache, work / f"out-{python}")
            for python in pythons
        }
        together = hangar_timed("together", pythons, work / "uv-cache-all", work / "out-all")
        pip_times: dict[str, tuple[float, str]] = {}
        if not opts.skip_pip:
            pip = opts.pip or newest_pip(work)
            for python in pythons:
                pip_times[python] = pip_run(
                    pip,
                    python,
                    opts.airflow_version,
                    cutoff,
                    work / "pip-cache",
                    opts.pip_timeout,
                    work,
                )
                print(f"pip {python}: {pip_times[python][0]:.1f}s", file=sys.stderr)
        for index, python in enumerate(pythons):
            cache_state = "empty" if index == 0 else "shared"
            h = hangar_times[python]
            p = pip_times.get(python)
            rows.append(
                (
                    f"{python} ({cache_state} cache)",
                    f"{h[0]:7.1f}s  {h[1]}",
                    f"{p[0]:7.1f}s  {p[1]}" if p else "skipped",
                )
            )
        slowest = max(t for t, _ in hangar_times.values())
        rows.append(
            (
                f"all {len(pythons)} at once (empty cache)",
                (
                    f"{together[0]:7.1f}s  {together[1]} "
                    f"({together[0] / slowest:.2f}x the slowest one)"
                ),
                f"{sum(t for t, _ in pip_times.values()):7.1f}s  (sequential sum)"
                if pip_times
                else "skipped",
            )
        )
    widths = [max(len(r[i]) for r in [*rows, ("Python", "hangar (uv)", "pip")]) for i in range(3)]
    for row in [("Python", "hangar (uv)", "pip"), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    cpu = ", ".join(f"{key} {m['cpu_seconds']}s" for key, m in measured.items())
    print(f"CPU time (user + system) of each run: {cpu}")
    if opts.json is not None:
        document = {
            "airflow_version": opts.airflow_version,
            "cutoff": cutoff,
            "cpus": os.cpu_count(),
            "hangar": measured,
            "together_vs_slowest": round(together[0] / slowest, 2),
            "pip": {p: {"seconds": round(t, 1), "status": st} for p, (t, st) in pip_times.items()},
        }
        opts.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
