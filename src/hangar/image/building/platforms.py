"""Which platforms the builder can build for: its own, and others only with emulation (qemu
binfmt) or a node of that platform. Asking for one it cannot run is refused before anything
starts.
"""

from __future__ import annotations

from collections.abc import Sequence

from hangar.errors import BadInput, NotFound
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


def resolves_from_engine(
    probe: ImageProbe, *, builder: str | None, docker_context: str | None
) -> bool:
    """Whether the build's BuildKit is the engine's own (a `docker`-driver builder), which takes
    a base image from the engine's image store before the registry.
    """
    if docker_context is not None:
        return True
    found = probe.builders()
    chosen = [b for b in found if b.name == builder] if builder else list(found[:1])
    return bool(chosen) and chosen[0].driver == "docker"


def ensure_base_platforms(
    probe: ImageProbe, base: str, platforms: Sequence[str], *, from_engine: bool
) -> None:
    """The base image, as BuildKit will resolve it (the engine's own copy first, for the
    engine's builder), has every platform asked for: else one line naming the image, the
    platforms it lacks and what to run.
    """
    registry = probe.registry_copy(base)
    engine = probe.engine_copy(base) if from_engine else None
    if engine is not None and registry is not None and engine.digest == registry.digest:
        engine = None  # the engine holds the registry's index itself
    copy, where = (engine, "the engine's copy") if engine is not None else (registry, "it")
    if copy is None:
        if not from_engine and probe.engine_copy(base) is not None:
            raise NotFound(
                f"base image {base} is only in the engine, which this builder does not read "
                "(it takes base images from registries)",
                hint="push it (`hangar base build --push`), or build with the engine's builder",
            )
        return  # not there at all: check_base_images says so
    lacking = [p for p in platforms if not _has(copy.platforms, p)]
    if not lacking:
        return
    has = ", ".join(copy.platforms) or "no platform"
    if (
        engine is not None
        and registry is not None
        and not [p for p in platforms if not _has(registry.platforms, p)]
    ):
        raise NotFound(
            f"base image {base}: the engine's own copy ({has}) hides the registry's index "
            f"({', '.join(registry.platforms)}), and the engine's builder builds on it",
            hint=f"run `docker pull {base}` (the engine then holds the registry's index), "
            "then build again",
        )
    raise NotFound(
        f"base image {base} has no {', '.join(lacking)} ({where} has {has})",
        hint=f"build it for {','.join(platforms)}: `hangar base build --platform "
        f"{','.join(platforms)} --push`, or leave {', '.join(lacking)} out",
    )


def _has(platforms: Sequence[str], wanted: str) -> bool:
    """`linux/arm64` is `linux/arm64/v8`: a platform without its variant matches any."""
    want = wanted.split("/")
    return any(p.split("/")[: len(want)] == want or want[:2] == p.split("/") for p in platforms)
