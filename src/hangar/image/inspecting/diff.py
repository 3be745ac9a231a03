"""`hangar image diff A B`: what changed between two images — Python distributions (Airflow and
its providers first), Debian packages, labels and layers. Pure: the CLI reads both images
(sbom.read_contents, the engine's inspect and history) and renders the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from debian.debian_support import Version as DebianVersion
from packaging.version import InvalidVersion, Version

from hangar.image.inspecting.sbom import ImageContents
from hangar.ports import HistoryEntry

AIRFLOW = ("apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk")
PROVIDER_PREFIX = "apache-airflow-providers-"


@dataclass(frozen=True, kw_only=True)
class Change:
    """One name whose value differs: added (old None), removed (new None) or changed."""

    name: str
    old: str | None
    new: str | None
    kind: str  # added, removed, upgraded, downgraded, changed


@dataclass(frozen=True, kw_only=True)
class Layers:
    """An image's layers, oldest first, and how many of them the other image has too."""

    entries: tuple[HistoryEntry, ...]  # the layers that hold files, with their instruction
    in_other: tuple[bool, ...]  # for each entry: the other image has that very layer too
    count: int  # layers in all (the image's root file system)

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    @property
    def shared(self) -> int:
        return sum(self.in_other)

    @property
    def own(self) -> tuple[HistoryEntry, ...]:
        return tuple(e for e, shared in zip(self.entries, self.in_other, strict=True) if not shared)


@dataclass(frozen=True, kw_only=True)
class ImageDiff:
    a: str
    b: str
    python: tuple[Change, ...]
    debian: tuple[Change, ...]
    labels: tuple[Change, ...]
    layers_a: Layers
    layers_b: Layers

    @property
    def identical(self) -> bool:
        return not (self.python or self.debian or self.labels) and (
            self.layers_a.shared == self.layers_a.count == self.layers_b.count
            and not self.layers_b.own
        )


def python_order(name: str) -> tuple[int, str]:
    """Airflow itself first, then its providers, then everything else, each by name."""
    if name in AIRFLOW:
        return (0, f"{AIRFLOW.index(name)}")
    return (1 if name.startswith(PROVIDER_PREFIX) else 2, name)


def _python_kind(old: str, new: str) -> str:
    try:
        return "upgraded" if Version(new) > Version(old) else "downgraded"
    except InvalidVersion:
        return "changed"


def _debian_kind(old: str, new: str) -> str:
    return "upgraded" if DebianVersion(new) > DebianVersion(old) else "downgraded"


def changes(
    old: Mapping[str, str],
    new: Mapping[str, str],
    *,
    kind: Callable[[str, str], str],
    order: Callable[[str], Any] = str,
) -> tuple[Change, ...]:
    """Every name added, removed or with another value, in `order`."""
    found = []
    for name in sorted(set(old) | set(new), key=order):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if before is None:
            found.append(Change(name=name, old=None, new=after, kind="added"))
        elif after is None:
            found.append(Change(name=name, old=before, new=None, kind="removed"))
        else:
            found.append(Change(name=name, old=before, new=after, kind=kind(before, after)))
    return tuple(found)


def _versions(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each name with its version (a name installed twice: both versions)."""
    found: dict[str, list[str]] = {}
    for name, version in pairs:
        found.setdefault(name, []).append(version)
    return {name: ", ".join(sorted(versions)) for name, versions in found.items()}


def _debian_key(name: str, arch: str, native: str) -> str:
    return name if arch in (native, "all", "") else f"{name}:{arch}"


def layers(
    entries: Sequence[HistoryEntry], diff_ids: Sequence[str], other: Sequence[str]
) -> Layers:
    """An image's layers, each marked with whether the other image has it (same content).
    The history's layers that hold files and the root file system's are the same list; where
    they are not (an image made otherwise), the layers up to the first difference count.
    """
    if len(entries) == len(diff_ids):
        theirs = set(other)
        in_other = tuple(d in theirs for d in diff_ids)
    else:
        prefix = 0
        for left, right in zip(diff_ids, other, strict=False):
            if left != right:
                break
            prefix += 1
        in_other = tuple(i < prefix for i in range(len(entries)))
    return Layers(entries=tuple(entries), in_other=in_other, count=len(diff_ids))


def image_diff(
    a: ImageContents,
    b: ImageContents,
    *,
    inspected: tuple[Mapping[str, Any], Mapping[str, Any]],
    history: tuple[Sequence[HistoryEntry], Sequence[HistoryEntry]],
) -> ImageDiff:
    """What changed from image `a` to image `b`."""
    labels = [((i.get("Config") or {}).get("Labels") or {}) for i in inspected]
    diff_ids = [tuple((i.get("RootFS") or {}).get("Layers") or ()) for i in inspected]
    return ImageDiff(
        a=a.image,
        b=b.image,
        python=changes(
            _versions((p.name, p.version) for p in a.python),
            _versions((p.name, p.version) for p in b.python),
            kind=lambda old, new: _python_kind(old, new) if "," not in old + new else "changed",
            order=python_order,
        ),
        debian=changes(
            _versions((_debian_key(p.name, p.arch, a.debian.arch), p.version) for p in a.packages),
            _versions((_debian_key(p.name, p.arch, b.debian.arch), p.version) for p in b.packages),
            kind=lambda old, new: _debian_kind(old, new) if "," not in old + new else "changed",
        ),
        labels=changes(labels[0], labels[1], kind=lambda _old, _new: "changed"),
        layers_a=layers(history[0], diff_ids[0], diff_ids[1]),
        layers_b=layers(history[1], diff_ids[1], diff_ids[0]),
    )
