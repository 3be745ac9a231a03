"""Options shared by `hangar image build` and `hangar cache refresh`, the BuildRequest they
turn into, and the dependencies (runner, engine, probes, clock) a build command uses, which
tests replace through click's `obj`."""

from __future__ import annotations

import datetime as dt
import os
import platform as platform_mod
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import rich_click as click

from hangar import config as config_mod
from hangar.config import Config
from hangar.errors import NotFound
from hangar.image.plan import CONSTRAINTS_MODES, BuildRequest, Stamp, parse_build_arg
from hangar.infra.build_inputs import DockerImageProbe, GeneratedConstraints, git_head
from hangar.infra.docker import DockerEngine
from hangar.infra.process import DryRunRunner, SubprocessRunner
from hangar.ports import ConstraintsSource, ImageProbe, Runner

F = TypeVar("F", bound=Callable[..., Any])
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True, kw_only=True)
class Deps:
    """The outside world of a build command. The default is the real one; tests pass their own
    as `obj` to click's CliRunner."""

    runner: Runner = field(default_factory=SubprocessRunner)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    probe: Callable[[Runner], ImageProbe] = field(default=lambda r: DockerImageProbe(runner=r))
    constraints: Callable[[Runner, Path, str | None], ConstraintsSource] = field(
        default=lambda r, cache, index: GeneratedConstraints(
            runner=r, cache_dir=cache, index_url=index
        )
    )
    host_platform: str = field(
        default_factory=lambda: (
            f"linux/{_MACHINES.get(platform_mod.machine(), platform_mod.machine())}"
        )
    )

    def config(self, options: Mapping[str, str | None] | None = None) -> Config:
        return config_mod.load(self.cwd, self.environ, options or {})

    def effective_runner(self, dry_run: bool) -> Runner:
        """Dry run: the same runner for read-only queries, printing everything else."""
        return DryRunRunner(out=sys.stdout, reader=self.runner) if dry_run else self.runner

    def engine(self, runner: Runner, secret_env: Mapping[str, str] | None = None) -> DockerEngine:
        return DockerEngine(runner=runner, secret_env=dict(secret_env or {}))

    def stamp(self, build_id: str | None) -> Stamp:
        now = self.now().astimezone(dt.UTC)
        return Stamp(
            commit_sha=git_head(self.runner, self.cwd),
            date_created=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            build_id=build_id or now.strftime("%Y%m%d%H%M%S"),
        )


def deps() -> Deps:
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Deps) if ctx is not None else None  # tests pass theirs as `obj`
    return found if found is not None else Deps()


def split(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeatable options that also take comma-separated values."""
    return tuple(w.strip() for v in values for w in v.split(",") if w.strip())


def words(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeatable options whose values are space-separated words (packages, requirements)."""
    return tuple(w for v in values for w in v.split())


def _list(values: tuple[str, ...]) -> tuple[str, ...] | None:
    return words(values) if values else None


_COMMON: list[Callable[[F], F]] = [
    click.option(
        "--python",
        "pythons",
        multiple=True,
        metavar="X.Y|all",
        help="Python version (repeatable or comma-separated); `all` for the configured set.",
    ),
    click.option("--airflow-version", help="Airflow version to install (default: config)."),
    click.option(
        "--extras",
        multiple=True,
        help="Airflow extras, REPLACING the default set (comma-separated, repeatable).",
    ),
    click.option("--additional-extras", multiple=True, help="Extras added to the default set."),
    click.option(
        "--additional-python-deps",
        multiple=True,
        help="More requirements, e.g. 'pandas<3' (repeatable).",
    ),
    click.option(
        "--dev-apt-deps", multiple=True, help="Replace the build stage's Debian packages."
    ),
    click.option(
        "--additional-dev-apt-deps", multiple=True, help="Add build stage Debian packages."
    ),
    click.option("--runtime-apt-deps", multiple=True, help="Replace the runtime Debian packages."),
    click.option(
        "--additional-runtime-apt-deps", multiple=True, help="Add runtime Debian packages."
    ),
    click.option(
        "--installation-method",
        metavar="PATH",
        help="Install Airflow from a wheel or source folder in docker-context-files.",
    ),
    click.option(
        "--constraints-location",
        metavar="URL|PATH|none",
        help="Constraints: a URL, a path in docker-context-files, or `none`. "
        "Default: generate them (`hangar constraints`) into docker-context-files.",
    ),
    click.option(
        "--constraints-mode",
        type=click.Choice(CONSTRAINTS_MODES),
        default="constraints",
        show_default=True,
    ),
    click.option(
        "--constraints-reference", help="Git reference of Airflow's published constraints."
    ),
    click.option(
        "--uid", type=click.IntRange(1, 2**31), help="UID of the airflow user (AIRFLOW_UID)."
    ),
    click.option("--home", help="AIRFLOW_HOME inside the image."),
    click.option("--installer", type=click.Choice(["uv", "pip"]), help="Installer (default uv)."),
    click.option(
        "--embedded-dags", metavar="PATH", help="Folder in the context copied to the DAGs folder."
    ),
    click.option(
        "--build-arg",
        "build_args",
        multiple=True,
        metavar="NAME=VALUE",
        help="Any other Dockerfile build arg (repeatable).",
    ),
    click.option(
        "--ca-bundle",
        type=click.Path(dir_okay=False, path_type=Path),
        help="CA bundle for a TLS-intercepting proxy (BuildKit secret `ca-bundle`).",
    ),
    click.option("--index-url", help="Python package index (BuildKit secret; never in a log)."),
    click.option(
        "--extra-index-url", "extra_index_urls", multiple=True, help="More indexes (repeatable)."
    ),
    click.option(
        "--base-image", help="Base image; may hold {python} and {debian}. Default: config."
    ),
    click.option("--platform", help="Target platform(s), comma-separated, e.g. linux/amd64."),
    click.option(
        "--context",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Build context (default: the current folder).",
    ),
    click.option(
        "--parallelism",
        type=click.IntRange(1, 16),
        default=2,
        show_default=True,
        help="Builds run at once.",
    ),
    click.option("--build-id", help="BUILD_ID label (default: the UTC time)."),
    click.option("--dry-run", is_flag=True, help="Print the exact commands; run nothing."),
]


def build_options(func: F) -> F:
    for option in reversed(_COMMON):
        func = option(func)
    return func


def resolve_in_context(context: Path, sub: str, value: str | None, what: str) -> str | None:
    """A path given relative to the context's `sub` folder (or inside it), as the Dockerfile
    reads it; fail with NotFound if it is not there."""
    if value is None or value == "apache-airflow":
        return value
    base = context / sub if sub else context
    candidate = Path(value)
    if candidate.is_absolute() or candidate.exists():
        try:
            candidate = candidate.resolve().relative_to(base.resolve())
        except ValueError as exc:
            raise NotFound(
                f"{what} {value} is not inside {base}", hint=f"put it in {base}"
            ) from exc
    if not (base / candidate).exists():
        raise NotFound(f"{what} {value} not found in {base}", hint=f"put it in {base}")
    return candidate.as_posix()


def request_from(
    options: Mapping[str, Any], *, context: Path, known_args: Mapping[str, str]
) -> BuildRequest:
    ca_bundle: Path | None = options.get("ca_bundle")
    if ca_bundle is not None and not ca_bundle.is_file():
        raise NotFound(f"CA bundle {ca_bundle} not found", hint="give the path of a PEM file")
    return BuildRequest(
        pythons=tuple(options.get("pythons") or ()),
        extras=split(options["extras"]) if options.get("extras") else None,
        additional_extras=split(options.get("additional_extras") or ()),
        additional_python_deps=words(options.get("additional_python_deps") or ()),
        dev_apt_deps=_list(options.get("dev_apt_deps") or ()),
        additional_dev_apt_deps=words(options.get("additional_dev_apt_deps") or ()),
        runtime_apt_deps=_list(options.get("runtime_apt_deps") or ()),
        additional_runtime_apt_deps=words(options.get("additional_runtime_apt_deps") or ()),
        airflow_version=options.get("airflow_version"),
        installation_method=resolve_in_context(
            context,
            "docker-context-files",
            options.get("installation_method"),
            "--installation-method",
        ),
        constraints_location=options.get("constraints_location"),
        constraints_mode=options.get("constraints_mode") or "constraints",
        constraints_reference=options.get("constraints_reference"),
        uid=options.get("uid"),
        home=options.get("home"),
        installer=options.get("installer"),
        embedded_dags=resolve_in_context(
            context, "", options.get("embedded_dags"), "--embedded-dags"
        ),
        build_args=tuple(parse_build_arg(a, known_args) for a in options.get("build_args") or ()),
        ca_bundle=ca_bundle,
        index_url=options.get("index_url"),
        extra_index_urls=tuple(options.get("extra_index_urls") or ()),
        base_image=options.get("base_image"),
        platform=options.get("platform"),
        context=context,
    )


def read_dockerfile_args(context: Path, dockerfile: Path | None = None) -> dict[str, str]:
    from hangar.image.plan import dockerfile_args

    path = dockerfile or context / "Dockerfile"
    if not path.is_file():
        raise NotFound(
            f"no Dockerfile at {path}", hint="run hangar from the repository, or pass --context"
        )
    return dockerfile_args(path.read_text(encoding="utf-8"))
