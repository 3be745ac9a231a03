"""Quick-start benchmark: seconds from `docker compose up` to each service healthy (and to all
of them), then the memory each service uses at rest, printed as a table.

    .venv/bin/python bench/quickstart.py --image IMAGE [--hostnet] [--settle 60]

With --hostnet (hangar's own machines) it uses docker-compose.hostnet.yaml, a fresh database
on the loopback PostgreSQL and a spare Redis database number, so nothing is shared. The
project runs in a temporary copy of quickstart/ and is removed at the end (down --volumes).
Results also go to bench/results/quickstart-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from hangar.quickstart.state import INIT_SERVICE, SERVICES, parse_ps

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://airflow:airflow@127.0.0.1:5432/postgres"
UNITS = {
    "B": 1,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "kB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
}


def mib(usage: str) -> float:
    """'271.4MiB / 23.54GiB' -> 271.4"""
    value = usage.split("/", maxsplit=1)[0].strip()
    for unit in sorted(UNITS, key=len, reverse=True):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * UNITS[unit] / 1024**2
    return float(value) / 1024**2


def compose_base(directory: Path, project: str, *, hostnet: bool) -> list[str]:
    files = ["-f", str(directory / "docker-compose.yaml")]
    if hostnet:
        files += ["-f", str(directory / "docker-compose.hostnet.yaml")]
    return ["docker", "compose", "--project-directory", str(directory), *files, "-p", project]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, help="image to run (AIRFLOW_IMAGE_NAME)")
    parser.add_argument("--hostnet", action="store_true", help="use the host-network override")
    parser.add_argument("--settle", type=float, default=60, help="seconds at rest before measuring")
    parser.add_argument("--samples", type=int, default=3, help="memory samples, 10 s apart")
    parser.add_argument("--timeout", type=float, default=900, help="bound on reaching healthy")
    args = parser.parse_args()

    suffix = uuid.uuid4().hex[:8]
    project, database = f"hangar-qs-bench-{suffix}", f"hangar_qs_bench_{suffix}"
    directory = Path(tempfile.mkdtemp(prefix="hangar-qs-bench-"))
    for name in ("docker-compose.yaml", "docker-compose.hostnet.yaml"):
        shutil.copy2(REPO / "quickstart" / name, directory / name)
    shutil.copytree(REPO / "quickstart" / "dags", directory / "dags")
    env = [f"AIRFLOW_IMAGE_NAME={args.image}", "AIRFLOW_UID=50000"]
    if args.hostnet:
        subprocess.run(["psql", PG_ADMIN_URL, "-qc", f"CREATE DATABASE {database}"], check=True)
        env += [
            f"QUICKSTART_DB_URL=postgresql+psycopg2://airflow:airflow@127.0.0.1:5432/{database}",
            f"QUICKSTART_BROKER_URL=redis://127.0.0.1:6379/{int(suffix, 16) % 8 + 8}",
        ]
    (directory / ".env").write_text("\n".join(env) + "\n")
    compose = compose_base(directory, project, hostnet=args.hostnet)

    healthy_at: dict[str, float] = {}
    up_errors: list[str] = []
    done = threading.Event()
    start = time.monotonic()

    def up() -> None:
        result = subprocess.run(
            ["timeout", str(int(args.timeout) + 30), *compose, "up", "-d", "--wait",
             "--wait-timeout", str(int(args.timeout))],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode:
            up_errors.append(result.stderr[-2000:])
        done.set()

    thread = threading.Thread(target=up)
    thread.start()
    try:
        while not done.is_set() or len(healthy_at) < len(SERVICES) + 1:
            ps = subprocess.run([*compose, "ps", "--all", "--format", "json"],
                                capture_output=True, text=True, check=False)  # fmt: skip
            now = time.monotonic() - start
            for state in parse_ps(ps.stdout):
                ok = (state.service == INIT_SERVICE and state.state == "exited"
                      and state.exit_code == 0) or state.health == "healthy"  # fmt: skip
                if ok and state.service not in healthy_at:
                    healthy_at[state.service] = now
            if done.is_set() or now > args.timeout + 60:
                break
            time.sleep(1)
        thread.join()
        all_healthy = time.monotonic() - start
        missing = [s for s in (*SERVICES, INIT_SERVICE) if s not in healthy_at]
        if missing:
            print(f"not healthy within {args.timeout:.0f} s: {', '.join(missing)}", file=sys.stderr)
            print("".join(up_errors), file=sys.stderr)
            return 1

        time.sleep(args.settle)
        samples: dict[str, list[float]] = {}
        listing = [*compose, "ps", "--format", "{{.Name}} {{.Service}}"]
        names = subprocess.run(listing, capture_output=True, text=True, check=True).stdout
        service_of = dict(line.split() for line in names.splitlines() if line.strip())
        for i in range(args.samples):
            stats = subprocess.run(
                ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}",
                 *service_of],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            for line in stats.splitlines():
                name, usage = line.split(" ", 1)
                samples.setdefault(service_of[name], []).append(mib(usage))
            if i + 1 < args.samples:
                time.sleep(10)
    finally:
        subprocess.run([*compose, "down", "--volumes", "--remove-orphans", "--timeout", "30"],
                       capture_output=True, check=False)  # fmt: skip
        if args.hostnet:
            drop = f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"
            subprocess.run(["psql", PG_ADMIN_URL, "-qc", drop], check=False)
        shutil.rmtree(directory, ignore_errors=True)

    rows = [
        (s, healthy_at[s], statistics.mean(samples[s]) if s in samples else None)
        for s in (INIT_SERVICE, *SERVICES)
    ]
    note = "(stand-in: the host's service)" if args.hostnet else ""
    print(f"{'service':<24}{'healthy after (s)':>18}{'memory at rest (MiB)':>22}")
    for service, seconds, memory in rows:
        shown = "-" if memory is None else f"{memory:.0f}"
        label = "(done)" if service == INIT_SERVICE else ""
        suffix_note = note if service in ("postgres", "redis") else label
        print(f"{service:<24}{seconds:>18.0f}{shown:>22}  {suffix_note}".rstrip())
    total = sum(m for _, _, m in rows if m is not None)
    print(f"{'all services healthy':<24}{all_healthy:>18.0f}{total:>22.0f}  (total)")

    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"quickstart-{stamp}.json").write_text(json.dumps({
        "image": args.image, "hostnet": args.hostnet, "all_healthy_s": all_healthy,
        "services": {s: {"healthy_s": h, "memory_mib": m} for s, h, m in rows},
    }, indent=2) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
