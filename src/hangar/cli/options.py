"""What the commands share at the CLI edge: the application context, the common options
(`--output`, `--python`, `--dry-run`) and the build options of `image build`, `cache refresh`
and `ci build-image`, which become one typed BuildRequest here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import click as plain_click
import rich_click as click

from hangar import __version__
from hangar.app import App, real_app
from hangar.config import Config
from hangar.errors import BadInput, NotFound
from hangar.image.building.plan import CONSTRAINTS_MODES, dockerfile_args
from hangar.image.building.request import BuildRequest, Stamp
from hangar.image.trust.provenance import builder_id
from hangar.infra.files import is_recipe, recipe_dir
from hangar.values import SUPPORTED_DEBIAN, split_list, split_words

F = TypeVar("F", bound=Callable[..., Any])
OUTPUTS = ("text", "json")


def current_app() -> App:
    """The application context of this run: the one tests pass as click's `obj`, else the
    real one (made once per run).
    """
    root = plain_click.get_current_context().find_root()
    if not isinstance(root.obj, App):
        root.obj = real_app()
    return root.obj


def slim_option(func: F) -> F:
    """`--slim`: the slim flavour (Airflow with no extras), for building and its cache."""
    return click.option(
        "--slim",
        is_flag=True,
        help="The slim image, as the official one: Airflow with no extras (only the providers "
        "Airflow itself needs), tagged slim-<airflow_version>-python<py> by default, with its "
        "own registry cache (cache-slim-python<py>-<platform>).",
    )(func)


def output_option(func: F) -> F:
    """`--output text|json`: text for people (default), JSON on stdout for scripts."""
    return click.option(
        "--output",
        type=click.Choice(OUTPUTS),
        default="text",
        show_default=True,
        help="text for people, json for scripts (on stdout).",
    )(func)


def dry_run_option(func: F) -> F:
    return click.option(
        "--dry-run", is_flag=True, help="Print the exact commands that change state; run none."
    )(func)


def python_option(help_text: str) -> Callable[[F], F]:
    return click.option("--python", "pythons", multiple=True, metavar="X.Y|all", help=help_text)


def stamp(app: App, build_id: str | None, epoch: int | None = None) -> Stamp:
    """Facts of this run for the image labels: commit, time, build id (a reproducible build
    takes its time from `epoch`).
    """
    now = app.utc_now() if epoch is None else dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return Stamp(
        hangar_version=__version__,
        commit_sha=app.git(app.cwd).head_commit(),
        date_created=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        build_id=build_id or now.strftime("%Y%m%d%H%M%S"),
        builder_id=builder_id(app.environ),
    )


def log_dir(app: App, config: Config) -> Path:
    return app.cwd / config["log_dir"]


# -- the build options ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """The build options as click parsed them (one field per option below)."""

    pythons: tuple[str, ...]
    airflow_version: str | None
    extras: tuple[str, ...]
    additional_extras: tuple[str, ...]
    additional_python_deps: tuple[str, ...]
    dev_apt_deps: tuple[str, ...]
    additional_dev_apt_deps: tuple[str, ...]
    runtime_apt_deps: tuple[str, ...]
    additional_runtime_apt_deps: tuple[str, ...]
    installation_method: str | None
    constraints_location: str | None
    constraints_mode: str
    constraints_reference: str | None
    uid: int | None
    home: str | None
    installer: str | None
    embedded_dags: str | None
    build_args: tuple[str, ...]
    ca_bundle: Path | None
    index_url: str | None
    extra_index_urls: tuple[str, ...]
    base_image: str | None
    debian: str | None
    builder: str | None
    platform: str | None
    context: Path | None
    dockerfile: Path | None
    parallelism: int
    build_id: str | None
    reproducible: bool
    source_date_epoch: int | None
    dry_run: bool

    def app(self) -> App:
        """The command's app: a dry one under --dry-run, whose writers change nothing."""
        return current_app().dry(dry_run=self.dry_run)

    def context_folder(self, app: App) -> Path:
        return (self.context or app.cwd).resolve()

    def build_context(self, app: App, folder: Path) -> tuple[Path, Path | None]:
        """The context to build and the Dockerfile (None: the context's own). A folder
        holding the recipe (a checkout) is built as it is; any other folder supplies its
        docker-context-files/, dags/ and requirements.txt to hangar's own recipe, assembled
        under .hangar/context; --dockerfile builds the folder with the user's Dockerfile.
        """
        if self.dockerfile is not None:
            dockerfile = (app.cwd / self.dockerfile).resolve()
            if not dockerfile.is_file():
                raise NotFound(f"no Dockerfile at {dockerfile}", hint="check --dockerfile")
            return folder, dockerfile
        if is_recipe(folder):
            return folder, None
        if not folder.is_dir():
            raise NotFound(f"no folder {folder}", hint="check --context")
        extra = (self.embedded_dags,) if self.embedded_dags else ()
        dest = folder / ".hangar" / "context"
        return app.files().assemble_context(recipe_dir(), folder, dest, extra=extra), None

    def builder_choice(self, app: App) -> dict[str, str | None]:
        """--builder as buildx reaches it: a docker-driver builder through its context."""
        if not self.builder:
            return {"builder": None, "docker_context": None}
        found = {b.name: b for b in app.probe().builders()}
        if self.builder not in found:
            raise BadInput(
                f"no buildx builder named {self.builder} (there are: {', '.join(found) or 'none'})",
                hint="pick one of `docker buildx ls`, or create it (docker buildx create --name)",
            )
        if found[self.builder].driver == "docker":
            return {"builder": None, "docker_context": self.builder}
        return {"builder": self.builder, "docker_context": None}

    def request(
        self,
        app: App,
        *,
        tags: tuple[str, ...] = (),
        push: bool = False,
        archive_dir: Path | None = None,
        cache_from: str | None = None,
        cache_to: str | None = None,
        no_cache: bool = False,
        pull: bool = False,
        compression: str = "gzip",
        load_compression: str = "zstd",
        target: str = "main",
        all_pythons: bool = False,
        slim: bool = False,
    ) -> BuildRequest:
        """The one BuildRequest of this command (paths checked against the context). A slim
        build is Airflow with no extras (`--additional-extras` still adds some).
        """
        if slim and self.extras:
            raise BadInput(
                "--slim builds Airflow with no extras, so --extras cannot go with it",
                hint="leave out --extras, or add a few with --additional-extras",
            )
        folder = self.context_folder(app)
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise NotFound(
                f"CA bundle {self.ca_bundle} not found", hint="give the path of a PEM file"
            )
        context, dockerfile = self.build_context(app, folder)
        return BuildRequest(
            pythons=self.pythons or (("all",) if all_pythons else ()),
            extras=() if slim else (split_list(self.extras) if self.extras else None),
            slim=slim,
            additional_extras=split_list(self.additional_extras),
            additional_python_deps=split_words(self.additional_python_deps),
            dev_apt_deps=split_words(self.dev_apt_deps) if self.dev_apt_deps else None,
            additional_dev_apt_deps=split_words(self.additional_dev_apt_deps),
            runtime_apt_deps=split_words(self.runtime_apt_deps) if self.runtime_apt_deps else None,
            additional_runtime_apt_deps=split_words(self.additional_runtime_apt_deps),
            airflow_version=self.airflow_version,
            installation_method=_in_context(
                app.cwd,
                folder,
                "docker-context-files",
                self.installation_method,
                "--installation-method",
            ),
            constraints_location=self.constraints_location,
            constraints_mode=self.constraints_mode,
            constraints_reference=self.constraints_reference,
            uid=self.uid,
            home=self.home,
            installer=self.installer,
            embedded_dags=_in_context(app.cwd, folder, "", self.embedded_dags, "--embedded-dags"),
            build_args=self.build_args,
            ca_bundle=self.ca_bundle,
            index_url=self.index_url,
            extra_index_urls=self.extra_index_urls,
            base_image=self.base_image,
            debian=self.debian,
            **self.builder_choice(app),
            platform=self.platform,
            tags=tags,
            push=push,
            archive_dir=archive_dir,
            cache_from=cache_from,
            cache_to=cache_to,
            context=context,
            dockerfile=dockerfile,
            no_cache=no_cache,
            pull=pull,
            compression=compression,
            load_compression=load_compression,
            target=target,
            source_date_epoch=self.epoch(app, context),
        )

    def epoch(self, app: App, context: Path) -> int | None:
        """SOURCE_DATE_EPOCH of a reproducible build: given, else the commit time of the
        build context, else the folder hangar runs in; None for a build that is not.
        """
        if self.source_date_epoch is not None:
            return self.source_date_epoch
        if not self.reproducible:
            return None
        for folder in (context, app.cwd):
            committed = app.git(folder).commit_time()
            if committed is not None:
                return committed
        raise BadInput(
            "--reproducible needs a moment for every time in the image, and no commit gives one",
            hint="run it in a git work tree, or pass --source-date-epoch SECONDS",
        )


def read_dockerfile_defaults(context: Path, dockerfile: Path | None = None) -> dict[str, str]:
    """The build args the Dockerfile declares, with their defaults (read once per command).
    A context a dry run did not assemble has the recipe's Dockerfile.
    """
    if dockerfile is None and not context.is_dir():
        context = recipe_dir()
    path = dockerfile or context / "Dockerfile"
    if not path.is_file():
        raise NotFound(
            f"no Dockerfile at {path}", hint="run hangar from the repository, or pass --context"
        )
    return dockerfile_args(path.read_text(encoding="utf-8"))


def _in_context(cwd: Path, context: Path, sub: str, value: str | None, what: str) -> str | None:
    """A path given relative to the context's `sub` folder (or as a path from `cwd` inside
    it), as the Dockerfile reads it; NotFound if it is not there.
    """
    if value is None or value == "apache-airflow":
        return value
    base = context / sub if sub else context
    candidate = Path(value)
    if not candidate.is_absolute() and (cwd / candidate).exists():
        candidate = cwd / candidate
    if candidate.is_absolute():
        try:
            candidate = candidate.resolve().relative_to(base.resolve())
        except ValueError as exc:
            raise NotFound(
                f"{what} {value} is not inside {base}", hint=f"put it in {base}"
            ) from exc
    if not (base / candidate).exists():
        raise NotFound(f"{what} {value} not found in {base}", hint=f"put it in {base}")
    return candidate.as_posix()


_BUILD_OPTIONS: list[Callable[[F], F]] = [
    python_option("Python version (repeatable or comma-separated); `all` for the configured set."),
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
    click.option(
        "--index-url",
        help="Python package index (BuildKit secret; never in a log); '' for the default index.",
    ),
    click.option(
        "--extra-index-url", "extra_index_urls", multiple=True, help="More indexes (repeatable)."
    ),
    click.option(
        "--base-image", help="Base image; may hold {python} and {debian}. Default: config."
    ),
    click.option(
        "--debian",
        type=click.Choice(SUPPORTED_DEBIAN),
        default=None,
        help="Debian release of the base image ({debian} in the base image pattern). "
        "Default: the config's `debian` (trixie).",
    ),
    click.option("--platform", help="Target platform(s), comma-separated, e.g. linux/amd64."),
    click.option(
        "--builder",
        metavar="NAME",
        help="The buildx builder to build with (`docker buildx ls`), e.g. one with a native "
        "arm64 node; default: the current one. `hangar env status` lists them.",
    ),
    click.option(
        "--context",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Build context (default: the current folder).",
    ),
    click.option(
        "--dockerfile",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Build with your own Dockerfile instead of hangar's (the context is the folder).",
    ),
    click.option(
        "--parallelism",
        type=click.IntRange(1, 16),
        default=2,
        show_default=True,
        help="Builds run at once.",
    ),
    click.option("--build-id", help="BUILD_ID label (default: the UTC time)."),
    click.option(
        "--reproducible",
        is_flag=True,
        help="Same inputs, same image digest: every time in the image is the commit time of "
        "the build context (SOURCE_DATE_EPOCH), file times in the layers rewritten to it.",
    ),
    click.option(
        "--source-date-epoch",
        type=click.IntRange(0),
        default=None,
        metavar="SECONDS",
        help="The moment of a reproducible build (implies --reproducible).",
    ),
    dry_run_option,
]
_BUILD_FIELDS = tuple(f.name for f in fields(BuildOptions))


def build_options(func: Callable[..., None]) -> Callable[..., None]:
    """Add the build options to a command, which receives them as one `build: BuildOptions`
    (its other options come as its own keyword-only parameters).
    """

    @functools.wraps(func)
    def command(**parsed: object) -> None:
        values: dict[str, Any] = {name: parsed.pop(name) for name in _BUILD_FIELDS}
        func(build=BuildOptions(**values), **parsed)

    for option in reversed(_BUILD_OPTIONS):
        command = option(command)
    return command
