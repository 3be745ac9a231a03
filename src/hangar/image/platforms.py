"""Which platforms the builder can build for: its own, and others only with emulation (qemu
binfmt) or a node of that platform. Asking for one it cannot run is refused before anything
starts.
"""

from __future__ import annotations

from collections.abc import Sequence

from hangar.errors import BadInput
from hangar.ports import ImageProbe

EMULATION_HINT = (
    "set up emulation (scripts/setup-env.sh installs qemu-user-static and binfmt-support), "
    "or leave those platforms out"
)


def ensure_loadable(probe: ImageProbe, platforms: Sequence[str], *, push: bool) -> None:
    """A multi-platform image not pushed goes into the engine: only its containerd image
    store keeps one.
    """
    if push or len(platforms) <= 1 or probe.stores_multi_platform():
        return
    raise BadInput(
        f"the engine cannot keep a multi-platform image ({', '.join(platforms)}): its image "
        "store is not containerd's",
        hint="push it (--push), build one platform at a time, or turn on the containerd image "
        'store ("features": {"containerd-snapshotter": true} in /etc/docker/daemon.json)',
    )


def ensure_runnable(
    probe: ImageProbe,
    platforms: Sequence[str],
    *,
    host_platform: str,
    builder: str | None = None,
) -> None:
    """Refuse platforms the builder does not list (`docker buildx inspect [BUILDER]`); that
    a named builder exists is checked where --builder is read (cli/options.py).
    """
    if builder is None and (not platforms or tuple(platforms) == (host_platform,)):
        return
    runnable = probe.builder_platforms(builder)
    missing = [p for p in platforms if p not in runnable]
    if missing:
        who = f"builder {builder}" if builder else "the builder"
        raise BadInput(
            f"{who} cannot run {', '.join(missing)} (it runs {', '.join(runnable) or 'nothing'})",
            hint=EMULATION_HINT,
        )


def ensure_cache_exportable(
    platforms: Sequence[str], *, host_platform: str, builder: str | None
) -> None:
    """The engine's own builder (Docker 26's BuildKit) cannot export the `mode=max` registry
    cache of an emulated build: its memory grows without bound in "preparing build cache for
    export". Refused before anything starts; a named builder (a native node, a newer BuildKit)
    is the way.
    """
    if builder is not None:
        return
    machine = host_platform.split("/")[:2]
    emulated = [p for p in platforms if p.split("/")[:2] != machine]
    if emulated:
        raise BadInput(
            f"the engine's builder cannot export the registry cache of an emulated build "
            f"({', '.join(emulated)}): its BuildKit runs out of memory doing it",
            hint="refresh that platform's cache with --builder NAME, a builder with a native "
            "node of it or a newer BuildKit (see `hangar env status`)",
        )
