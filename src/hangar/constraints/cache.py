"""Generating constraints files, and a cache of them keyed by every input.

`ensure_constraints` is the plug-in point for `hangar image build`: when a build is given no
constraints location, it asks for the constraints of the Airflow and Python versions being
built and copies the returned file into the build context.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from hangar import __version__
from hangar.constraints.files import render
from hangar.constraints.resolve import (
    DEFAULT_INDEX_URL,
    DEFAULT_PLATFORM,
    Mode,
    ResolveRequest,
    default_exclude_newer,
    header,
    output_name,
)
from hangar.constraints.resolver import Resolver
from hangar.errors import NotFound
from hangar.ports import PythonRequirements, ReleaseExtras, UploadTimes


def tool_versions(resolver: Resolver) -> str:
    return f"hangar {__version__} and {resolver.version()}"


def release_cutoff(index: UploadTimes, airflow_version: str) -> datetime:
    """The default --exclude-newer for a released Airflow version (see default_exclude_newer)."""
    uploaded = index.release_upload_time("apache-airflow", airflow_version)
    if uploaded is None:
        raise NotFound(
            f"the index does not say when apache-airflow {airflow_version} was uploaded",
            hint="pass --exclude-newer explicitly",
        )
    return default_exclude_newer(uploaded)


def release_requires_python(
    index: PythonRequirements, airflow_version: str, cache_dir: Path, *, keep: bool = True
) -> str:
    """apache-airflow `airflow_version`'s Requires-Python, from the index once, then from
    `cache_dir` (a release's files never change, so the answer is kept for good); empty, and
    not kept, when the index has no such release (a version built from local files): there is
    nothing to check against. `keep=False` (a dry run) writes nothing.
    """
    cached = cache_dir / "requires-python" / f"apache-airflow-{airflow_version}.txt"
    found = _release_fact(
        cached, lambda: index.requires_python("apache-airflow", airflow_version), keep=keep
    )
    return found or ""


def release_extras(
    index: ReleaseExtras, airflow_version: str, cache_dir: Path, *, keep: bool = True
) -> tuple[str, ...] | None:
    """The extras apache-airflow `airflow_version` declares, from the index once, then from
    `cache_dir` (kept like the Requires-Python); None when the index has no such release.
    """
    cached = cache_dir / "provides-extra" / f"apache-airflow-{airflow_version}.txt"
    found = _release_fact(
        cached,
        lambda: " ".join(index.provides_extra("apache-airflow", airflow_version)),
        keep=keep,
    )
    return None if found is None else tuple(found.split())


def _release_fact(cached: Path, fetch: Callable[[], str], *, keep: bool) -> str | None:
    """A fact of a release (one line): kept in `cached` once read, since a release's files
    never change; None, and not kept, when the index has no such release.
    """
    if cached.is_file():
        return cached.read_text().strip()
    try:
        found = fetch()
    except NotFound:
        return None
    if keep:
        write_atomically(cached, found + "\n")
    return found


def generate_text(request: ResolveRequest, resolver: Resolver, *, tools: str) -> str:
    """Resolve and render one constraints file. Same request and tools, same bytes."""
    pins = resolver.resolve(request)
    return render(header=header(request, tool_versions=tools), pins=pins)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` so readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_constraints(
    *,
    airflow_version: str,
    python: str,
    extras: tuple[str, ...],
    mode: Mode,
    cache_dir: Path,
    resolver: Resolver,
    index: UploadTimes | None = None,
    exclude_newer: datetime | None = None,
    index_url: str = DEFAULT_INDEX_URL,
    platform: str = DEFAULT_PLATFORM,
) -> Path:
    """Return a constraints file for these inputs, generating it on first use.

    The file lives at `cache_dir/<key>/<mode>-<python>.txt`, where the key digests every input
    (Airflow and Python versions, extras, mode, cut-off, index, platform, hangar and uv
    versions), so a cached file is only ever reused for identical inputs. Without
    `exclude_newer` the cut-off is the Airflow release's upload time, read from `index`
    (required then). Raises ResolutionConflict, NotFound or StepFailed like `generate`.
    `constraints-source-providers` needs a providers folder and is not served here.
    """
    if mode is Mode.SOURCE_PROVIDERS:
        raise ValueError("ensure_constraints does not serve constraints-source-providers")
    if exclude_newer is None:
        if index is None:
            raise ValueError("give exclude_newer or an index to read the release time from")
        exclude_newer = release_cutoff(index, airflow_version)
    request = ResolveRequest(
        airflow_version=airflow_version,
        python=python,
        mode=mode,
        extras=tuple(sorted(extras)) if mode is not Mode.NO_PROVIDERS else (),
        exclude_newer=exclude_newer,
        index_url=index_url,
        platform=platform,
    )
    tools = tool_versions(resolver)
    path = cache_dir / request.cache_key(tool_versions=tools) / output_name(mode, python)
    if path.is_file():
        return path
    write_atomically(path, generate_text(request, resolver, tools=tools))
    return path
