"""The values every feature shares, defined once: supported Python versions, Airflow versions,
image references and option lists (pure, no I/O).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from hangar.errors import BadInput

# The Python versions hangar builds for unless the config says otherwise (`pythons`); which of
# them an Airflow release supports comes from its own Requires-Python (supported_pythons).
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
DEFAULT_PYTHON = "3.13"
# Debian releases the image is built on (the base image's), the default first: trixie is the
# stable release; bookworm's regular security support ended in 2026; forky is the testing
# release (the one with Python 3.14)
SUPPORTED_DEBIAN = ("trixie", "bookworm", "forky")
# the Python each Debian release ships as python3 (what a base image built from Debian
# packages has)
DEBIAN_PYTHON = {"bookworm": "3.11", "trixie": "3.13", "forky": "3.14"}
DEFAULT_AIRFLOW_VERSION = "3.3.2"
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_VERSION_HINT = "use X.Y.Z, e.g. 3.3.2 or 3.4.0rc1"
_RELEASE_PARTS = 3  # an Airflow release is X.Y.Z


def python_key(python: str) -> tuple[int, ...]:
    """Sort key of a Python version: 3.9 < 3.10."""
    return tuple(int(part) for part in python.split(".") if part.isdigit())


def validate_python(text: str) -> str:
    """A supported Python version, or BadInput naming the supported ones."""
    if text not in SUPPORTED_PYTHONS:
        raise BadInput(
            f"unknown Python version {text}", hint=f"supported: {', '.join(SUPPORTED_PYTHONS)}"
        )
    return text


def supports_python(requires_python: str, python: str) -> bool:
    """Whether a release whose Requires-Python is `requires_python` (empty: any) runs on
    `python` (X.Y, taken as X.Y.0).
    """
    if not requires_python:
        return True
    try:
        return Version(python) in SpecifierSet(requires_python)
    except (InvalidSpecifier, InvalidVersion):
        return False


def pythons_supported(
    requires_python: str, pythons: Iterable[str] = SUPPORTED_PYTHONS
) -> tuple[str, ...]:
    """Those of `pythons`, in their order, that a release whose Requires-Python is
    `requires_python` runs on.
    """
    return tuple(p for p in pythons if supports_python(requires_python, p))


def supported_pythons(
    pythons: Iterable[str], *, airflow_version: str, requires_python: str
) -> tuple[str, ...]:
    """`pythons` when the Airflow release supports each of them, else BadInput (exit 5) in one
    line naming the release's Requires-Python and the SUPPORTED_PYTHONS it does support.
    """
    wanted = tuple(pythons)
    refused = [p for p in wanted if not supports_python(requires_python, p)]
    if refused:
        ok = pythons_supported(requires_python)
        raise BadInput(
            f"Airflow {airflow_version} does not support Python {', '.join(refused)}"
            f" (Requires-Python {requires_python})",
            hint=f"it supports {', '.join(ok)}" if ok else "no Python hangar knows",
        )
    return wanted


def parse_airflow_version(text: str) -> Version:
    """An Airflow release version (X.Y.Z, pre-releases included), or BadInput."""
    try:
        version = Version(text)
    except InvalidVersion:
        raise BadInput(f"{text!r} is not a valid Airflow version", hint=_VERSION_HINT) from None
    if len(version.release) != _RELEASE_PARTS:
        raise BadInput(f"{text!r} is not a valid Airflow version", hint=_VERSION_HINT)
    return version


def validate_airflow_version(text: str) -> str:
    parse_airflow_version(text)
    return text


def split_list(values: Iterable[str]) -> tuple[str, ...]:
    """Repeatable options that also take comma-separated values: `--x a,b --x c` -> (a, b, c)."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def split_words(values: Iterable[str]) -> tuple[str, ...]:
    """Repeatable options whose values are space-separated words (packages, requirements)."""
    return tuple(word for value in values for word in value.split())


@dataclass(frozen=True, kw_only=True)
class ImageRef:
    """`registry/repository:tag` or `registry/repository@digest`; `registry` may be empty."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag}" if self.tag else self.name

    @property
    def name(self) -> str:
        """The reference without tag or digest."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def reference(self) -> str:
        """What the registry's manifests endpoint takes: the digest, else the tag."""
        return self.digest or self.tag or "latest"

    def with_tag(self, tag: str) -> ImageRef:
        return ImageRef(registry=self.registry, repository=self.repository, tag=tag)


def parse_ref(text: str) -> ImageRef:
    """Split an image reference. The first path part is a registry when it has a dot or a
    colon or is `localhost` (the rule docker uses).
    """
    rest, _, digest = text.partition("@")
    tag = ""
    last_slash = rest.rfind("/")
    if ":" in rest[last_slash + 1 :]:
        rest, tag = rest.rsplit(":", 1)
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = "", rest
    if not repository or (tag and not _TAG.match(tag)):
        raise BadInput(f"not an image reference: {text!r}", hint="use REGISTRY/NAME:TAG")
    return ImageRef(
        registry=registry, repository=repository, tag=tag or None, digest=digest or None
    )


def parse_pushed_ref(text: str) -> ImageRef:
    """A reference that names its registry and a tag (`host[:port]/repo/name:tag`), as
    anything read from a registry's API needs.
    """
    ref = parse_ref(text)
    if not ref.registry:
        raise BadInput(f"{text}: name the registry (e.g. 127.0.0.1:5000/airflow:tag)")
    if not ref.tag:
        raise BadInput(f"{text}: give a tag (REGISTRY/REPOSITORY:TAG)")
    return ref


def validate_debian(text: str) -> str:
    """A Debian release hangar builds on, or BadInput listing them."""
    if text not in SUPPORTED_DEBIAN:
        raise BadInput(
            f"unknown Debian release {text!r}", hint=f"supported: {', '.join(SUPPORTED_DEBIAN)}"
        )
    return text


def without_credentials(url: str) -> str:
    """`https://user:pw@host/simple` -> `https://host/simple`: a URL safe to show."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
