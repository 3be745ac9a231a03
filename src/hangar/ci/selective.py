"""Selective checks: from the event and the changed files, decide which Python versions,
which images and which tests a CI run needs, and whether constraints are upgraded and pushed.
Pure: the caller lists the changed files (git) and reads the config.

The outputs are strings (GitHub job outputs are): "true"/"false", and JSON for lists.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from dataclasses import dataclass

from hangar.errors import BadInput

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
MAIN_LINE_EVENTS = ("push", "schedule", "workflow_dispatch")
EVENTS = (*PULL_REQUEST_EVENTS, *MAIN_LINE_EVENTS)

# (category, patterns), first match wins; a file matching none is "other" (treated as code)
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ci", (".github/*", "src/hangar/ci/flows.py", "src/hangar/ci/workflows.py")),
    ("setup", ("pyproject.toml", "hangar.toml", "uv.lock")),
    (
        "image",
        ("Dockerfile", ".dockerignore", "scripts/docker/*", "docker-context-files/*", "empty/*"),
    ),
    ("dags", ("dags/*", "tests/image/dags/*")),
    ("docs", ("*.md", "*.rst", "docs/*", "LICENSE", "NOTICE", ".gitignore")),
    ("code", ("src/*", "tests/*", "scripts/*", "bench/*", "Makefile")),
)


@dataclass(frozen=True, kw_only=True)
class SelectiveInput:
    event: str
    changed_files: tuple[str, ...] | None  # None: unknown (no base commit), treat as all
    pythons: tuple[str, ...]  # the configured set (the full matrix)
    default_python: str
    airflow_version: str
    upgrade_cutoff: str  # RFC 3339, the `--exclude-newer` of upgraded constraints
    python_override: tuple[str, ...] = ()  # `--python`: replaces the decided versions


@dataclass(frozen=True, kw_only=True)
class Decision:
    event: str
    python_versions: tuple[str, ...]
    default_python: str
    airflow_version: str
    upgrade_cutoff: str
    ci_image: bool
    prod_image: bool
    run_tests: bool
    upgrade_constraints: bool
    push_constraints: bool
    push_latest: bool
    full_matrix: bool
    docs_only: bool
    categories: tuple[str, ...]
    reasons: tuple[str, ...]

    def outputs(self) -> dict[str, str]:
        """The job outputs, as GitHub and `hangar ci run` read them (sorted keys)."""
        flags = {
            "ci-image": self.ci_image,
            "prod-image": self.prod_image,
            "run-tests": self.run_tests,
            "upgrade-constraints": self.upgrade_constraints,
            "push-constraints": self.push_constraints,
            "push-latest": self.push_latest,
            "full-matrix": self.full_matrix,
            "docs-only": self.docs_only,
        }
        values = {k: "true" if v else "false" for k, v in flags.items()}
        values.update(
            {
                "python-versions": json.dumps(list(self.python_versions)),
                "default-python": self.default_python,
                "airflow-version": self.airflow_version,
                "upgrade-cutoff": self.upgrade_cutoff,
            }
        )
        return dict(sorted(values.items()))


OUTPUT_KEYS = (
    "airflow-version",
    "ci-image",
    "default-python",
    "docs-only",
    "full-matrix",
    "prod-image",
    "push-constraints",
    "push-latest",
    "python-versions",
    "run-tests",
    "upgrade-constraints",
    "upgrade-cutoff",
)


def category(path: str) -> str:
    for name, patterns in CATEGORIES:
        if any(fnmatch.fnmatchcase(path, p) for p in patterns):
            return name
    return "other"


def decide(given: SelectiveInput) -> Decision:
    if given.event not in EVENTS:
        raise BadInput(f"unknown event {given.event!r}", hint=f"use one of {', '.join(EVENTS)}")
    main_line = given.event in MAIN_LINE_EVENTS
    reasons: list[str] = []
    if given.changed_files is None:
        categories: set[str] = {"unknown"}
        reasons.append("changed files unknown: everything runs")
    else:
        categories = {category(path) for path in given.changed_files}
    if main_line:
        reasons.append(f"{given.event}: all images, all tests, full matrix, upgrade")
    everything = main_line or bool(categories & {"unknown", "ci", "setup"})
    docs_only = not main_line and categories <= {"docs"}
    images = everything or bool(categories & {"image", "dags", "code", "other"})
    prod = everything or bool(categories & {"image", "code", "other"})
    full = everything or "image" in categories
    upgrade = main_line or bool(categories & {"setup", "unknown"})
    if not main_line:
        reasons.extend(f"{name} files changed" for name in sorted(categories))
        if docs_only:
            reasons.append("only documentation changed: no images, no tests")
    pythons = given.pythons if full else (given.default_python,)
    if given.python_override:
        pythons = given.python_override
        reasons.append(f"Python versions given: {', '.join(pythons)}")
    return Decision(
        event=given.event,
        python_versions=tuple(pythons),
        default_python=given.default_python,
        airflow_version=given.airflow_version,
        upgrade_cutoff=given.upgrade_cutoff,
        ci_image=images,
        prod_image=prod,
        run_tests=images,
        upgrade_constraints=upgrade,
        push_constraints=main_line,
        push_latest=main_line,
        full_matrix=full,
        docs_only=docs_only,
        categories=tuple(sorted(categories)),
        reasons=tuple(reasons),
    )


def github_output(decision: Decision) -> str:
    """The `key=value` lines appended to $GITHUB_OUTPUT."""
    return "".join(f"{k}={v}\n" for k, v in decision.outputs().items())


def changed_from_lines(lines: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({line.strip() for line in lines if line.strip()}))
