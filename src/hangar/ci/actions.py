"""The GitHub Actions the generated workflows use, each pinned to the commit of one release tag:
one table, `actions.toml` next to this module, that the workflow generator reads (pure: the
table ships inside the package).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, kw_only=True)
class PinnedAction:
    repository: str  # owner/name on GitHub
    version: str  # the release tag, vX.Y.Z
    commit: str  # the full commit the tag points at

    @property
    def uses(self) -> str:
        """The `uses:` value: the action at its commit, the tag as a YAML comment after it."""
        return f"{self.repository}@{self.commit}  # {self.version}"


@cache
def pinned_actions() -> Mapping[str, PinnedAction]:
    """The table, by the generator's name for each action."""
    return parse_actions(
        tomllib.loads(files("hangar.ci").joinpath("actions.toml").read_text("utf-8"))
    )


def parse_actions(table: Mapping[str, Mapping[str, str]]) -> Mapping[str, PinnedAction]:
    """The rows of the table; one that is not a repository, a vX.Y.Z tag and a full commit is a
    ValueError (the table is part of the code).
    """
    actions = {name: PinnedAction(**row) for name, row in table.items()}
    for name, action in actions.items():
        if not (
            _REPOSITORY.match(action.repository)
            and _VERSION.match(action.version)
            and _COMMIT.match(action.commit)
        ):
            raise ValueError(f"actions.toml [{name}] is not pinned to a tag's full commit")
    return actions
