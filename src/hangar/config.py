"""hangar's settings: built-in defaults, then the machine's environment overlay (written by
scripts/setup-env.sh where there is no Docker Hub), then the project's config file
(`hangar.toml`, or `[tool.hangar]` in pyproject.toml), then `HANGAR_*` environment variables,
then command-line options. Each value remembers where it came from, for `hangar config show`.
`load_config` reads the files; everything else here is pure.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hangar.errors import BadInput
from hangar.values import (
    DEFAULT_AIRFLOW_VERSION,
    DEFAULT_PYTHON,
    SUPPORTED_DEBIAN,
    SUPPORTED_PYTHONS,
)

# name -> (default, help). Values are strings; lists are comma-separated.
SETTINGS: dict[str, tuple[str, str]] = {
    "registry": (
        "",
        "registry that images and the build cache are pushed to (empty: local images only)",
    ),
    "image_name": ("airflow", "repository name of the images inside the registry"),
    "base_image": (
        "python:{python}-slim-{debian}",
        "base image pattern; {python} and {debian} are filled in per Python version",
    ),
    "debian": (
        "trixie",
        (
            "Debian release of the base image: one for every Python version (trixie, bookworm, "
            "forky), or per Python version (3.11=bookworm,3.13=trixie,3.14=forky)"
        ),
    ),
    "pythons": (",".join(SUPPORTED_PYTHONS), "Python versions hangar builds for (--python all)"),
    "default_python": (
        DEFAULT_PYTHON,
        "Python version built and run when none is given (image build, quick start, dags check)",
    ),
    "bare_tag_python": (
        "",
        (
            "Python version of the un-suffixed release tags (X.Y.Z, latest); empty: the one "
            "Airflow's release process uses for that version"
        ),
    ),
    "airflow_version": (DEFAULT_AIRFLOW_VERSION, "Airflow version built by default"),
    "ca_bundle": ("", "CA bundle given to builds as a BuildKit secret (TLS-intercepting proxies)"),
    "index_url": ("", "Python package index for builds and constraints (may hold credentials)"),
    "extra_index_urls": ("", "more Python package indexes, comma-separated"),
    "network": ("host", "network mode of build steps (host, default or none)"),
    "platform": ("", "target platform(s); empty means the engine's own"),
    "refresh_mode": (
        "patch",
        ("how `image refresh-released` fixes pending security updates: patch or refresh-base"),
    ),
    "quickstart_network": (
        "",
        "network of the quick start: empty for compose's own, `host` for host networking",
    ),
    "debian_security_mirror": (
        "http://deb.debian.org/debian-security",
        "Debian security archive `hangar image scan` reads the security suites from",
    ),
    "log_dir": (".hangar/logs", "folder for the per-job build logs"),
    "cache_dir": (".hangar/cache", "folder for cached constraints and build metadata"),
}
SECRET_SETTINGS = frozenset({"index_url", "extra_index_urls"})
CONFIG_FILES = ("hangar.toml", "pyproject.toml")


@dataclass(frozen=True, kw_only=True)
class Setting:
    name: str
    value: str
    source: str  # "default", a file name, "env HANGAR_X" or "option --x"

    def shown(self) -> str:
        """The value as safe to print: secrets are masked."""
        if self.name in SECRET_SETTINGS and self.value:
            return "****"
        return self.value


@dataclass(frozen=True, kw_only=True)
class Config:
    settings: Mapping[str, Setting] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.settings[name].value

    def list(self, name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in self[name].split(",") if v.strip())

    def debian_for(self, python: str) -> str:
        """The Debian release of `python`'s base image: its entry in the table, else the
        setting's bare release, else the first supported one (trixie).
        """
        items = self.list("debian")
        table = dict(item.split("=", 1) for item in items if "=" in item)
        bare = [item for item in items if "=" not in item]
        return table.get(python) or (bare[0] if bare else SUPPORTED_DEBIAN[0])

    def base_image_for(self, python: str) -> str:
        return self["base_image"].format(python=python, debian=self.debian_for(python))

    def image_repository(self) -> str:
        registry = self["registry"].rstrip("/")
        return f"{registry}/{self['image_name']}" if registry else self["image_name"]


def find_config_file(start: Path) -> Path | None:
    """The nearest hangar.toml, or pyproject.toml with a [tool.hangar] table, from `start` up."""
    for folder in (start, *start.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file() and (
                name != "pyproject.toml" or "[tool.hangar]" in candidate.read_text()
            ):
                return candidate
    return None


def file_settings(path: Path, text: str) -> dict[str, str]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML ({exc})", hint="fix the file") from exc
    table = data.get("tool", {}).get("hangar", {}) if path.name == "pyproject.toml" else data
    unknown = sorted(set(table) - set(SETTINGS))
    if unknown:
        raise BadInput(
            f"{path}: unknown setting(s) {', '.join(unknown)}",
            hint=f"known settings: {', '.join(SETTINGS)}",
        )
    return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in table.items()}


def resolve(
    *,
    files: Sequence[tuple[Path, str]] = (),
    environ: Mapping[str, str],
    options: Mapping[str, str | None],
    shown_as: Mapping[Path, str] | None = None,
) -> Config:
    """Merge defaults < each file in turn < HANGAR_* environment < options (None = not
    given). `shown_as` names a file's source for `config show` (default: its file name).
    """
    layers = [
        (shown_as.get(path, path.name) if shown_as else path.name, file_settings(path, text))
        for path, text in files
    ]
    settings: dict[str, Setting] = {}
    for name, (default, _help) in SETTINGS.items():
        setting = Setting(name=name, value=default, source="default")
        for source, values in layers:
            if name in values:
                setting = Setting(name=name, value=values[name], source=source)
        env_name = f"HANGAR_{name.upper()}"
        if env_name in environ:
            setting = Setting(name=name, value=environ[env_name], source=f"env {env_name}")
        option = options.get(name)
        if option is not None:
            setting = Setting(name=name, value=option, source=f"option --{name.replace('_', '-')}")
        settings[name] = setting
    return Config(settings=settings)


def load_config(
    *,
    start: Path,
    overlay: Path | None,
    environ: Mapping[str, str],
    options: Mapping[str, str | None],
) -> Config:
    """Read the environment overlay (machine-wide settings) and the project's config file
    near `start`, then resolve. The only file reading of the settings.
    """
    files: list[tuple[Path, str]] = []
    if overlay is not None and overlay.is_file():
        files.append((overlay, overlay.read_text(encoding="utf-8")))
    project = find_config_file(start)
    if project is not None:
        files.append((project, project.read_text(encoding="utf-8")))
    shown = {overlay: str(overlay)} if overlay is not None else {}
    return resolve(files=files, environ=environ, options=options, shown_as=shown)


_USERINFO = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):[^@/\s]+@", re.IGNORECASE
)


def mask_credentials(text: str) -> str:
    """Hide the password of any `scheme://user:password@host` inside `text`."""
    return _USERINFO.sub(r"\g<scheme>\g<user>:****@", text)


def shown_settings(config: Config) -> tuple[tuple[str, str, str, str], ...]:
    """(name, value safe to print, source, help) for every setting, in definition order."""
    return tuple(
        (name, mask_credentials(config.settings[name].shown()), config.settings[name].source, help_)
        for name, (_default, help_) in SETTINGS.items()
        if name in config.settings
    )
