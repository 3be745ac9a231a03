"""From what the user asked for (a BuildRequest) to one BuildJob per image to build.

`resolve` works out every default once (Python versions, Airflow version, extras, platforms,
secrets, index) into a `Build`; `plan` and `cache_jobs` turn a Build into jobs: build args,
tags, cache references and log files. Pure: the caller reads the config, the Dockerfile, the
clock and git, and passes them in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from hangar.config import Config
from hangar.errors import BadInput
from hangar.image.building.buildx import BuildParams, Secret, join_list_arg
from hangar.image.building.request import Build, BuildJob, BuildRequest, Stamp
from hangar.image.building.tags import SLIM_PREFIX
from hangar.values import (
    SUPPORTED_PYTHONS,
    python_key,
    pythons_supported,
    split_list,
    supported_pythons,
    validate_airflow_version,
)

# BuildKit secrets whose value is passed through an environment variable of the `docker`
# process, so that it is on no command line and in no log.
INDEX_URL_ENV = "HANGAR_SECRET_INDEX_URL"
EXTRA_INDEX_URLS_ENV = "HANGAR_SECRET_EXTRA_INDEX_URLS"
HANGAR_VERSION_LABEL = "dev.hangar.version"  # the hangar that built an image
CONSTRAINTS_MODES = ("constraints", "constraints-no-providers", "constraints-source-providers")
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ARG_LINE = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$")


def resolve_pythons(
    given: tuple[str, ...], config: Config, *, airflow_version: str = "", requires_python: str = ""
) -> tuple[str, ...]:
    """`--python` values (repeatable, comma-separated, or `all`) as a sorted, unique tuple:
    `all` is the configured Pythons the Airflow release supports (its Requires-Python), and a
    Python it does not support is refused (BadInput, exit 5).
    """
    configured = config.list("pythons")
    words = split_list(given)
    if "all" in words:
        words = pythons_supported(requires_python, configured)
        if not words:
            raise BadInput(
                f"Airflow {airflow_version} supports none of the configured Pythons"
                f" {', '.join(configured)} (Requires-Python {requires_python})",
                hint="set `pythons` in hangar.toml (see `hangar config show`)",
            )
    elif not words:
        words = (config["default_python"],)
    unknown = [w for w in words if w not in SUPPORTED_PYTHONS]
    if unknown:
        raise BadInput(
            f"unknown Python version {', '.join(unknown)}",
            hint=f"supported: {', '.join(SUPPORTED_PYTHONS)}"
            f" (or `all` for {', '.join(configured)})",
        )
    return supported_pythons(
        sorted(set(words), key=python_key),
        airflow_version=airflow_version,
        requires_python=requires_python,
    )


def dockerfile_args(text: str) -> dict[str, str]:
    """The Dockerfile's build args and their defaults (continued lines joined)."""
    joined = re.sub(r"\\\n", " ", text)
    found: dict[str, str] = {}
    for line in joined.splitlines():
        match = _ARG_LINE.match(line)
        if match:
            value = (match.group(2) or "").strip().strip('"')
            found.setdefault(match.group(1), " ".join(value.split()))
    return found


def parse_build_arg(text: str, known: Mapping[str, str] | None = None) -> tuple[str, str]:
    """`NAME=VALUE` from --build-arg; with `known`, the name must be one of the Dockerfile's."""
    name, sep, value = text.partition("=")
    if not sep or not _ARG_NAME.match(name):
        raise BadInput(
            f"--build-arg {text!r} is not NAME=VALUE", hint="e.g. --build-arg AIRFLOW_UID=1000"
        )
    if known is not None and name not in known:
        raise BadInput(
            f"--build-arg {name}: the Dockerfile has no such build arg",
            hint="see docs/reference/build-args.md (the names follow Airflow's)",
        )
    return name, value


def expand_tag(pattern: str, *, python: str, airflow_version: str) -> str:
    try:
        return pattern.format(python=python, airflow_version=airflow_version)
    except (KeyError, IndexError, ValueError) as exc:
        raise BadInput(
            f"--tag {pattern!r}: unknown placeholder {exc}",
            hint="only {python} and {airflow_version} are filled in",
        ) from exc


def default_tag(config: Config, *, python: str, airflow_version: str, slim: bool = False) -> str:
    """The naming convention: <registry>/<image_name>:[slim-]<airflow_version>-python<py>."""
    prefix = SLIM_PREFIX if slim else ""
    return f"{config.image_repository()}:{prefix}{airflow_version}-python{python}"


def platform_slug(platform: str) -> str:
    """`linux/arm64/v8` -> `linux-arm64-v8` (the per-platform part of a cache tag)."""
    return platform.replace("/", "-")


def cache_ref(repository: str, *, python: str, platform: str, slim: bool = False) -> str:
    """The registry cache of one Python version and platform: <repo>:cache-python<py>-<plat>
    (cache-slim-python<py>-<plat> for the slim flavour, whose layers differ).
    """
    flavour = "slim-" if slim else ""
    return f"{repository}:cache-{flavour}python{python}-{platform_slug(platform)}"


# what the Dockerfile's runtime-packages step installs from (Debian packages, and the libraries
# that the additional Python dependencies' compiled modules link against)
RUNTIME_PACKAGE_INPUTS = (
    "ADDITIONAL_RUNTIME_APT_DEPS",
    "ADDITIONAL_RUNTIME_APT_COMMAND",
    "ADDITIONAL_PYTHON_DEPS",
)


def _build_args(build: Build, stamp: Stamp) -> dict[str, str]:
    request = build.request
    args: dict[str, str] = {"AIRFLOW_VERSION": build.airflow_version}
    lists = {
        "AIRFLOW_EXTRAS": request.extras,
        "ADDITIONAL_AIRFLOW_EXTRAS": request.additional_extras or None,
        "ADDITIONAL_PYTHON_DEPS": request.additional_python_deps or None,
        "DEV_APT_DEPS": request.dev_apt_deps,
        "ADDITIONAL_DEV_APT_DEPS": request.additional_dev_apt_deps or None,
        "RUNTIME_APT_DEPS": request.runtime_apt_deps,
        "ADDITIONAL_RUNTIME_APT_DEPS": request.additional_runtime_apt_deps or None,
    }
    for name, values in lists.items():
        if values is not None:
            args[name] = join_list_arg(name, values)
    single = {
        "AIRFLOW_INSTALLATION_METHOD": request.installation_method,
        "AIRFLOW_CONSTRAINTS_LOCATION": request.constraints_location,
        "AIRFLOW_CONSTRAINTS_REFERENCE": request.constraints_reference,
        "AIRFLOW_UID": None if request.uid is None else str(request.uid),
        "AIRFLOW_HOME": request.home,
        "AIRFLOW_USE_UV": None
        if request.installer is None
        else str(request.installer == "uv").lower(),
        "EMBEDDED_DAGS": request.embedded_dags,
    }
    args.update({k: v for k, v in single.items() if v is not None})
    if request.constraints_mode != "constraints":
        args["AIRFLOW_CONSTRAINTS_MODE"] = request.constraints_mode
    if request.source_date_epoch is not None:
        args["SOURCE_DATE_EPOCH"] = str(request.source_date_epoch)
    args.update(build.build_args)
    if not any(args.get(name) for name in RUNTIME_PACKAGE_INPUTS):
        # nothing for the Dockerfile's runtime-packages step to install: leave it out (a late
        # step with secret mounts starts seconds late on the engine's BuildKit)
        args.setdefault("RUNTIME_PACKAGES_STEP", "skip")
    args.update(
        {
            "COMMIT_SHA": stamp.commit_sha,
            "AIRFLOW_IMAGE_DATE_CREATED": stamp.date_created,
            "BUILD_ID": stamp.build_id,
        }
    )
    return args


def _secrets(
    request: BuildRequest, config: Config
) -> tuple[tuple[Secret, ...], dict[str, str], str]:
    """The BuildKit secrets, the environment variables that carry their values, and the
    index URL (`--index-url ""` and an empty setting both mean the default index).
    """
    secrets: list[Secret] = []
    env: dict[str, str] = {}
    ca_bundle = request.ca_bundle or (Path(config["ca_bundle"]) if config["ca_bundle"] else None)
    if ca_bundle is not None:
        secrets.append(Secret(id="ca-bundle", src=ca_bundle))
    index_url = request.index_url if request.index_url is not None else config["index_url"]
    if index_url:
        secrets.append(Secret(id="index-url", env=INDEX_URL_ENV))
        env[INDEX_URL_ENV] = index_url
    extra = request.extra_index_urls or config.list("extra_index_urls")
    if extra:
        secrets.append(Secret(id="extra-index-urls", env=EXTRA_INDEX_URLS_ENV))
        env[EXTRA_INDEX_URLS_ENV] = "\n".join(extra) + "\n"
    return tuple(secrets), env, index_url


def resolve(
    request: BuildRequest,
    *,
    config: Config,
    dockerfile_defaults: Mapping[str, str],
    host_platform: str,
    requires_python: str = "",
) -> Build:
    """Work out every default of a request, once (and check what can be checked before a
    build: Python and Airflow versions, the Pythons the release supports by its
    `requires_python`, --build-arg names).
    """
    airflow_version = validate_airflow_version(request.airflow_version or config["airflow_version"])
    base_extras = request.extras
    if base_extras is None:
        base_extras = split_list((dockerfile_defaults.get("AIRFLOW_EXTRAS", ""),))
    given_platform = request.platform if request.platform is not None else config["platform"]
    platforms = split_list((given_platform,)) or (host_platform,)
    secrets, secret_env, index_url = _secrets(request, config)
    uses_cache = request.cache_from is not None or request.cache_to is not None
    if uses_cache and not config["registry"] and not (request.cache_from or request.cache_to):
        raise BadInput(
            "the registry cache needs a registry, and none is configured",
            hint="set `registry` in hangar.toml (see `hangar config show`) or pass a REPO",
        )
    return Build(
        request=request,
        pythons=resolve_pythons(
            request.pythons,
            config,
            airflow_version=airflow_version,
            requires_python=requires_python,
        ),
        airflow_version=airflow_version,
        extras=tuple(dict.fromkeys((*base_extras, *request.additional_extras))),
        platforms=platforms,
        platform_given=bool(given_platform),
        build_args=tuple(parse_build_arg(a, dockerfile_defaults) for a in request.build_args),
        secrets=secrets,
        secret_env=secret_env,
        index_url=index_url,
        cache_repository=config.image_repository(),
    )


def constraints_file_needed(request: BuildRequest) -> str | None:
    """`<mode>-<py>.txt` is provided in docker-context-files when the build would otherwise
    download constraints: no location given, Airflow from the index.
    """
    if (
        request.constraints_location is not None
        or request.constraints_mode == "constraints-source-providers"
    ):
        return None
    if request.installation_method not in (None, "apache-airflow"):
        return None
    return request.constraints_mode


def plan(build: Build, *, config: Config, stamp: Stamp, log_dir: Path) -> tuple[BuildJob, ...]:
    """One job per Python version (all of a build's platforms go in one multi-platform image)."""
    request = build.request
    patterns = request.tags or ()
    if len(build.pythons) > 1 and any("{python}" not in p for p in patterns):
        raise BadInput(
            "--tag without {python} would give every Python version the same tag",
            hint="add {python} to the pattern,"
            " e.g. --tag my/airflow:{airflow_version}-python{python}",
        )
    if (request.cache_to is not None) and len(build.platforms) > 1:
        raise BadInput(
            "--cache-to takes one platform per build",
            hint="use `hangar cache refresh --platform ...`, which builds each platform's cache",
        )
    mode = constraints_file_needed(request)
    build_args = tuple(_build_args(build, stamp).items())
    jobs = []
    for python in build.pythons:
        base = (request.base_image or config["base_image"]).format(
            python=python, debian=request.debian or config.debian_for(python)
        )
        version = build.airflow_version
        tags = tuple(expand_tag(p, python=python, airflow_version=version) for p in patterns) or (
            default_tag(config, python=python, airflow_version=version, slim=request.slim),
        )
        cache_from = (
            tuple(
                cache_ref(
                    request.cache_from or build.cache_repository,
                    python=python,
                    platform=p,
                    slim=request.slim,
                )
                for p in build.platforms
            )
            if request.cache_from is not None
            else ()
        )
        cache_to = (
            cache_ref(
                request.cache_to or build.cache_repository,
                python=python,
                platform=build.platforms[0],
                slim=request.slim,
            )
            if request.cache_to is not None
            else None
        )
        log_name = (
            f"build-{python}.log"
            if request.target == "main"
            else f"build-{request.target}-{python}.log"
        )
        params = BuildParams(
            context=request.context,
            python=python,
            base_image=base,
            build_args=build_args,
            secrets=build.secrets,
            tags=tags,
            platform=",".join(build.platforms) if build.platform_given else None,
            dockerfile=request.dockerfile,
            push=request.push,
            builder=request.builder,
            docker_context=request.docker_context,
            cache_from=cache_from,
            cache_to=cache_to,
            network=config["network"],
            no_cache=request.no_cache,
            pull=request.pull,
            compression=request.compression,
            load_compression=request.load_compression,
            target=request.target,
            labels=((HANGAR_VERSION_LABEL, stamp.hangar_version),),
            provenance=stamp.provenance() if request.push or request.archive_dir else None,
            oci_archive=_oci_archive(request, python, log_dir / log_name),
            archive_only=request.archive_dir is not None,
        )
        jobs.append(
            BuildJob(
                name=python,
                python=python,
                params=params,
                log_path=log_dir / log_name,
                constraints_file=f"{mode}-{python}.txt" if mode else None,
            )
        )
    return tuple(jobs)


# an image handed over as an OCI archive: <archive_dir>/<python>.oci.tar (read by hangar.ci.archive)
ARCHIVE_SUFFIX = ".oci.tar"


def _oci_archive(request: BuildRequest, python: str, log_path: Path) -> Path | None:
    """Where the build's OCI archive goes: the hand-over folder, or next to the log of a
    reproducible build (loaded into the engine from there); None: no archive.
    """
    if request.archive_dir is not None:
        return request.archive_dir / f"{python}{ARCHIVE_SUFFIX}"
    if request.source_date_epoch is not None:
        return log_path.with_name(f"{log_path.stem}{ARCHIVE_SUFFIX}")
    return None


def cache_jobs(
    build: Build, *, config: Config, stamp: Stamp, log_dir: Path
) -> tuple[BuildJob, ...]:
    """`cache refresh`: one job per Python version and platform, exporting the registry cache
    (`mode=max`) and pushing no image.
    """
    if not (build.request.cache_to or config["registry"]):
        raise BadInput(
            "the registry cache needs a registry, and none is configured",
            hint="set `registry` in hangar.toml (see `hangar config show`) or pass --cache-repo",
        )
    single = replace(
        build,
        request=replace(
            build.request, platform=None, tags=(), push=False, cache_from=None, cache_to=None
        ),
        platform_given=False,
    )
    jobs = []
    for job in plan(single, config=config, stamp=stamp, log_dir=log_dir):
        for platform in build.platforms:
            ref = cache_ref(
                build.request.cache_to or build.cache_repository,
                python=job.python,
                platform=platform,
                slim=build.request.slim,
            )
            params = replace(
                job.params,
                platform=platform,
                tags=(),
                push=False,
                load=False,
                cache_from=(ref,),
                cache_to=ref,
            )
            jobs.append(
                replace(
                    job,
                    name=f"{job.python} {platform}",
                    params=params,
                    log_path=log_dir / f"cache-{job.python}-{platform_slug(platform)}.log",
                )
            )
    return tuple(jobs)
