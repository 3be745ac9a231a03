"""Why a `docker compose` command failed, in compose's own words, and what to do about it.

`last_error_line` finds compose's last meaningful line on stderr (progress lines such as
` Container p-redis-1  Started` and warnings skipped); `find_cause` sorts it into a kind with
the image, service or port it names; `explain` turns that into one HangarError whose message
quotes compose's line and whose hint says what to do. Pure: tests feed recorded stderr.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hangar.errors import EngineUnavailable, HangarError, StepFailed
from hangar.quickstart.settings import ImageChoice
from hangar.quickstart.state import Readiness, service_of

Kind = Literal["engine", "image", "network", "port", "service", "timeout", "other"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_STATUS = (
    r"(?:Pulling|Pulled|Waiting|Creating|Created|Recreate|Recreated|Starting|Started|Healthy"
    r"|Running|Stopping|Stopped|Removing|Removed|Killing|Killed|Restarting|Exited|Interrupted"
    r"|Skipped|Downloading|Extracting|Verifying Checksum|Download complete|Pull complete"
    r"|Already exists|Waiting for \S+)"
)
# ` Container p-redis-1  Started`, ` postgres Pulling `, `[+] Running 3/3`,
# `✔ Network x Created 0.1s`
_PROGRESS = re.compile(
    rf"^\s*(?:\[\+\].*|(?:[✔✘⠿!\-]\s*)?(?:(?:Container|Network|Volume|Image)\s+)?\S+\s+{_STATUS}"
    r"(?:\s+[\d.]+m?s)?\s*)$"
)
_WARNING = re.compile(r"^(?:time=\S+\s+)?level=(?:warning|info|debug)\b|^WARN\[\d+\]")
_IMAGE_IN_LINE = (
    re.compile(r'failed to resolve reference "(?P<image>[^"]+)"'),
    re.compile(r"pull access denied for (?P<image>[^,\s]+)"),
    re.compile(r"manifest for (?P<image>\S+) not found"),
    re.compile(r"No such image: (?P<image>\S+)"),
)
# compose 2.30 and later: `✘ Image postgres:16 Error failed to resolve …`
_IMAGE_PROGRESS = re.compile(r"^\s*(?:✘\s*)?Image (?P<image>\S+)\s+Error\b", re.MULTILINE)
_PULL_TROUBLE = re.compile(
    r"pull access denied|manifest unknown|repository does not exist|toomanyrequests"
    r'|Get "https://[^"]+/v2/|registry-1\.docker\.io|failed to resolve reference|No such image',
    re.IGNORECASE,
)
_SERVICE_ERROR = re.compile(
    r"^\s*(?:✘\s*)?(?!Container\b|Network\b|Volume\b|Image\b)(\S+)\s+Error\b"
)
_NETWORK = re.compile(
    r"failed to create network|could not find plugin bridge|plugin \"?bridge\"? not found"
    r"|failed to create endpoint \S+ on network|pair interfaces|add bridge failed"
    r"|non-overlapping IPv4 address pool|failed to set up container networking"
    r"|bridge\S* network.*(?:not supported|operation not permitted|disabled)",
    re.IGNORECASE,
)
_ENGINE = re.compile(
    r"Cannot connect to the Docker daemon|Is the docker daemon running"
    r"|permission denied while trying to connect to the Docker daemon",
    re.IGNORECASE,
)
_PORT = re.compile(
    r"failed to bind host port \S*?:(?P<a>\d+)/\w+: address already in use"
    r"|Bind for \S*?:(?P<b>\d+) failed: port is already allocated"
    r"|listen tcp\d? \S*?:(?P<c>\d+): bind: address already in use"
)
_SERVICE = (
    re.compile(r"container (?P<container>\S+) is unhealthy"),
    re.compile(r"container (?P<container>\S+) exited \((?P<code>\d+)\)"),
    re.compile(r"service \"(?P<service>[^\"]+)\" didn't complete successfully: exit (?P<code>\d+)"),
)
_TIMEOUT = re.compile(r"application not healthy after \S+")
_DATABASE_IMAGES = ("postgres", "redis")


@dataclass(frozen=True, kw_only=True)
class Cause:
    kind: Kind
    line: str  # compose's own line
    image: str | None = None
    service: str | None = None
    port: str | None = None
    exited: bool = False  # the service's container exited (its log says why)


@dataclass(frozen=True, kw_only=True)
class Situation:
    """What an explanation needs to know about the run."""

    directory: Path
    hostnet: bool
    image: ImageChoice | None = None  # the Airflow image of this run (`up` only)
    # `docker compose ARGS` as a user types it in the project's folder (from the adapter)
    shown: Callable[..., str] = lambda *args: " ".join(("docker", "compose", *args))


def last_error_line(text: str) -> str:
    """Compose's last meaningful line: not a progress line, not a warning (unless that is
    all there is).
    """
    lines = [_ANSI.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    for line in reversed(lines):
        if not _PROGRESS.match(line) and not _WARNING.search(line):
            return line
    return lines[-1] if lines else ""


def short_image(ref: str) -> str:
    """An image as a compose file names it: `docker.io/library/postgres:16` -> `postgres:16`."""
    return ref.removeprefix("docker.io/").removeprefix("library/")


def find_cause(text: str, *, images: Mapping[str, str] | None = None) -> Cause:
    """Sort compose's error output. `images` (service -> image, from `compose config`) names
    the image when the line itself does not (older engines say only which registry failed).
    """
    line = last_error_line(text)
    if _ENGINE.search(line):
        return Cause(kind="engine", line=line)
    return (
        _image_cause(line, text, images or {})
        or _network_or_port_cause(line)
        or _service_cause(line)
        or Cause(kind="timeout" if _TIMEOUT.search(line) else "other", line=line)
    )


def _image_cause(line: str, text: str, images: Mapping[str, str]) -> Cause | None:
    for pattern in _IMAGE_IN_LINE:
        found = pattern.search(line)
        if found:
            return Cause(kind="image", line=line, image=short_image(found.group("image")))
    if not _PULL_TROUBLE.search(line):
        return None
    progress = _IMAGE_PROGRESS.search(text)
    if progress:
        return Cause(kind="image", line=line, image=short_image(progress.group("image")))
    failing = [m.group(1) for m in map(_SERVICE_ERROR.match, text.splitlines()) if m]
    service = failing[0] if failing else None
    image = images.get(service or "")
    return Cause(
        kind="image", line=line, service=service, image=short_image(image) if image else None
    )


def _network_or_port_cause(line: str) -> Cause | None:
    if _NETWORK.search(line):
        return Cause(kind="network", line=line)
    port = _PORT.search(line)
    if port:
        number = port.group("a") or port.group("b") or port.group("c")
        return Cause(kind="port", line=line, port=number)
    return None


def _service_cause(line: str) -> Cause | None:
    for pattern in _SERVICE:
        found = pattern.search(line)
        if found:
            names = found.groupdict()
            service = names.get("service") or service_of(names["container"])
            return Cause(kind="service", line=line, service=service, exited="code" in names)
    return None


def needs_image_names(cause: Cause) -> bool:
    """A pull failed but compose's line does not say which image."""
    return cause.kind == "image" and cause.image is None and cause.service is not None


def _image_hint(cause: Cause, situation: Situation) -> str:
    image = cause.image or "the image"
    name = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    chosen = situation.image
    if chosen is not None and short_image(chosen.ref) == image:
        if chosen.source == "--image":
            return (
                "check the name (`docker images` lists the engine's); without --image, "
                "`hangar quickstart up` runs the image `make image` built"
            )
        return (
            "build it with `make image` or `hangar image build`, or pass --image; "
            f"it comes from {chosen.source}"
        )
    if name in _DATABASE_IMAGES and not situation.hostnet:
        return (
            f"no Docker Hub here? `hangar quickstart up --hostnet` needs no {name} image: it "
            f"uses the PostgreSQL and Redis on 127.0.0.1 that scripts/setup-env.sh runs"
        )
    return f"check the name, and that the engine can pull it (`docker pull {image}`)"


def _next_step(what: str, service: str | None, situation: Situation) -> str:
    """Where to look after a failed `docker compose WHAT`."""
    where = f"in {situation.directory}"
    if what == "up":
        logs = situation.shown("logs", service) if service else situation.shown("logs")
        return f"see `{logs}` {where}"
    if what == "down":
        return f"run `{situation.shown('ps', '--all')}` {where} to see what is left"
    return f"check the compose files with `{situation.shown('config', '--quiet')}` {where}"


def not_up(readiness: Readiness, *, situation: Situation, seconds: float) -> HangarError:
    """Compose said up, but `ps` disagrees (or the deadline passed): name the services."""
    problems = [*readiness.failed, *(f"{s}: not healthy yet" for s in readiness.waiting)]
    return StepFailed(
        f"the quick start is not up after {seconds:.0f} s: {'; '.join(problems)}",
        hint=_next_step("up", readiness.first_problem(), situation),
    )


def explain(
    cause: Cause,
    *,
    what: str,
    situation: Situation,
    seconds: float | None = None,
    readiness: Readiness | None = None,
    log_line: str = "",
) -> HangarError:
    """One error for a failed `docker compose WHAT`: compose's line quoted, then what to do.
    `readiness` (from `ps` after the failure) and `log_line` (the last line of the failing
    service's log) add what compose does not say.
    """
    line = cause.line or "no output"
    if cause.kind == "engine":
        return EngineUnavailable(
            f"docker compose {what} cannot reach the Docker engine: {line}",
            hint="start dockerd (scripts/setup-env.sh does) and check `hangar env status`",
        )
    if cause.kind == "image":
        named = cause.image or (f"the image of {cause.service}" if cause.service else "an image")
        return StepFailed(f"cannot pull {named}: {line}", hint=_image_hint(cause, situation))
    if cause.kind == "network" and not situation.hostnet:
        return StepFailed(
            f"cannot create the quick start's network: {line}",
            hint="this engine has no bridge networks: `hangar quickstart up --hostnet` puts "
            'every service on the host network (quickstart_network = "host" in hangar.toml '
            "makes that the default)",
        )
    if cause.kind == "port":
        return StepFailed(
            f"port {cause.port} is taken: {line}",
            hint="stop what uses it (another quick start? `hangar quickstart down`)",
        )
    service = cause.service or (readiness.first_problem() if readiness else None)
    detail = line
    if cause.kind == "timeout" and readiness is not None and readiness.waiting:
        detail += f"; not healthy yet: {', '.join(readiness.waiting)}"
    if log_line:
        detail += f"; its log ends: {log_line}"
    step = _next_step(what, service, situation)
    if what == "up" and seconds is not None and cause.kind in ("service", "timeout"):
        return StepFailed(f"the quick start is not up after {seconds:.0f} s: {detail}", hint=step)
    return StepFailed(f"docker compose {what} failed: {detail}", hint=step)
