"""What to resolve for a constraints file, and how: requirements, uv arguments, the header,
the file name and the cache key. Pure logic, no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from hangar.constraints.files import Pin, keep_pin
from hangar.errors import BadInput

DEFAULT_INDEX_URL = "https://pypi.org/simple"
DEFAULT_PLATFORM = "x86_64-manylinux_2_28"  # what the image's Debian base runs
# Airflow's companion distributions (core, task-sdk) are uploaded minutes after apache-airflow
# itself; the default cut-off is the release's last upload plus this window.
RELEASE_WINDOW = timedelta(hours=1)


class Mode(StrEnum):
    CONSTRAINTS = "constraints"
    NO_PROVIDERS = "constraints-no-providers"
    SOURCE_PROVIDERS = "constraints-source-providers"

    @property
    def default_extras(self) -> tuple[str, ...]:
        return ("all",) if self is Mode.CONSTRAINTS else ()

    @property
    def description(self) -> str:
        return {
            Mode.CONSTRAINTS: "Airflow with every provider released for it, as users install it",
            Mode.NO_PROVIDERS: "Airflow core alone, without any provider",
            Mode.SOURCE_PROVIDERS: "Airflow with providers taken from a local folder",
        }[self]


@dataclass(frozen=True, kw_only=True)
class LocalProvider:
    """A provider distribution in the providers folder: a wheel or sdist (name and version
    known from the file name) or a source tree (a directory with pyproject.toml).
    """

    path: str  # absolute path
    name: str | None = None
    version: str | None = None


@dataclass(frozen=True, kw_only=True)
class ResolveRequest:
    """Everything that decides the content of one constraints file."""

    airflow_version: str
    python: str
    mode: Mode
    extras: tuple[str, ...]
    exclude_newer: datetime | None  # None only for checks: the file pins everything
    index_url: str = DEFAULT_INDEX_URL
    platform: str = DEFAULT_PLATFORM
    providers_dir: str | None = None  # as given on the command line (for the header)
    providers: tuple[LocalProvider, ...] = ()

    def requirements(self) -> tuple[str, ...]:
        extras = (
            ""
            if self.mode is Mode.NO_PROVIDERS or not self.extras
            else f"[{','.join(self.extras)}]"
        )
        reqs = [f"apache-airflow{extras}=={self.airflow_version}"]
        if self.mode is Mode.SOURCE_PROVIDERS:
            for provider in self.providers:
                if provider.name and provider.version:
                    reqs.append(f"{provider.name}=={provider.version}")
                else:
                    reqs.append(provider.path)
        return tuple(reqs)

    def find_links(self) -> tuple[str, ...]:
        if self.mode is not Mode.SOURCE_PROVIDERS:
            return ()
        dirs = {p.path.rsplit("/", 1)[0] for p in self.providers if p.name and p.version}
        return tuple(sorted(dirs))

    def cache_key(self, *, tool_versions: str) -> str:
        """A digest of every input, so a cached file is reused only for identical inputs."""
        data = {
            "airflow": self.airflow_version,
            "python": self.python,
            "mode": self.mode.value,
            "extras": sorted(self.extras),
            "exclude_newer": format_time(self.exclude_newer) if self.exclude_newer else None,
            "index": self.index_url,
            "platform": self.platform,
            "providers": [(p.path, p.name, p.version) for p in self.providers],
            "tools": tool_versions,
        }
        blob = json.dumps(data, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:24]


def validate_extras(extras: Iterable[str]) -> tuple[str, ...]:
    """Extras by canonical name, sorted, once each; BadInput for a name that is not one."""
    cleaned = sorted({canonicalize_name(e) for e in extras if e.strip()})
    for extra in cleaned:
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", extra):
            raise BadInput(f"invalid extra {extra!r}")
    return tuple(cleaned)


def local_provider(path: str, *, is_dir: bool) -> LocalProvider | None:
    """Classify one entry of the providers folder; None for anything that is not a provider."""
    filename = path.rsplit("/", 1)[-1]
    if is_dir:
        return LocalProvider(path=path)
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return LocalProvider(path=path, name=str(name), version=str(version))


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An RFC 3339 time or a date (taken as midnight UTC); BadInput for anything else."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{text!r} is not a date or time (use e.g. 2025-04-22T10:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def default_exclude_newer(release_upload: datetime) -> datetime:
    """The cut-off for a released version: its last upload, rounded up to the second, plus
    the release window.
    """
    rounded = release_upload.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return rounded + RELEASE_WINDOW


def uv_compile_args(
    request: ResolveRequest, *, constraints_file: str | None = None
) -> tuple[str, ...]:
    """Arguments after `uv` for `uv pip compile`, requirements read from stdin."""
    args = [
        *uv_pip_compile(
            index_url=request.index_url, python=request.python, platform=request.platform
        ),
        "-",
        "--resolution",
        "highest",
    ]
    if request.exclude_newer is not None:
        args += ["--exclude-newer", format_time(request.exclude_newer)]
    for link in request.find_links():
        args += ["--find-links", link]
    if constraints_file is not None:
        args += ["--constraint", constraints_file]
    return tuple(args)


def uv_pip_compile(*, index_url: str, python: str, platform: str) -> tuple[str, ...]:
    """`pip compile` and the options every hangar resolution shares.

    The index is only the one given (`--no-config` ignores uv.toml/pip.conf-like settings and
    pip's own config is never read by uv), no interpreter is needed for the target Python, and
    nothing is written to disk but uv's cache (and an output file when one is asked for).
    """
    return (
        "pip",
        "compile",
        "--no-config",
        "--no-python-downloads",
        # trust the system's certificates too, so a corporate proxy's CA installed there works
        # without SSL_CERT_FILE (which uv also honours)
        "--native-tls",
        "--index-url",
        index_url,
        "--python-version",
        python,
        "--python-platform",
        platform,
        "--no-header",
        "--no-annotate",
        "--quiet",
    )


def parse_resolution(output: str, *, keep: Callable[[Pin], bool] = keep_pin) -> tuple[Pin, ...]:
    """The pins kept from `uv pip compile` output: `name==version` lines only (path and URL
    requirements, i.e. providers from source trees, dropped; by default Airflow's own
    distributions too).
    """
    pins: list[Pin] = []
    for raw in output.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-")) or " @ " in line or "==" not in line:
            continue
        name, _, version = line.partition("==")
        pin = Pin.of(name.strip(), version.split(";", 1)[0].strip())
        if keep(pin):
            pins.append(pin)
    return tuple(sorted(pins))


_UV_NOISE = ("warning:", "hint:", "Resolved ", "Using ", "Updated ", "Prepared ")


def conflict_explanation(stderr: str) -> str:
    """Uv's explanation of why the requirements cannot be resolved, on one line."""
    lines: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip().lstrip("\u00d7\u2570\u2500\u25b6\u2502 ").strip()
        if not line or line.startswith(_UV_NOISE):
            continue
        if line.startswith(("error:", "cause:")):
            line = line.split(":", 1)[1].strip()
        if line.lower().startswith("no solution found"):
            continue
        lines.append(line)
    return " ".join(lines) or "no solution found"


def output_name(mode: Mode, python: str) -> str:
    return f"{mode.value}-{python}.txt"


def output_dir_name(airflow_version: str) -> str:
    return f"constraints-{airflow_version}"


def regenerate_command(request: ResolveRequest) -> str:
    args = [
        "hangar",
        "constraints",
        "generate",
        "--airflow-version",
        request.airflow_version,
        "--python",
        request.python,
        "--mode",
        request.mode.value,
    ]
    if request.mode is not Mode.NO_PROVIDERS:
        args += ["--extras", ",".join(request.extras)]
    if request.mode is Mode.SOURCE_PROVIDERS and request.providers_dir is not None:
        args += ["--providers-dir", request.providers_dir]
    if request.exclude_newer is not None:
        args += ["--exclude-newer", format_time(request.exclude_newer)]
    if request.index_url != DEFAULT_INDEX_URL:
        args += ["--index-url", request.index_url]
    if request.platform != DEFAULT_PLATFORM:
        args += ["--platform", request.platform]
    return shlex.join(args)


def header(request: ResolveRequest, *, tool_versions: str) -> tuple[str, ...]:
    """The `#` header: what the file is, how to use it, when and how it was made, and the
    command that regenerates it. Deterministic: no clock, only the inputs.
    """
    extras = ",".join(request.extras) if request.mode is not Mode.NO_PROVIDERS else ""
    install = f"apache-airflow[{extras}]" if extras else "apache-airflow"
    cutoff = format_time(request.exclude_newer) if request.exclude_newer else "resolution time"
    lines = [
        "#",
        (
            f"# Constraints for Apache Airflow {request.airflow_version} on Python {request.python}"
            f" ({request.platform}), mode {request.mode.value}:"
        ),
        f"# {request.mode.description}" + (f" (extras: {extras})." if extras else "."),
    ]
    if request.mode is Mode.SOURCE_PROVIDERS:
        lines.append(f"# Providers from: {request.providers_dir}")
    lines += [
        "#",
        "# Use it only for the step that installs Airflow, for example:",
        f'#   pip install "{install}=={request.airflow_version}" \\',
        f"#     --constraint {output_name(request.mode, request.python)}",
        "# then add your own packages in a separate step, without the constraint.",
        "#",
        f"# Resolved with {tool_versions} from {request.index_url},",
        f"# as the index stood at {cutoff} (the --exclude-newer cut-off).",
        "# Regenerate with:",
        f"#   {regenerate_command(request)}",
        "#",
    ]
    return tuple(lines)


_HEADER_VERSION = re.compile(r"^# Constraints for Apache Airflow (?P<version>\S+) on Python")
_HEADER_EXTRAS = re.compile(r"\(extras: (?P<extras>[^)]*)\)")


def header_facts(header_lines: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """The Airflow version and extras a hangar-written header names (None/() if absent)."""
    version: str | None = None
    extras: tuple[str, ...] = ()
    for line in header_lines:
        if (match := _HEADER_VERSION.match(line)) is not None:
            version = match["version"]
        if (match := _HEADER_EXTRAS.search(line)) is not None:
            extras = tuple(e for e in match["extras"].split(",") if e)
    return version, extras
