"""bytecode.py SITE_PACKAGES MODE: compile the bytecode of a virtualenv's site-packages, in
parallel, for the distributions MODE names:

  all   every module
  core  what Airflow's components import when they start: Airflow, its core and task SDK and
        everything they depend on, the code of every provider, and the dependencies of the
        providers the components start with (the Celery executor and worker, the FAB auth
        manager, HTTP, the standard operators), the metadata database's drivers, setuptools'
        start-up hook and what requests and httpx import when installed; requirements' extras
        are followed. Provider SDKs (Google, Azure, Amazon, ...) are compiled by Python on
        first import instead, as in the official image, which compiles none.
  none  nothing

Reads only the distributions' metadata (dist-info RECORD and Requires-Dist), so the build
machine's Python can do it for a virtualenv made for another platform. The bytecode goes where
the importer would write it (PYTHONPYCACHEPREFIX when set). Invalidation: timestamp, or
unchecked-hash when SOURCE_DATE_EPOCH is set (reproducible builds). Prints one summary line.
"""

from __future__ import annotations

import compileall
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import Distribution
from pathlib import Path
from py_compile import PycInvalidationMode

ROOTS = ("apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk")
STARTED_WITH = (
    "apache-airflow-providers-celery",
    "apache-airflow-providers-fab",
    "apache-airflow-providers-http",
    "apache-airflow-providers-standard",
    "apache-airflow-providers-common-compat",
)
# imported when the components start, if installed, though nothing above requires them: the
# metadata database's drivers, what requests and httpx take when it is there, and setuptools'
# distutils hook (a .pth file: every Python start). Measured with the default extras: what the
# components' entry modules import
IMPORTED_IF_THERE = (
    "setuptools",
    "psycopg2-binary",
    "psycopg2",
    "mysqlclient",
    "chardet",
    "h2",
    "httpx2",
    "bcrypt",
)
PROVIDER = "apache-airflow-providers-"
ALIASES = {"true": "all", "false": "none"}  # the values COMPILE_BYTECODE took before `core`


def distributions(site: Path) -> dict[str, Distribution]:
    from packaging.utils import canonicalize_name  # the venv's (main puts it on the path)

    found = {}
    for info in site.glob("*.dist-info"):
        dist = Distribution.at(info)
        name = dist.metadata["Name"]
        if name:
            found[canonicalize_name(name)] = dist
    return found


def closure(roots: list[str], dists: dict[str, Distribution]) -> set[str]:
    """The roots and everything they require, as installed: the extras a requirement names
    included (`httpx[http2]` brings h2), a root's own extras not.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    seen: set[tuple[str, str]] = set()
    stack = [(r, "") for r in roots if r in dists]
    while stack:
        name, extra = stack.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for line in dists[name].requires or ():
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate({"extra": extra}):
                continue
            if extra and (req.marker is None or "extra" not in str(req.marker)):
                continue  # the base requirements come with the extra-less visit
            dep = canonicalize_name(req.name)
            if dep in dists:
                stack += [(dep, "")] + [(dep, canonicalize_name(e)) for e in req.extras]
    return {name for name, _ in seen}


def chosen(mode: str, dists: dict[str, Distribution]) -> set[str]:
    if mode == "all":
        return set(dists)
    if mode == "none":
        return set()
    providers = [n for n in dists if n.startswith(PROVIDER)]
    return closure([*ROOTS, *STARTED_WITH, *IMPORTED_IF_THERE], dists) | set(providers)


def sources(names: set[str], dists: dict[str, Distribution], site: Path) -> list[str]:
    files = []
    for name in sorted(names):
        for entry in dists[name].files or ():
            path = (site / str(entry)).resolve()
            if path.suffix == ".py" and path.is_relative_to(site) and path.is_file():
                files.append(str(path))
    return files


def quiet() -> None:
    # old packages' SyntaxWarnings (invalid escape sequences) are theirs, not the build's
    warnings.simplefilter("ignore")


def compile_one(path: str) -> bool:
    mode = (
        PycInvalidationMode.UNCHECKED_HASH
        if os.environ.get("SOURCE_DATE_EPOCH")
        else PycInvalidationMode.TIMESTAMP
    )
    # force: a module imported while choosing (the venv's `packaging`) may already have
    # bytecode of the importer's kind; a reproducible build needs every file of the one kind
    return bool(compileall.compile_file(path, quiet=2, invalidation_mode=mode, force=True))


def main() -> int:
    site, mode = Path(sys.argv[1]).resolve(), ALIASES.get(sys.argv[2].lower(), sys.argv[2].lower())
    if mode not in ("all", "core", "none"):
        print(f"bytecode.py: unknown mode {mode!r} (all, core or none)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(site))  # the venv's own `packaging` reads the requirements
    sys.dont_write_bytecode = True  # and leaves no bytecode of its own
    dists = distributions(site)
    names = chosen(mode, dists)
    files = sources(names, dists, site)
    with ProcessPoolExecutor(initializer=quiet) as pool:
        ok = sum(pool.map(compile_one, files, chunksize=64))
    print(
        f"bytecode ({mode}): {ok} of {len(files)} modules of {len(names)} of {len(dists)} "
        "distributions compiled"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
