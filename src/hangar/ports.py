"""The interfaces between hangar's logic and the outside world.

Logic (image/, constraints/, ci/, quickstart/, env/) imports these and nothing from infra/;
infra/ implements them against the real programs and services, and tests/fakes/ against
memory. Also here: the value types every process call uses (`Command`, `ProcessResult`).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

# -- processes ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProcessResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True, kw_only=True)
class Command:
    """A command and how to run it; `env` is added to the inherited environment."""

    args: tuple[str, ...]
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    input: str | None = None
    changes_state: bool = True  # False for read-only queries, which dry-run still runs
    # added to the environment like `env`, but never shown: not by quoted(), not in logs, not in
    # repr (for BuildKit secrets passed as `--secret id=…,env=NAME`)
    secret_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def quoted(self) -> str:
        """The command as a copy-pasteable shell line."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        line = shlex.join(self.args)
        if env:
            line = f"{env} {line}"
        if self.cwd is not None:
            line = f"(cd {shlex.quote(str(self.cwd))} && {line})"
        return line


class Runner(Protocol):
    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        """Run `command` to completion. With `stream_to`, stdout and stderr are written there
        line by line as they come (and also returned).
        """
        ...


def cmd(*args: str | os.PathLike[str], **kwargs: object) -> Command:
    """A Command from words, e.g. `cmd("docker", "info", changes_state=False)`."""
    return Command(args=tuple(os.fspath(a) for a in args), **kwargs)  # type: ignore[arg-type]


def run_checked(runner: Runner, command: Command, *, error: type[Exception], what: str) -> str:
    """Run and return stdout, raising `error` with the last line of output on failure."""
    result = runner.run(command)
    if not result.ok:
        detail = last_line(result.stderr or result.stdout)
        raise error(f"{what} failed: {detail}" if detail else f"{what} failed")
    return result.stdout


def last_line(text: str) -> str:
    for line in reversed(text.strip().splitlines()):
        if line.strip():
            return line.strip()
    return ""


DOCKER_RUN_ERROR = 125  # `docker run` itself failed (no such image, bad option), not the command


def no_such_image(result: ProcessResult) -> bool:
    """`docker run` found no image to run."""
    return result.returncode == DOCKER_RUN_ERROR and "Unable to find image" in result.stderr


# -- files -------------------------------------------------------------------------------------


class Files(Protocol):
    """The files a command writes into the user's folders: build contexts and logs (a dry
    run's files write none of them).
    """

    def assemble_context(
        self, recipe: Path, folder: Path, dest: Path, *, extra: Sequence[str] = ()
    ) -> Path:
        """A build context at `dest` (made anew): the recipe, plus `folder`'s
        docker-context-files/, dags/, requirements.txt and `extra` folders.
        """
        ...

    def open_log(self, path: Path) -> AbstractContextManager[IO[str]]:
        """A log file, truncated: each run of a job gets a fresh log."""
        ...

    def make_folder(self, path: Path) -> Path:
        """`path` as a folder, made with its parents where missing."""
        ...


# -- the Docker engine and registries -----------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One layer of an image, as its history tells: the instruction that made it, its bytes."""

    created_by: str
    size: int


class Engine(Protocol):
    def ensure_available(self) -> None: ...
    def versions(self) -> tuple[str, str]:
        """The engine's server version and buildx's version line."""
        ...

    def inspect_image(self, ref: str) -> dict[str, Any]: ...
    def run_container(
        self, ref: str, command: Sequence[str], *, docker_args: Sequence[str] = ()
    ) -> ProcessResult: ...
    def build(self, args: Sequence[str], *, log: IO[str] | None = None) -> ProcessResult: ...
    def push(self, ref: str) -> None: ...
    def pull(self, ref: str) -> None: ...
    def tag(self, source: str, target: str) -> None: ...
    def load(self, archive: Path) -> None: ...
    def read_file(self, ref: str, path: str) -> bytes | None:
        """The file at `path` in image `ref` (symlinks followed), or None when there is none.
        Nothing runs in the image: a container is created, never started, copied from, removed.
        """
        ...

    def list_dir(self, ref: str, path: str, *, depth: int = 1) -> tuple[str, ...]:
        """What is in the folder `path` of image `ref`, `depth` levels down, as sorted paths
        relative to it; () when there is no such folder. Runs nothing in the image either.
        """
        ...

    def read_folder(
        self, ref: str, path: str, *, depth: int = 1, contents: re.Pattern[str] | None = None
    ) -> dict[str, bytes | None]:
        """`list_dir`'s paths, each with its bytes when it is a regular file whose relative
        path matches `contents` (None for the others): a folder's listing and the files wanted
        from it in one copy out of the image.
        """
        ...

    def history(self, ref: str) -> tuple[HistoryEntry, ...]:
        """The layers of image `ref` that hold files, oldest first."""
        ...


class Containers(Protocol):
    """Containers that keep running (the Helm contract's pods), on the host's network, and the
    volumes they share.
    """

    def start(self, ref: str, args: Sequence[str], *, name: str, options: Sequence[str]) -> None:
        """`docker run -d --name NAME OPTIONS REF ARGS`; raises StepFailed when it cannot."""
        ...

    def run(
        self, ref: str, args: Sequence[str], *, name: str, options: Sequence[str], timeout: float
    ) -> ProcessResult:
        """Run to completion (at most `timeout` seconds) and remove it."""
        ...

    def exec(self, name: str, command: Sequence[str], *, timeout: float) -> ProcessResult: ...
    def state(self, name: str) -> str:
        """The state: running, exited (CODE), ...; empty when there is no such container."""
        ...

    def logs(self, name: str, *, tail: int) -> str: ...
    def remove(self, names: Sequence[str], volumes: Sequence[str] = ()) -> None: ...


@dataclass(frozen=True)
class HttpReply:
    status: int  # 0 when nothing answered
    body: bytes = b""


class Http(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: object = None,
        token: str | None = None,
        timeout: float = 10,
    ) -> HttpReply: ...


@dataclass(frozen=True)
class BuilderNode:
    name: str
    status: str
    platforms: tuple[str, ...]


@dataclass(frozen=True)
class Builder:
    name: str
    driver: str
    nodes: tuple[BuilderNode, ...]


@dataclass(frozen=True)
class ImageCopy:
    """One copy of an image (the registry's, or the engine's): the digest its name points at
    and the platforms it holds (`os/arch[/variant]`).
    """

    digest: str
    platforms: tuple[str, ...]


class ImageProbe(Protocol):
    def image_available(self, ref: str) -> str | None:
        """Where `ref` was found ("registry" or "engine"), or None."""
        ...

    def registry_copy(self, ref: str) -> ImageCopy | None:
        """The registry's `ref`: its digest and every platform it holds; None if not there."""
        ...

    def engine_copy(self, ref: str) -> ImageCopy | None:
        """The engine's own `ref`: its digest and the platform the engine reports (an index
        pulled into the containerd store reports the machine's); None if it has none.
        """
        ...

    def registry_reachable(self, registry: str) -> bool: ...

    def builder_platforms(self, builder: str | None = None) -> tuple[str, ...]:
        """The platforms `builder` (None: the current one) builds; () when there is none."""
        ...

    def builders(self) -> tuple[Builder, ...]:
        """Every buildx builder, the current one first."""
        ...

    def stores_multi_platform(self) -> bool:
        """Whether the engine's image store keeps multi-platform images (the containerd store)."""
        ...


# the media types of a manifest that lists other manifests (an image index, a manifest list)
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


class Registry(Protocol):
    def ensure_available(self) -> None:
        """Raise RegistryUnavailable, with what to do, when the registry cannot be used."""
        ...

    def list_tags(self, repository: str) -> tuple[str, ...]:
        """Every tag of `repository`; () when the repository does not exist."""
        ...

    def digest(self, repository: str, reference: str) -> str | None:
        """The digest a tag (or digest) resolves to; None when there is no such manifest."""
        ...

    def copy(
        self, *, source_repository: str, source_reference: str, repository: str, tag: str
    ) -> str:
        """Point `repository:tag` at the source manifest; returns the digest it now has."""
        ...

    def manifest(self, repository: str, reference: str) -> tuple[str, bytes]:
        """The media type and bytes of a manifest or index; StepFailed when there is none."""
        ...

    def blob(self, repository: str, digest: str) -> bytes:
        """The bytes of one blob of `repository`; StepFailed when there is none."""
        ...

    def has_blob(self, repository: str, digest: str) -> bool:
        """Whether `repository` holds the blob already."""
        ...

    def push_blob(self, repository: str, digest: str, data: bytes) -> None:
        """Upload one blob (a config or a layer) whose digest is `digest`."""
        ...

    def put_manifest(self, repository: str, reference: str, media_type: str, body: bytes) -> str:
        """Store a manifest or index under a tag or its digest; returns its digest."""
        ...


# the environment variable a private key's password is read from (cosign's own name for it)
SIGNING_PASSWORD_ENV = "COSIGN_PASSWORD"  # noqa: S105 # a variable's name


@dataclass(frozen=True, kw_only=True)
class SignatureCheck:
    """What verifying a signature (or an attestation) of one digest with one key gave."""

    ok: bool
    detail: str = ""  # the signing tool's reason when not ok, one line
    # the in-toto statements of the attestations that verified (attestations only)
    statements: tuple[Mapping[str, Any], ...] = ()


class Signer(Protocol):
    """Key-based signatures and attestations of image digests (cosign), stored next to the
    image in its registry. Every reference is `REGISTRY/REPOSITORY@sha256:…`, never a tag.
    The private key's password goes through the environment, never a command line.
    """

    def ensure_available(self) -> None:
        """Raise StepFailed, with what to install, when the signing tool is missing."""
        ...

    def sign(self, ref_by_digest: str, *, key: Path | None, password: str | None) -> None:
        """Sign with `key`, or keyless (an OIDC identity and the public log) when None."""
        ...

    def verify(self, ref_by_digest: str, *, public_key: Path) -> SignatureCheck: ...
    def attest(
        self,
        ref_by_digest: str,
        *,
        predicate_file: Path,
        predicate_type: str,
        key: Path | None,
        password: str | None,
    ) -> None: ...
    def verify_attestation(
        self, ref_by_digest: str, *, public_key: Path, predicate_type: str
    ) -> SignatureCheck: ...


class SecurityIndex(Protocol):
    """A Debian archive's security suites (e.g. deb.debian.org/debian-security)."""

    def packages(self, suite: str, arch: str) -> str:
        """The `Packages` index of `suite`'s main component for `arch`, decompressed. Raises
        NotFound when the archive has no such index, StepFailed when it cannot be read.
        """
        ...


# -- git --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TreeEntry:
    mode: str
    kind: str
    oid: str
    path: str

    def line(self) -> str:
        return f"{self.mode} {self.kind} {self.oid}\t{self.path}"


class Git(Protocol):
    """The git operations `constraints update` needs, on one repository."""

    def toplevel(self) -> Path: ...
    def status(self) -> str: ...
    def head_ref(self) -> str | None: ...
    def remote_url(self, remote: str) -> str: ...
    def remote_refs(self, remote: str) -> Mapping[str, str]: ...
    def resolve(self, ref: str) -> str | None: ...
    def ls_tree(self, treeish: str) -> tuple[TreeEntry, ...]: ...
    def head_commit(self) -> str: ...
    def commit_time(self) -> int | None:
        """When HEAD was committed (seconds since 1970); None outside a git work tree."""
        ...

    def diff_names(self, base: str, head: str) -> tuple[str, ...] | None: ...
    def show(self, treeish: str, path: str) -> str: ...
    def ident(self) -> str: ...
    def write_blob(self, content: str, *, label: str) -> str: ...
    def write_tree(self, mktree_input: str, *, label: str) -> str: ...
    def write_commit(self, *, tree: str, parent: str, message: str, label: str) -> str: ...
    def write_tag(self, mktag_input: str, *, label: str) -> str: ...
    def push_atomic(
        self, remote: str, refspecs: Sequence[str], *, leases: Mapping[str, str]
    ) -> None: ...
    def update_refs(self, transaction: str) -> None: ...


class ConstraintsBranch(Protocol):
    def tip(self) -> str | None:
        """Fetch the branch; its commit, or None when the remote has no such branch."""
        ...

    def files(self, commit: str) -> dict[str, tuple[str, str]]:
        """Top-level files of `commit`: name -> (mode, blob)."""
        ...

    def read(self, blob: str) -> str: ...

    def commit(self, *, parent: str | None, files: Mapping[str, str], message: str) -> str:
        """A commit of `parent`'s tree with `files` (name -> text) added or replaced."""
        ...

    def push(self, commit: str) -> None: ...


# -- Python packages ----------------------------------------------------------------------------


class UploadTimes(Protocol):
    def release_upload_time(self, project: str, version: str) -> datetime | None:
        """When the last file of `project==version` was uploaded; None if the index does not
        say. Raises NotFound if the index has no such release.
        """
        ...


class PythonRequirements(Protocol):
    def requires_python(self, project: str, version: str) -> str:
        """The release's Requires-Python (e.g. `!=3.15,>=3.10`); empty when it names none.
        Raises NotFound if the index has no such release.
        """
        ...


class ReleaseExtras(Protocol):
    def provides_extra(self, project: str, version: str) -> tuple[str, ...]:
        """The extras the release declares (Provides-Extra), normalized. Raises NotFound if
        the index has no such release.
        """
        ...

    def has_project(self, project: str) -> bool:
        """Whether the index has a project of that name at all."""
        ...


class PackageIndex(UploadTimes, PythonRequirements, ReleaseExtras, Protocol):
    """What hangar reads of a release on a package index."""


class ConstraintsSource(Protocol):
    def provide(
        self, *, airflow_version: str, python: str, extras: tuple[str, ...], mode: str, target: Path
    ) -> str:
        """Put the constraints file at `target`; return a short note of what was done."""
        ...


# -- docker compose -----------------------------------------------------------------------------


class Compose(Protocol):
    """`docker compose` on one project (its folder, files, name and environment). Each call
    returns compose's result as it is, so the caller can explain a failure in compose's own
    words (hangar.quickstart.failures); every call is bounded in time.
    """

    def version(self) -> ProcessResult: ...
    def up(self, *, wait_timeout: float) -> ProcessResult:
        """Start every service, detached, and wait at most `wait_timeout` s for them to be
        healthy (`up --detach --wait`).
        """
        ...

    def ps(self) -> ProcessResult:
        """Every container of the project, as JSON (`ps --all --format json`)."""
        ...

    def down(self, *, volumes: bool) -> ProcessResult: ...
    def logs(self, service: str, *, tail: int) -> ProcessResult:
        """The last `tail` lines of a service's log, without prefixes or colours."""
        ...

    def config(self) -> ProcessResult:
        """The project as compose reads it, as JSON (`config --format json`)."""
        ...

    def shown(self, *args: str) -> str:
        """`docker compose ARGS` as a user types it in the project's folder (for hints)."""
        ...
