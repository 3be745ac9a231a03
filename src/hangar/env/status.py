"""Is everything a build needs there: an engine with buildx, the registry, the base image of
each configured Python version; and what to run when something is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from hangar.config import Config
from hangar.errors import EngineUnavailable, HangarError, NotFound, RegistryUnavailable, StepFailed
from hangar.ports import Engine, ImageProbe

FIX_ENGINE = "hangar env up (or: sudo scripts/setup-env.sh)"


@dataclass(frozen=True, kw_only=True)
class Check:
    what: str
    ok: bool
    detail: str
    fix: str = ""
    error: type[HangarError] = StepFailed


def status_checks(
    config: Config, *, engine: Engine, probe: ImageProbe, host_platform: str = ""
) -> tuple[Check, ...]:
    checks: list[Check] = []
    try:
        server, buildx = engine.versions()
        checks.append(Check(what="engine", ok=True, detail=f"Docker {server}"))
        checks.append(Check(what="buildx", ok=True, detail=buildx))
        engine_ok = True
        checks.append(platforms_check(probe, host_platform))
        checks += builder_checks(probe)
    except EngineUnavailable as exc:
        checks.append(
            Check(
                what="engine + buildx",
                ok=False,
                detail=exc.message,
                fix=FIX_ENGINE,
                error=EngineUnavailable,
            )
        )
        engine_ok = False
    registry = config["registry"]
    if registry:
        up = probe.registry_reachable(registry)
        checks.append(
            Check(
                what="registry",
                ok=up,
                detail=f"{registry} {'answers' if up else 'does not answer'}",
                fix="" if up else "hangar env up --test",
                error=RegistryUnavailable,
            )
        )
    else:
        checks.append(Check(what="registry", ok=True, detail="none configured (local images)"))
    for python in config.list("pythons"):
        ref = config.base_image_for(python)
        where = probe.image_available(ref) if engine_ok else None
        checks.append(
            Check(
                what=f"base image {python}",
                ok=where is not None,
                detail=f"{ref} ({where})" if where else f"{ref} not found",
                fix="" if where else f"hangar base build --python {python} --push",
                error=NotFound,
            )
        )
    return tuple(checks)


def main_platforms(platforms: tuple[str, ...]) -> list[str]:
    """linux/amd64, not its variants linux/amd64/v2 …"""
    return [p for p in platforms if p.count("/") == 1]


def platforms_check(probe: ImageProbe, host_platform: str) -> Check:
    """The platforms the builder builds and runs; those not the machine's own are emulated."""
    main = main_platforms(probe.builder_platforms())
    shown = [p if p == host_platform else f"{p} (emulated)" for p in main]
    return Check(
        what="platforms",
        ok=bool(main),
        detail=", ".join(shown) or "the builder lists none",
        fix="" if len(main) > 1 else "sudo scripts/setup-env.sh --emulation",
    )


def builder_checks(probe: ImageProbe) -> list[Check]:
    """One row per buildx builder when there are several (`--builder NAME` picks one): its
    driver and each node's status and platforms.
    """
    builders = probe.builders()
    if len(builders) < 2:  # noqa: PLR2004 -- only the current one: the platforms row says it
        return []
    return [
        Check(
            what=f"builder {builder.name}",
            ok=True,
            detail=f"{builder.driver}: "
            + "; ".join(
                f"{node.name} ({node.status}) " + ", ".join(main_platforms(node.platforms))
                for node in builder.nodes
            ),
        )
        for builder in builders
    ]


def first_failure(checks: tuple[Check, ...]) -> HangarError | None:
    """The error to exit with: the first missing thing's, naming all of them."""
    missing = [c for c in checks if not c.ok]
    if not missing:
        return None
    first = missing[0]
    return first.error(f"missing: {', '.join(c.what for c in missing)}", hint=f"run: {first.fix}")
