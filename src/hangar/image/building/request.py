"""What a build is asked for and what it becomes: the request as the user gave it, the same
with every default resolved, the facts of this run, and one job per image (values only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hangar.image.building.buildx import BuildParams, Secret, buildx_command


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    """Everything the user asked for, as given (None: not given, take the default)."""

    pythons: tuple[str, ...] = ()  # empty: the configured default Python; ("all",): every one
    extras: tuple[str, ...] | None = None  # replaces the Dockerfile's default set
    slim: bool = False  # the slim flavour: no extras, `slim-` tags
    debian: str | None = None  # the Debian release of the base image (None: the config's)
    builder: str | None = None  # the buildx builder (None: the current one)
    docker_context: str | None = None  # the context of a docker-driver builder (buildx.py)
    additional_extras: tuple[str, ...] = ()
    additional_python_deps: tuple[str, ...] = ()
    dev_apt_deps: tuple[str, ...] | None = None
    additional_dev_apt_deps: tuple[str, ...] = ()
    runtime_apt_deps: tuple[str, ...] | None = None
    additional_runtime_apt_deps: tuple[str, ...] = ()
    airflow_version: str | None = None
    installation_method: str | None = None  # a path relative to docker-context-files
    constraints_location: str | None = None
    constraints_mode: str = "constraints"
    constraints_reference: str | None = None
    uid: int | None = None
    home: str | None = None
    installer: str | None = None  # "uv" or "pip"
    embedded_dags: str | None = None  # a path relative to the context
    build_args: tuple[str, ...] = ()  # the --build-arg escape hatch (NAME=VALUE), last wins
    ca_bundle: Path | None = None
    index_url: str | None = None  # None: the config's; "": the default index (PyPI)
    extra_index_urls: tuple[str, ...] = ()
    base_image: str | None = None  # may hold {python} and {debian}
    platform: str | None = None
    tags: tuple[str, ...] = ()  # patterns with {python} and {airflow_version}
    push: bool = False
    # each image written to <archive_dir>/<python>.oci.tar (BuildKit's OCI exporter) and left
    # there, neither loaded nor pushed: an image handed over to another job (a fork's pull
    # request, built where no write token is reachable)
    archive_dir: Path | None = None
    cache_from: str | None = None  # a repository ("" = the image repository); None = no cache
    cache_to: str | None = None
    context: Path = Path()
    dockerfile: Path | None = None
    no_cache: bool = False
    pull: bool = False  # fetch the base image again instead of using the engine's copy
    # what leaves the machine (pushed layers, the exported cache): "gzip", which every client
    # reads, or "zstd"
    compression: str = "gzip"
    # an image loaded into the local engine: "zstd", several times faster to export and to
    # unpack than gzip, or "gzip" (for an image later pushed with `docker push` itself)
    load_compression: str = "zstd"
    target: str = "main"  # the Dockerfile stage: main (production) or ci (main + test tools)
    # reproducible: every time in the image from this moment (seconds since 1970); None: now
    source_date_epoch: int | None = None


@dataclass(frozen=True, kw_only=True)
class Build:
    """A BuildRequest with every default worked out, once."""

    request: BuildRequest
    pythons: tuple[str, ...]
    airflow_version: str
    extras: tuple[str, ...]  # what is installed: the default or given set, plus additional
    platforms: tuple[str, ...]
    platform_given: bool  # False: the engine's own platform, not passed to buildx
    build_args: tuple[tuple[str, str], ...]  # from --build-arg, checked against the Dockerfile
    secrets: tuple[Secret, ...]
    secret_env: Mapping[str, str] = field(repr=False)  # the values of env-borne secrets
    index_url: str  # "": the default index
    cache_repository: str  # where `--cache-from/--cache-to` without a value point


@dataclass(frozen=True, kw_only=True)
class Stamp:
    """Facts about this run that end up in labels (never in a cached layer)."""

    hangar_version: str

    commit_sha: str
    date_created: str  # UTC, RFC 3339
    build_id: str
    builder_id: str = ""  # who builds: the CI run's address, else the buildx builder

    def provenance(self) -> str:
        """The `--provenance` value of a pushed build."""
        return f"mode=max,builder-id={self.builder_id}" if self.builder_id else "mode=max"


@dataclass(frozen=True, kw_only=True)
class BuildJob:
    """One `docker buildx build`: its parameters, what to call it and where its log goes."""

    name: str  # e.g. "3.11" or "3.11 linux/arm64"
    python: str
    params: BuildParams
    log_path: Path
    constraints_file: str | None  # docker-context-files/<this> to provide before building

    def args(self) -> tuple[str, ...]:
        return buildx_command(self.params)
