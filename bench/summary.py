#!/usr/bin/env python3
"""Every speed and size figure of the image in one table, with the goal each is held to.

Runs, one after the other (never two builds at once):
  bench/image.py        cold builds of hangar-uv, hangar-pip, official-way and pip-bytecode:
                        build time, size on disk, pushed (compressed) size, `airflow version`
  bench/rebuild.py      the default image cold, warm, with one runtime package added, with one
                        Python dependency added, and from the registry cache on an emptied
                        builder
  bench/constraints.py  full-mode constraints for each supported Python, then all together

each writing its JSON into --work DIR; then prints one table (hangar-uv against the bench's
official-way variant: pip, no bytecode, nothing trimmed) and writes everything with --json.
A part whose JSON is already in --work DIR is not run again with --reuse.

    .venv/bin/python bench/summary.py [--python 3.13] [--work DIR] [--reuse] [--json FILE]
                                      [--skip image,rebuild,constraints] [--variants A,B]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PARTS = ("image", "rebuild", "constraints")


@dataclass(frozen=True)
class Row:
    measure: str
    hangar: float | None
    official: float | None
    unit: str
    goal: str
    met: bool | None


def dockerfile_extras() -> str:
    match = re.search(
        r'^ARG AIRFLOW_EXTRAS="([^"]*)"', (REPO / "Dockerfile").read_text(), re.MULTILINE
    )
    if match is None:
        raise SystemExit("bench: no AIRFLOW_EXTRAS default in the Dockerfile")
    return match.group(1)


def run_part(name: str, args: list[str], out: Path, *, reuse: bool) -> dict[str, Any]:
    if reuse and out.is_file():
        print(f"bench: {name}: reusing {out}", file=sys.stderr)
        return dict(json.loads(out.read_text()))
    print(f"bench: {name} …", file=sys.stderr)
    started = time.monotonic()
    command = [sys.executable, str(REPO / "bench" / f"{name}.py"), *args, "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, check=False)
    if done.returncode != 0 or not out.is_file():
        raise SystemExit(f"bench: {name}.py failed (exit {done.returncode}); see its output above")
    print(f"bench: {name} took {time.monotonic() - started:.0f}s", file=sys.stderr)
    return dict(json.loads(out.read_text()))


def rows_of(parts: dict[str, dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    image = parts.get("image")
    if image is not None:
        variants = {r["variant"]: r for r in image["rows"]}
        ours, theirs = variants.get("hangar-uv"), variants.get("official-way")

        def pair(key: str, scale: float) -> tuple[float | None, float | None]:
            return (
                ours[key] / scale if ours else None,
                theirs[key] / scale if theirs else None,
            )

        def within(
            values: tuple[float | None, float | None], test: Callable[[float, float], bool]
        ) -> bool | None:
            a, b = values
            return None if a is None or b is None else test(a, b)

        build = pair("build_s", 1)
        rows.append(
            Row(
                "cold build, emptied builder",
                *build,
                "s",
                "< 120 s and < 0.5x",
                within(build, lambda a, b: a < 120 and a < 0.5 * b),
            )
        )
        disk = pair("disk_bytes", 1e6)
        rows.append(
            Row("size on disk (du -sxb /)", *disk, "MB", "<= 0.8x", within(disk, _at_most(0.8)))
        )
        pushed = pair("pushed_bytes", 1e6)
        rows.append(
            Row("pushed, gzip layers", *pushed, "MB", "<= 0.8x", within(pushed, _at_most(0.8)))
        )
        start = pair("start_s", 1)
        rows.append(
            Row(
                "`airflow version`, fresh container",
                *start,
                "s",
                "< 1.5 s and <= 1/3x",
                within(start, lambda a, b: a < 1.5 and a <= b / 3),
            )
        )
    rebuild = parts.get("rebuild")
    if rebuild is not None:
        runs = {r["run"]: r for r in rebuild["rows"]}
        for run, what, name in (
            ("one_dependency", "dependency", rebuild["dependency"]),
            ("one_runtime_package", "runtime package", rebuild["runtime_package"]),
        ):
            seconds = runs[run]["seconds"]
            rows.append(
                Row(
                    f"rebuild, one {what} added ({name})",
                    seconds,
                    None,
                    "s",
                    "< 20 s",
                    seconds < 20,
                )
            )
        rows.append(Row("rebuild, nothing changed", runs["warm"]["seconds"], None, "s", "", None))
        rows.append(
            Row(
                "rebuild, registry cache on an emptied builder",
                runs["registry_cache"]["seconds"],
                None,
                "s",
                "",
                None,
            )
        )
    constraints = parts.get("constraints")
    if constraints is not None:
        measured = constraints["hangar"]
        singles = {k: v for k, v in measured.items() if k not in ("warm-up", "together")}
        slowest = max(v["seconds"] for v in singles.values())
        together = measured["together"]["seconds"]
        rows.append(
            Row(
                "constraints, slowest single Python",
                slowest,
                None,
                "s",
                "< 60 s",
                slowest < 60,
            )
        )
        rows.append(
            Row(
                f"constraints, all {len(singles)} Pythons together",
                together,
                None,
                "s",
                f"<= 1.3x one ({together / slowest:.2f}x)",
                together <= 1.3 * slowest,
            )
        )
    return rows


def _at_most(limit: float) -> Callable[[float, float], bool]:
    return lambda a, b: a <= limit * b


def table(rows: list[Row]) -> str:
    def number(value: float | None, unit: str) -> str:
        if value is None:
            return "-"
        return f"{value:,.2f} {unit}" if unit == "s" and value < 10 else f"{value:,.0f} {unit}"

    cells = [("measure", "hangar", "official-way", "ratio", "goal", "met")]
    for row in rows:
        ratio = f"{row.hangar / row.official:.2f}x" if row.hangar and row.official else "-"
        met = "-" if row.met is None else ("yes" if row.met else "NO")
        cells.append(
            (
                row.measure,
                number(row.hangar, row.unit),
                number(row.official, row.unit),
                ratio,
                row.goal,
                met,
            )
        )
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i in (0, 4) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(c, widths, strict=True))
        )
        for c in cells
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--airflow-version", default="3.3.2")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--reuse", action="store_true", help="Keep the parts already measured.")
    parser.add_argument("--skip", default="", help=f"Parts not to run, of {','.join(PARTS)}.")
    parser.add_argument(
        "--variants",
        default="hangar-uv,official-way,pip-bytecode",
        help="bench/image.py's variants (hangar-uv and official-way are the table's columns)",
    )
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    opts = parser.parse_args()
    skipped = {p for p in opts.skip.split(",") if p}
    if skipped - set(PARTS):
        raise SystemExit(f"bench: --skip takes {', '.join(PARTS)}")
    opts.work.mkdir(parents=True, exist_ok=True)
    extras = dockerfile_extras()
    version = ["--airflow-version", opts.airflow_version]
    arguments = {
        "image": [
            "--python",
            opts.python,
            *version,
            "--extras",
            extras,
            "--variants",
            opts.variants,
        ],
        "rebuild": ["--python", opts.python, "--default-extras"],
        "constraints": [*version, "--skip-pip"],
    }
    parts = {
        name: run_part(name, arguments[name], opts.work / f"{name}.json", reuse=opts.reuse)
        for name in PARTS
        if name not in skipped
    }
    what = (
        f"Airflow {opts.airflow_version}, Python {opts.python}, the Dockerfile's default extras "
        f"({len(extras.split(','))}: {extras}); constraints: apache-airflow[all] for every "
        "supported Python"
    )
    rows = rows_of(parts)
    print(f"\n{what}\n\n{table(rows)}")
    if opts.json is not None:
        document = {"what": what, "rows": [row.__dict__ for row in rows], "parts": parts}
        opts.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
