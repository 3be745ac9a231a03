"""Test images kept between test runs, each under the key of everything that went into it.

A small test image takes one to three minutes to build and the suite needs a dozen; a machine
that ran the suite before holds them already. `kept_build` builds an image once per key and
tags it `hangar-kept:<key>`; a later build with the same key (in this session or a later one)
takes that image instead of building again. The key is a SHA-256 of:

- every file of the build context (path, executable bit, content): the Dockerfile, the scripts,
  the DAGs and the constraints file placed in docker-context-files among them;
- the `docker buildx build` command itself, tags and the context's path left out, so every
  build arg, the target, the platform and the secret ids are in it;
- the content of every secret (file or environment variable);
- the image id of the base image in the engine, so a base built again (Debian updates taken)
  makes new keys.

Left out of the key: the build arg AIRFLOW_IMAGE_DATE_CREATED, whose label on a kept image says
truthfully when that image was built. A build that fails is never kept; its image and output
are this run's own. The build's output is kept beside the image (tests read it), in
`$HANGAR_STATE_DIR/test-images` (default /var/lib/hangar, the set-up script's state folder),
outside the checkout so a fresh clone finds it.

At the end of a session the kept images this session did not use and no session used for a day
are removed, with their records.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from hangar.image.building.buildx import BuildParams, buildx_command

KEPT_REPOSITORY = "hangar-kept"
STATE = Path(os.environ.get("HANGAR_STATE_DIR", "/var/lib/hangar")) / "test-images"
UNKEYED_ARGS = frozenset({"AIRFLOW_IMAGE_DATE_CREATED"})
KEEP_UNUSED = dt.timedelta(days=1)

# the keys this session built or took (removed from nothing at the end)
_used: set[str] = set()


@dataclass(frozen=True)
class Kept:
    ref: str
    returncode: int
    output: str
    reused: bool


def _digest_file(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)


def tree_digest(root: Path) -> str:
    """SHA-256 of every file under `root`: relative path, executable bit, content (symlinks by
    their target).
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if not p.is_dir() or p.is_symlink()):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            digest.update(f"link {relative} -> {path.readlink()}\0".encode())
            continue
        executable = os.access(path, os.X_OK)
        digest.update(f"file {relative} {int(executable)}\0".encode())
        _digest_file(digest, path)
        digest.update(b"\0")
    return digest.hexdigest()


def image_id(ref: str) -> str | None:
    """The engine's id of image `ref`, or None when the engine does not hold it."""
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", ref],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def build_key(params: BuildParams, env: Mapping[str, str], base: str) -> str:
    """The key of a build (see the module's text), whose base image has the engine id `base`."""
    digest = hashlib.sha256()
    command = buildx_command(
        replace(
            params,
            context=Path(),
            tags=(),
            build_args=tuple((k, v) for k, v in params.build_args if k not in UNKEYED_ARGS),
        )
    )
    digest.update(json.dumps({"command": command, "base": base}).encode())
    digest.update(tree_digest(params.context).encode())
    for secret in params.secrets:
        digest.update(f"secret {secret.id}\0".encode())
        if secret.src is not None:
            _digest_file(digest, secret.src)
        else:
            digest.update(env.get(secret.env or "", "").encode())
    return digest.hexdigest()[:32]


@contextmanager
def _locked(key: str) -> Iterator[None]:
    """One build per key at a time, across processes (pytest-xdist workers)."""
    STATE.mkdir(parents=True, exist_ok=True)
    with (STATE / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _record(key: str) -> Path:
    return STATE / f"{key}.json"


def _touch(key: str, output: str) -> None:
    now = dt.datetime.now(dt.UTC).isoformat()
    _record(key).write_text(json.dumps({"output": output, "used": now}))


def kept_build(
    params: BuildParams,
    env: Mapping[str, str],
    build: Callable[[BuildParams], tuple[int, str]],
) -> Kept:
    """The image `params` describes: the kept one of its key when there is one, else built by
    `build` (which returns the exit code and the output) and, when that succeeds, kept. The
    image is also tagged with `params.tags`; the reference returned is the kept tag, the same
    from run to run, so an image built FROM it (a test extending the image) is kept too.
    """
    base = image_id(params.base_image)
    if base is None:
        # BuildKit resolves it from a registry at build time: nothing to key it by, nothing kept
        returncode, output = build(params)
        return Kept(ref=params.tags[0], returncode=returncode, output=output, reused=False)
    key = build_key(params, env, base)
    kept = f"{KEPT_REPOSITORY}:{key}"
    _used.add(key)
    with _locked(key):
        record = _record(key)
        if record.is_file() and image_id(kept) is not None:
            output = json.loads(record.read_text())["output"]
            for tag in params.tags:
                subprocess.run(["docker", "tag", kept, tag], check=True, capture_output=True)
            _touch(key, output)
            return Kept(ref=kept, returncode=0, output=output, reused=True)
        returncode, output = build(params)
        if returncode == 0:
            subprocess.run(["docker", "tag", params.tags[0], kept], check=True, capture_output=True)
            _touch(key, output)
            return Kept(ref=kept, returncode=0, output=output, reused=False)
    return Kept(ref=params.tags[0], returncode=returncode, output=output, reused=False)


def sweep() -> None:
    """Remove the kept images this session did not use and no session used for KEEP_UNUSED."""
    if not STATE.is_dir():
        return
    now = dt.datetime.now(dt.UTC)
    for record in STATE.glob("*.json"):
        key = record.stem
        if key in _used:
            continue
        try:
            used = dt.datetime.fromisoformat(json.loads(record.read_text())["used"])
        except (ValueError, KeyError, json.JSONDecodeError):
            used = dt.datetime.min.replace(tzinfo=dt.UTC)
        if now - used < KEEP_UNUSED:
            continue
        subprocess.run(
            ["docker", "image", "rm", f"{KEPT_REPOSITORY}:{key}"],
            capture_output=True,
            check=False,
        )
        record.unlink(missing_ok=True)
        (STATE / f"{key}.lock").unlink(missing_ok=True)
    # the locks of builds that failed (nothing was kept under their key)
    for lock in STATE.glob("*.lock"):
        age = now - dt.datetime.fromtimestamp(lock.stat().st_mtime, dt.UTC)
        if lock.stem not in _used and not _record(lock.stem).exists() and age > KEEP_UNUSED:
            lock.unlink(missing_ok=True)
