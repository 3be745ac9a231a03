"""What a build asks to install from Airflow's own release, checked against what the package
index says that release provides, before anything is built: the extras (its Provides-Extra)
and the provider distributions named in the additional requirements (they exist on the index).
Pure: the caller reads the index.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from hangar.errors import BadInput

PROVIDER_PREFIX = "apache-airflow-providers-"


def check_extras(asked: Sequence[str], provided: Sequence[str], *, airflow_version: str) -> None:
    """BadInput naming every extra the release does not provide and the closest ones it does
    (names compared as packaging normalizes them: `cncf.kubernetes` is `cncf-kubernetes`).
    """
    known = {canonicalize_name(name) for name in provided}
    unknown = [extra for extra in asked if canonicalize_name(extra) not in known]
    if not unknown:
        return
    closest = sorted(
        {c for extra in unknown for c in _closest(canonicalize_name(extra), sorted(known))}
    )
    raise BadInput(
        f"unknown Airflow extra(s) for apache-airflow {airflow_version}: {', '.join(unknown)}",
        hint=(
            f"closest known: {', '.join(closest)}"
            if closest
            else f"it provides {len(known)} extras; see its Provides-Extra on the index"
        ),
    )


def provider_names(requirements: Sequence[str]) -> tuple[str, ...]:
    """The Airflow provider distributions among requirement strings (normalized, in order);
    a string that is not a requirement is left to the installer to refuse.
    """
    names: list[str] = []
    for text in requirements:
        try:
            name = canonicalize_name(Requirement(text).name)
        except InvalidRequirement:
            continue
        if name.startswith(PROVIDER_PREFIX) and name not in names:
            names.append(name)
    return tuple(names)


def check_providers(
    names: Sequence[str], *, exists: Callable[[str], bool], extras: Sequence[str], index: str
) -> None:
    """BadInput naming the first provider the index does not have, with the closest names of
    the providers the release's extras stand for.
    """
    for name in names:
        if exists(name):
            continue
        # compared without the prefix every provider shares, which would make all look close
        known = sorted({canonicalize_name(extra) for extra in extras})
        closest = [PROVIDER_PREFIX + c for c in _closest(name.removeprefix(PROVIDER_PREFIX), known)]
        raise BadInput(
            f"no provider {name} on {index}",
            hint=(
                f"closest known: {', '.join(closest)}"
                if closest
                else "check the name in --additional-python-deps"
            ),
        )


def _closest(name: str, known: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(name, known, n=3, cutoff=0.6)
