"""The Docker engine, through the real `docker` CLI (buildx included), behind a small interface."""

from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from hangar.errors import EngineUnavailable, NotFound, StepFailed
from hangar.infra.registry import default_scheme
from hangar.ports import (
    Builder,
    BuilderNode,
    Command,
    HistoryEntry,
    ImageCopy,
    ProcessResult,
    Runner,
    cmd,
    last_line,
    run_checked,
)

ENGINE_HINT = "run scripts/setup-env.sh (or start dockerd) and check `hangar env status`"
# what `docker cp` says when the path is not in the container (engine 23 and later, earlier)
NO_SUCH_PATH = ("Could not find the file", "No such container:path")


@dataclass(frozen=True)
class DockerEngine:
    runner: Runner
    docker: str = "docker"
    # secret values builds read through `--secret id=…,env=NAME`: in the environment of the
    # build process only, never on its command line or in a log
    secret_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def ensure_available(self) -> None:
        """Fail fast, with what to do, when there is no engine or no buildx."""
        info = self.runner.run(
            cmd(self.docker, "version", "-f", "{{.Server.Version}}", changes_state=False)
        )
        if not info.ok:
            raise EngineUnavailable(
                f"no Docker engine: {last_line(info.stderr) or 'docker version failed'}",
                hint=ENGINE_HINT,
            )
        buildx = self.runner.run(cmd(self.docker, "buildx", "version", changes_state=False))
        if not buildx.ok:
            raise EngineUnavailable("docker buildx is not installed", hint=ENGINE_HINT)

    def versions(self) -> tuple[str, str]:
        self.ensure_available()
        server = self.runner.run(
            cmd(self.docker, "version", "-f", "{{.Server.Version}}", changes_state=False)
        )
        buildx = self.runner.run(cmd(self.docker, "buildx", "version", changes_state=False))
        return server.stdout.strip(), last_line(buildx.stdout)

    def inspect_image(self, ref: str) -> dict[str, Any]:
        result = self.runner.run(cmd(self.docker, "image", "inspect", ref, changes_state=False))
        if not result.ok:
            raise NotFound(
                f"image {ref} not found in the engine",
                hint="build it, or pull it first (docker pull)",
            )
        data: list[dict[str, Any]] = json.loads(result.stdout)
        return data[0]

    def history(self, ref: str) -> tuple[HistoryEntry, ...]:
        result = self.runner.run(
            cmd(
                self.docker, "image", "history", "--no-trunc", "--human=false",
                "--format", "{{json .}}", ref, changes_state=False,
            )
        )  # fmt: skip
        if not result.ok:
            raise NotFound(
                f"image {ref} not found in the engine",
                hint="build it, or pull it first (docker pull)",
            )
        entries = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        return tuple(
            HistoryEntry(created_by=e.get("CreatedBy", ""), size=int(e.get("Size") or 0))
            for e in reversed(entries)
            if int(e.get("Size") or 0) > 0
        )

    def run_container(
        self, ref: str, command: Sequence[str], *, docker_args: Sequence[str] = ()
    ) -> ProcessResult:
        return self.runner.run(
            cmd(self.docker, "run", "--rm", "--network", "host", *docker_args, ref, *command)
        )

    def build(self, args: Sequence[str], *, log: IO[str] | None = None) -> ProcessResult:
        command = Command(args=(self.docker, *args), secret_env=self.secret_env)
        return self.runner.run(command, stream_to=log)

    def push(self, ref: str) -> None:
        run_checked(
            self.runner, cmd(self.docker, "push", ref), error=StepFailed, what=f"docker push {ref}"
        )

    def load(self, archive: Path) -> None:
        what = f"docker load -i {archive}"
        run_checked(
            self.runner, cmd(self.docker, "load", "-i", archive), error=StepFailed, what=what
        )

    def tag(self, source: str, target: str) -> None:
        what = f"docker tag {source} {target}"
        run_checked(
            self.runner, cmd(self.docker, "tag", source, target), error=StepFailed, what=what
        )

    def pull(self, ref: str) -> None:
        what = f"docker pull {ref}"
        run_checked(
            self.runner, cmd(self.docker, "pull", "--quiet", ref), error=StepFailed, what=what
        )

    # Reading an image's files: `docker create` makes a container that is never started,
    # `docker cp` copies out of it, `docker rm` removes it, so nothing in the image runs. The
    # copy goes to a scratch folder, because the runner's output is text and a tar stream is not.
    # They are read-only queries as a whole: a dry run runs them too.

    def read_file(self, ref: str, path: str) -> bytes | None:
        with self._container(ref) as container, tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "file"
            if not self._copy(container, path, target, follow=True):
                return None
            return target.read_bytes() if target.is_file() else None

    def list_dir(self, ref: str, path: str, *, depth: int = 1) -> tuple[str, ...]:
        return tuple(self.read_folder(ref, path, depth=depth))

    def read_folder(
        self, ref: str, path: str, *, depth: int = 1, contents: re.Pattern[str] | None = None
    ) -> dict[str, bytes | None]:
        # one copy of the whole folder, then everything is read from it
        with self._container(ref) as container, tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "dir"
            if not self._copy(container, path, target, follow=False) or not target.is_dir():
                return {}
            found: dict[str, bytes | None] = {}
            for name in _walk(target, depth):
                file = target / name
                wanted = contents is not None and contents.match(name) is not None
                readable = wanted and file.is_file() and not file.is_symlink()
                found[name] = file.read_bytes() if readable else None
            return found

    @contextmanager
    def _container(self, ref: str) -> Iterator[str]:
        # a command is given because an image need not have one; it never runs
        create = ("create", "--pull", "never", "--network", "none", ref, "true")
        container = run_checked(
            self.runner,
            cmd(self.docker, *create, changes_state=False),
            error=StepFailed,
            what=f"docker create {ref}",
        ).strip()
        try:
            yield container
        finally:
            self.runner.run(
                cmd(self.docker, "rm", "--force", "--volumes", container, changes_state=False)
            )

    def _copy(self, container: str, path: str, target: Path, *, follow: bool) -> bool:
        """Copy `path` out of the container; False when it has no such path."""
        link = ("--follow-link",) if follow else ()
        copy = cmd(self.docker, "cp", *link, f"{container}:{path}", target, changes_state=False)
        result = self.runner.run(copy)
        if result.ok:
            return True
        if any(words in result.stderr for words in NO_SUCH_PATH):
            return False
        detail = last_line(result.stderr or result.stdout)
        raise StepFailed(f"docker cp {path} out of the image failed: {detail}")


def _walk(root: Path, depth: int) -> tuple[str, ...]:
    """Paths under `root`, relative to it, at most `depth` levels down (links not followed)."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder).relative_to(root)
        found.extend((here / name).as_posix() for name in (*dirs, *files))
        if len(here.parts) + 1 >= depth:
            dirs.clear()
    return tuple(sorted(found))


def _platform(found: dict[str, Any]) -> str:
    """`os/arch[/variant]` of an OCI platform or an image config (either case of keys)."""
    parts = [
        str(found.get(key) or found.get(key.capitalize()) or "")
        for key in ("os", "architecture", "variant")
    ]
    if not parts[0] or not parts[1] or parts[0] == "unknown":
        return ""
    return "/".join(p for p in parts if p)


@dataclass(frozen=True, kw_only=True)
class DockerImageProbe:
    runner: Runner
    docker: str = "docker"
    timeout: float = 5.0

    def image_available(self, ref: str) -> str | None:
        remote = self.runner.run(
            cmd(self.docker, "buildx", "imagetools", "inspect", ref, changes_state=False)
        )
        if remote.ok:
            return "registry"
        local = self.runner.run(cmd(self.docker, "image", "inspect", ref, changes_state=False))
        return "engine" if local.ok else None

    def registry_copy(self, ref: str) -> ImageCopy | None:
        manifest = self._imagetools(ref, "{{json .Manifest}}")
        if manifest is None:
            return None
        if "manifests" in manifest:
            found = (
                child.get("platform") or {}
                for child in manifest["manifests"]
                if (child.get("annotations") or {}).get("vnd.docker.reference.type")
                != "attestation-manifest"
            )
            platforms = tuple(p for p in map(_platform, found) if p)
        else:
            image = self._imagetools(ref, "{{json .Image}}") or {}
            platforms = tuple(p for p in (_platform(image),) if p)
        return ImageCopy(digest=str(manifest.get("digest", "")), platforms=platforms)

    def engine_copy(self, ref: str) -> ImageCopy | None:
        result = self.runner.run(
            cmd(self.docker, "image", "inspect", "--format", "{{json .}}", ref, changes_state=False)
        )
        if not result.ok:
            return None
        found = json.loads(result.stdout)
        return ImageCopy(
            digest=str(found.get("Id", "")),
            platforms=tuple(p for p in (_platform(found),) if p),
        )

    def _imagetools(self, ref: str, template: str) -> dict[str, Any] | None:
        result = self.runner.run(
            cmd(
                self.docker, "buildx", "imagetools", "inspect", "--format", template, ref,
                changes_state=False,
            )
        )  # fmt: skip
        if not result.ok:
            return None
        found: dict[str, Any] = json.loads(result.stdout)
        return found

    def registry_reachable(self, registry: str) -> bool:
        """The OCI distribution API answers at http(s)://<registry>/v2/ (401 counts: it is up)."""
        scheme = default_scheme(registry)
        try:
            with urllib.request.urlopen(f"{scheme}://{registry}/v2/", timeout=self.timeout):
                return True
        except urllib.error.HTTPError as exc:
            return exc.code == HTTPStatus.UNAUTHORIZED
        except (urllib.error.URLError, OSError):
            return False

    def stores_multi_platform(self) -> bool:
        result = self.runner.run(
            cmd(self.docker, "info", "--format", "{{json .DriverStatus}}", changes_state=False)
        )
        return "io.containerd.snapshotter" in result.stdout

    def builders(self) -> tuple[Builder, ...]:
        result = self.runner.run(
            cmd(self.docker, "buildx", "ls", "--format", "{{json .}}", changes_state=False)
        )
        found: dict[str, Builder] = {}
        for line in result.stdout.splitlines():
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            nodes = tuple(
                BuilderNode(
                    name=str(node.get("Name", "")),
                    status=str(node.get("Status", "")),
                    platforms=tuple(node.get("Platforms") or ()),
                )
                for node in data.get("Nodes") or ()
            )
            name = str(data.get("Name", ""))
            found.setdefault(
                name, Builder(name=name, driver=str(data.get("Driver", "")), nodes=nodes)
            )
        return tuple(found.values())

    def builder_platforms(self, builder: str | None = None) -> tuple[str, ...]:
        named = (builder,) if builder else ()
        result = self.runner.run(cmd(self.docker, "buildx", "inspect", *named, changes_state=False))
        # one Platforms: line per node; a builder with a native arm64 node appended has two
        platforms: dict[str, None] = {}
        for line in result.stdout.splitlines():
            if line.strip().startswith("Platforms:"):
                for p in line.split(":", 1)[1].split(","):
                    if p.strip():
                        platforms[p.strip().rstrip("*")] = None
        return tuple(platforms)
