"""Build parameters and the `docker buildx build` command they turn into (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Build args whose value is a list of words; hangar takes them as repeatable options.
LIST_ARGS = frozenset(
    {
        "AIRFLOW_EXTRAS",
        "ADDITIONAL_AIRFLOW_EXTRAS",
        "ADDITIONAL_PYTHON_DEPS",
        "DEV_APT_DEPS",
        "ADDITIONAL_DEV_APT_DEPS",
        "RUNTIME_APT_DEPS",
        "ADDITIONAL_RUNTIME_APT_DEPS",
    }
)
_COMMA_SEPARATED = frozenset({"AIRFLOW_EXTRAS", "ADDITIONAL_AIRFLOW_EXTRAS"})


@dataclass(frozen=True, kw_only=True)
class Secret:
    """A BuildKit secret: from a file (`src`) or from an environment variable (`env`), so its
    value never appears on a command line.
    """

    id: str
    src: Path | None = None
    env: str | None = None

    def flag(self) -> str:
        source = f"src={self.src}" if self.src is not None else f"env={self.env}"
        return f"id={self.id},{source}"


@dataclass(frozen=True, kw_only=True)
class BuildParams:
    """Everything one image build needs. `build_args` holds the Dockerfile's build args that
    differ from its defaults (values already joined the way the Dockerfile reads them).
    """

    context: Path
    python: str
    base_image: str
    build_args: tuple[tuple[str, str], ...] = ()
    secrets: tuple[Secret, ...] = ()
    tags: tuple[str, ...] = ()
    platform: str | None = None
    target: str | None = "main"  # None: the Dockerfile's last stage
    dockerfile: Path | None = None
    push: bool = False
    load: bool = True
    cache_from: tuple[str, ...] = ()
    cache_to: str | None = None
    network: str = "host"
    progress: str = "plain"
    no_cache: bool = False
    pull: bool = False
    # layer compression of what leaves the machine: the pushed image, the exported cache, the
    # OCI archive. Always forced, so layers the builder holds in another compression are
    # converted, and so BuildKit's cache export takes one chain of blobs instead of trying every
    # combination of a layer's compressions (moby/buildkit#6088: memory without bound).
    compression: str = "gzip"
    # layer compression of an image loaded into the local engine; None: the exporter's default
    # (gzip). Not forced: layers already compressed (the base image's) are kept as they are.
    load_compression: str | None = None
    metadata_file: Path | None = None
    # reproducible: file times in the layers clamped to SOURCE_DATE_EPOCH (a build arg). This
    # engine's image exporter cannot rewrite them, so the image goes to an OCI archive that
    # is then loaded into the engine (and pushed from there), keeping its digest.
    oci_archive: Path | None = None
    # the OCI archive is the result, left where it is (neither loaded nor pushed)
    archive_only: bool = False
    labels: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # BuildKit's SLSA provenance attached to a pushed image (`mode=max`: every build arg, the
    # Dockerfile, the base image digests, the source commit); `builder-id` names the builder
    provenance: str | None = None
    builder: str | None = None  # a buildx builder by name (None: the current one)
    # a docker-driver builder is its docker context's: buildx reaches it only as
    # `docker --context NAME buildx build`, not with --builder
    docker_context: str | None = None


def join_list_arg(name: str, values: tuple[str, ...]) -> str:
    return (",".join if name in _COMMA_SEPARATED else " ".join)(values)


def all_build_args(params: BuildParams) -> tuple[tuple[str, str], ...]:
    base = (
        ("PYTHON_MAJOR_MINOR_VERSION", params.python),
        ("PYTHON_BASE_IMAGE", params.base_image),
    )
    given = tuple((k, v) for k, v in params.build_args if k not in dict(base))
    return base + given


def buildx_command(params: BuildParams) -> tuple[str, ...]:
    """The arguments after `docker`, in a stable order, copy-pasteable."""
    return (
        *(("--context", params.docker_context) if params.docker_context else ()),
        "buildx",
        "build",
        *(("--builder", params.builder) if params.builder else ()),
        "--network",
        params.network,
        "--progress",
        params.progress,
        *_input_args(params),
        *_cache_args(params),
        *_output_args(params),
        str(params.context),
    )


def _input_args(params: BuildParams) -> list[str]:
    """What goes into the build: Dockerfile, target, platform, build args, secrets, labels,
    and the provenance that records them.
    """
    args: list[str] = []
    if params.dockerfile is not None:
        args += ["--file", str(params.dockerfile)]
    if params.target:
        args += ["--target", params.target]
    if params.platform:
        args += ["--platform", params.platform]
    for name, value in all_build_args(params):
        args += ["--build-arg", f"{name}={value}"]
    for secret in params.secrets:
        args += ["--secret", secret.flag()]
    for key, value in params.labels:
        args += ["--label", f"{key}={value}"]
    if params.provenance is not None:
        args += ["--provenance", params.provenance]
    return args


def _cache_args(params: BuildParams) -> list[str]:
    """Where the build cache comes from and goes to, and what bypasses it."""
    args: list[str] = []
    for ref in params.cache_from:
        args += ["--cache-from", f"type=registry,ref={ref}"]
    if params.cache_to:
        to = f"type=registry,ref={params.cache_to},mode=max,{_forced(params.compression)}"
        args += ["--cache-to", f"{to},oci-mediatypes=true"]
    if params.no_cache:
        args.append("--no-cache")
    if params.pull:
        args.append("--pull")
    return args


def _forced(compression: str) -> str:
    """Exporter options for every layer in this compression, converted where it is not."""
    return f"compression={compression},force-compression=true"


def _output_args(params: BuildParams) -> list[str]:
    """Where the image goes: its tags, the exporter (engine or registry), the metadata file."""
    args: list[str] = []
    for tag in params.tags:
        args += ["--tag", tag]
    if params.oci_archive is not None:
        archive = f"type=oci,dest={params.oci_archive},rewrite-timestamp=true"
        args += ["--output", f"{archive},{_forced(params.compression)}"]
    elif params.push:
        # the image exporter, named by the --tag values, into the registry
        args += ["--output", f"type=image,push=true,{_forced(params.compression)}"]
    elif params.load and params.load_compression:
        # what --load does (into the engine, from any builder), with the layers' compression
        args += ["--output", f"type=docker,compression={params.load_compression}"]
    elif params.load:
        args.append("--load")
    if params.metadata_file is not None:
        args += ["--metadata-file", str(params.metadata_file)]
    return args
