"""The check `hangar image build --additional-python-deps` runs before building: the extra
requirements resolved against what the build would install without them (Airflow and its
providers held, the build's constraints, its Python and platform), so a requirement that
would move Airflow or a provider stops the build in seconds, not after it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hangar.app import App
from hangar.cli import render
from hangar.cli.builds import build_world
from hangar.cli.image.check_requirements import raise_for, show
from hangar.config import Config
from hangar.constraints.files import ChangeKind
from hangar.constraints.resolve import DEFAULT_INDEX_URL
from hangar.image.building.plan import constraints_file_needed
from hangar.image.building.request import Build
from hangar.image.inspecting.requirements import (
    build_installed,
    check_requirements,
    parse_requirements,
    uv_platform,
)
from hangar.ports import ConstraintsSource

CONTEXT_FILES = "docker-context-files"


def check_additional_deps(app: App, config: Config, build: Build) -> None:
    """Stop (exit 6 or 1, with the table) before building when the additional Python
    requirements would move something the build installs; a note per Python otherwise.
    """
    request = build.request
    if not request.additional_python_deps:
        return
    if request.installation_method not in (None, "apache-airflow"):
        render.note(
            "additional Python deps not checked before the build: Airflow is not from the index"
        )
        return
    requirements = parse_requirements(
        request.additional_python_deps, origin="--additional-python-deps"
    )
    world = build_world(app, build, config)
    resolver = app.resolver()
    index_url = build.index_url or DEFAULT_INDEX_URL
    platform = uv_platform(build.platforms[0].split("/")[1])
    for python in build.pythons:
        installed = build_installed(
            resolver,
            airflow_version=build.airflow_version,
            extras=build.extras,
            python=python,
            platform=platform,
            constraints=_constraints(build, world.constraints, python),
            index_url=index_url,
            cache_dir=app.cwd / config["cache_dir"] / "preflight",
        )
        report = check_requirements(installed, requirements, resolver=resolver, index_url=index_url)
        if not report.ok:
            show(report, "text")
            raise_for(report, accept="; or build anyway with --allow-upgrades")
        added = [f"{c.name} {c.new}" for c in report.changes if c.kind is ChangeKind.ADDED]
        render.note(
            f"{python}: --additional-python-deps add {', '.join(added) or 'nothing new'}; "
            "nothing Airflow installs moves"
        )


def _constraints(build: Build, source: ConstraintsSource, python: str) -> str:
    """The text of the constraints the build will use for `python` ("" when it uses none)."""
    request = build.request
    mode = constraints_file_needed(request)
    if mode is not None:
        with tempfile.TemporaryDirectory(prefix="hangar-preflight-") as tmp:
            target = Path(tmp) / f"{mode}-{python}.txt"
            source.provide(
                airflow_version=build.airflow_version,
                python=python,
                extras=build.extras,
                mode=mode,
                target=target,
            )
            return target.read_text()
    location = request.constraints_location or ""
    if location in ("", "none") or "://" in location or location.startswith("/"):
        return ""  # none, a URL the build downloads itself, or a path inside the build
    path = request.context / CONTEXT_FILES / location.removeprefix(f"{CONTEXT_FILES}/")
    return path.read_text() if path.is_file() else ""
