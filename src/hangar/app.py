"""The application context: the one way every command reaches the outside world.

`real_app()` wires the real adapters from infra/; tests build an `App` with fakes and pass it
to click's CliRunner as `obj`. Commands reach it through `hangar.cli.options.current_app()`.
This module is the composition root: the only one outside infra/ and cli/ that imports infra/.
"""

from __future__ import annotations

import datetime as dt
import os
import platform as platform_mod
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from hangar.config import Config, load_config
from hangar.constraints.resolver import Resolver
from hangar.ports import (
    Compose,
    ConstraintsBranch,
    ConstraintsSource,
    Containers,
    Engine,
    Files,
    Git,
    Http,
    ImageProbe,
    PackageIndex,
    Registry,
    Runner,
    SecurityIndex,
    Signer,
    UploadTimes,
)

_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# The machine-wide settings overlay that scripts/setup-env.sh writes where it had to build
# local base images (no Docker Hub); HANGAR_ENVIRONMENT_FILE names another file ("" for none).
ENVIRONMENT_FILE = Path("/etc/hangar/environment.toml")
ENVIRONMENT_FILE_ENV = "HANGAR_ENVIRONMENT_FILE"


@dataclass(frozen=True, kw_only=True)
class App:
    """The outside world of a command. A dry run (`dry()`) is one switch: every adapter that
    changes state is made from it, so programs (engine, git, cosign: the runner), the registry
    over HTTP and the files in the user's folders all print what they would change instead.
    """

    runner: Runner
    environ: Mapping[str, str]
    cwd: Path
    now: Callable[[], dt.datetime]
    host_platform: str
    out: IO[str] | None = None  # where a dry run prints its commands (None: sys.stdout)
    dry_run: bool = False  # set by dry(): every writer below prints instead of writing
    make_engine: Callable[[Runner, Mapping[str, str]], Engine]
    make_probe: Callable[[Runner], ImageProbe]
    make_registry: Callable[[str, Mapping[str, str]], Registry]
    make_resolver: Callable[[Runner], Resolver]
    make_index: Callable[[str], PackageIndex]
    make_git: Callable[[Runner, Path], Git]
    make_branch: Callable[[Runner, Path, str, str], ConstraintsBranch]
    # a compose project: (runner, folder, compose files, project name, extra environment)
    make_compose: Callable[[Runner, Path, tuple[Path, ...], str | None, Mapping[str, str]], Compose]
    # the constraints an image build uses: (resolver, index, cache folder, index URL)
    make_constraints: Callable[[Resolver, UploadTimes, Path, str], ConstraintsSource]
    # a Debian security archive, from its mirror URL
    make_security_index: Callable[[str], SecurityIndex]
    # signatures and attestations of image digests (cosign)
    make_signer: Callable[[Runner], Signer]
    # containers that keep running (the Helm contract) and HTTP to loopback services
    make_containers: Callable[[Runner], Containers]
    make_http: Callable[[], Http]

    # -- settings ---------------------------------------------------------------------------
    def environment_file(self) -> Path | None:
        given = self.environ.get(ENVIRONMENT_FILE_ENV)
        if given is not None:
            return Path(given) if given else None
        return ENVIRONMENT_FILE

    def config(self, options: Mapping[str, str | None] | None = None) -> Config:
        """The settings: defaults < environment overlay < project file < HANGAR_* < options."""
        return load_config(
            start=self.cwd,
            overlay=self.environment_file(),
            environ=self.environ,
            options=options or {},
        )

    # -- adapters ---------------------------------------------------------------------------
    def engine(self, secret_env: Mapping[str, str] | None = None) -> Engine:
        return self.make_engine(self.runner, dict(secret_env or {}))

    def probe(self) -> ImageProbe:
        return self.make_probe(self.runner)

    def registry(self, host: str) -> Registry:
        registry = self.make_registry(host, self.environ)
        if not self.dry_run:
            return registry
        from hangar.infra.dry_run import DryRunRegistry

        return DryRunRegistry(inner=registry, host=host, out=self._sink())

    def files(self) -> Files:
        """Build contexts and logs in the user's folders."""
        if self.dry_run:
            from hangar.infra.dry_run import DryRunFiles

            return DryRunFiles(out=self._sink())
        from hangar.infra.files import LocalFiles

        return LocalFiles()

    def resolver(self) -> Resolver:
        return self.make_resolver(self.runner)

    def index(self, index_url: str) -> PackageIndex:
        return self.make_index(index_url)

    def git(self, repo: Path) -> Git:
        return self.make_git(self.runner, repo)

    def branch(self, repo: Path, remote: str, branch: str) -> ConstraintsBranch:
        return self.make_branch(self.runner, repo, remote, branch)

    def compose(
        self,
        directory: Path,
        *,
        files: tuple[Path, ...],
        name: str | None,
        env: Mapping[str, str],
    ) -> Compose:
        return self.make_compose(self.runner, directory, files, name, env)

    def constraints(self, *, cache_dir: Path, index_url: str) -> ConstraintsSource:
        return self.make_constraints(self.resolver(), self.index(index_url), cache_dir, index_url)

    def security_index(self, mirror: str) -> SecurityIndex:
        return self.make_security_index(mirror)

    def signer(self) -> Signer:
        return self.make_signer(self.runner)

    def containers(self) -> Containers:
        return self.make_containers(self.runner)

    def http(self) -> Http:
        return self.make_http()

    # -- modes ------------------------------------------------------------------------------
    def dry(self, *, dry_run: bool = True, out: IO[str] | None = None) -> App:
        """The same app, printing every state-changing command instead of running it;
        read-only queries still run, so the printed plan is faithful.
        """
        if not dry_run:
            return self
        from hangar.infra.process import DryRunRunner

        sink = out or self._sink()
        reader = self.runner.reader if isinstance(self.runner, DryRunRunner) else self.runner
        return replace(self, runner=DryRunRunner(out=sink, reader=reader), out=sink, dry_run=True)

    def _sink(self) -> IO[str]:
        return self.out or sys.stdout

    def utc_now(self) -> dt.datetime:
        return self.now().astimezone(dt.UTC)


def host_platform() -> str:
    machine = platform_mod.machine()
    return f"linux/{_MACHINES.get(machine, machine)}"


def real_app() -> App:
    """The app with the real adapters."""
    from hangar.constraints.provide import GeneratedConstraints
    from hangar.infra.compose import DockerCompose
    from hangar.infra.containers import DockerContainers, UrllibHttp
    from hangar.infra.cosign import CosignSigner
    from hangar.infra.debian import DebianSecurityArchive
    from hangar.infra.docker import DockerEngine, DockerImageProbe
    from hangar.infra.git import GitCli, GitConstraintsBranch
    from hangar.infra.index import SimpleIndex
    from hangar.infra.process import SubprocessRunner
    from hangar.infra.registry import HttpRegistry, credentials_from_env
    from hangar.infra.uv import UvResolver

    return App(
        runner=SubprocessRunner(),
        environ=dict(os.environ),
        cwd=Path.cwd(),
        now=lambda: dt.datetime.now(dt.UTC),
        host_platform=host_platform(),
        make_engine=lambda runner, secrets: DockerEngine(runner=runner, secret_env=secrets),
        make_probe=lambda runner: DockerImageProbe(runner=runner),
        make_registry=lambda host, environ: HttpRegistry(
            host=host, credentials=credentials_from_env(environ)
        ),
        make_resolver=lambda runner: UvResolver(runner=runner),
        make_index=lambda url: SimpleIndex(index_url=url),
        make_git=lambda runner, repo: GitCli(repo=repo, runner=runner),
        make_branch=lambda runner, repo, remote, branch: GitConstraintsBranch(
            repo=repo, remote=remote, branch=branch, runner=runner
        ),
        make_compose=lambda runner, directory, files, name, env: DockerCompose(
            runner=runner, directory=directory, files=files, name=name, env=env
        ),
        make_constraints=lambda resolver, index, cache_dir, index_url: GeneratedConstraints(
            resolver=resolver, index=index, cache_dir=cache_dir, index_url=index_url
        ),
        make_security_index=lambda mirror: DebianSecurityArchive(mirror=mirror),
        make_signer=lambda runner: CosignSigner(runner=runner),
        make_containers=lambda runner: DockerContainers(runner=runner),
        make_http=UrllibHttp,
    )
