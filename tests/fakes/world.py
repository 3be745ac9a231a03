"""A world of fakes for driving the real CLI: a runner that records commands and answers
docker's and git's queries, an image probe, a constraints source, a registry, a resolver and
an index, wired into the application context the CLI uses.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from click.testing import CliRunner, Result

from hangar.app import App
from hangar.cli.main import cli
from hangar.infra.compose import DockerCompose
from hangar.infra.containers import DockerContainers, UrllibHttp
from hangar.infra.docker import DockerEngine
from hangar.infra.files import copy_build_context
from hangar.infra.git import GitCli, GitConstraintsBranch
from hangar.ports import Builder, BuilderNode, Command, Engine, ImageCopy, ProcessResult, Runner
from tests.fakes.constraints import FakeIndex, FakeResolver
from tests.fakes.registry import FakeRegistry
from tests.fakes.scan import FakeSecurityIndex
from tests.fakes.signer import FakeSigner

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
SHA = "0123456789abcdef0123456789abcdef01234567"
BUILD_OK = """#1 [internal] load build definition from Dockerfile
#5 [build 1/4] FROM 127.0.0.1:5000/python:3.11-slim-bookworm
#9 [build 4/4] RUN /scripts/docker/with-sources.sh /scripts/docker/install-airflow.sh
#9 CACHED
#12 exporting to image
#12 DONE 0.1s
"""
BUILD_FAILED = """#9 [build 4/4] RUN /scripts/docker/install-airflow.sh
#9 1.234 ERROR: no matching distribution for nosuchpackage
#9 ERROR: process "/bin/sh -c ..." did not complete successfully: exit code: 1
ERROR: failed to solve: process did not complete successfully
"""


@dataclass
class FakeRunner:
    """Records every command; docker queries succeed unless told otherwise; a build's output
    is streamed to the job's log like the real runner does.
    """

    engine_up: bool = True
    fail_python: str | None = None
    commands: list[Command] = field(default_factory=list)
    script_output: str = ""  # what other programs (the repository's scripts) print

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        self.commands.append(command)
        args = command.args
        if args[:1] == ("git",) and "rev-parse" in args:
            return ProcessResult(args=args, returncode=0, stdout=SHA + "\n")
        if args[:1] == ("docker",) and not self.engine_up:
            return ProcessResult(
                args=args, returncode=1, stderr="Cannot connect to the Docker daemon"
            )
        if args[1:3] == ("buildx", "build"):
            failed = (
                self.fail_python is not None
                and f"PYTHON_MAJOR_MINOR_VERSION={self.fail_python}" in args
            )
            text = BUILD_FAILED if failed else BUILD_OK
            if stream_to is not None:
                stream_to.write(text)
            return ProcessResult(args=args, returncode=1 if failed else 0, stdout=text, stderr=text)
        if args[1:3] == ("version", "-f"):
            return ProcessResult(args=args, returncode=0, stdout="26.1.5\n")
        if args[0].endswith(".sh"):
            if stream_to is not None:
                stream_to.write(self.script_output)
            return ProcessResult(args=args, returncode=0, stdout=self.script_output)
        return ProcessResult(args=args, returncode=0, stdout="github.com/docker/buildx 0.13.1\n")

    def builds(self) -> list[Command]:
        # `docker buildx build …`, or `docker --context NAME buildx build …`
        return [c for c in self.commands if ("buildx", "build") in (c.args[1:3], c.args[3:5])]


@dataclass
class FakeProbe:
    missing: frozenset[str] = frozenset()
    registry_up: bool = True
    platforms: tuple[str, ...] = ("linux/amd64",)
    containerd_store: bool = True
    extra_builders: tuple[Builder, ...] = ()

    # the registry's copies of images (default: every image, of every builder platform) and
    # the engine's own (default: none)
    registry_copies: dict[str, ImageCopy] = field(default_factory=dict)
    engine_copies: dict[str, ImageCopy] = field(default_factory=dict)

    def image_available(self, ref: str) -> str | None:
        return None if ref in self.missing else "registry"

    def registry_copy(self, ref: str) -> ImageCopy | None:
        if ref in self.missing:
            return None
        every = {p for b in self.builders() for node in b.nodes for p in node.platforms}
        default = ImageCopy(digest=f"sha256:index-of-{ref}", platforms=tuple(sorted(every)))
        return self.registry_copies.get(ref, default)

    def engine_copy(self, ref: str) -> ImageCopy | None:
        return self.engine_copies.get(ref)

    def registry_reachable(self, registry: str) -> bool:
        return self.registry_up

    def builder_platforms(self, builder: str | None = None) -> tuple[str, ...]:
        if builder is None:
            return self.platforms
        found = [b for b in self.builders() if b.name == builder]
        return tuple(p for node in found[0].nodes for p in node.platforms) if found else ()

    def builders(self) -> tuple[Builder, ...]:
        return (
            Builder(
                name="default",
                driver="docker",
                nodes=(BuilderNode(name="default", status="running", platforms=self.platforms),),
            ),
            *self.extra_builders,
        )

    def stores_multi_platform(self) -> bool:
        return self.containerd_store


@dataclass
class FakeConstraints:
    calls: list[dict[str, object]] = field(default_factory=list)

    def provide(
        self, *, airflow_version: str, python: str, extras: tuple[str, ...], mode: str, target: Path
    ) -> str:
        self.calls.append(
            {"airflow_version": airflow_version, "python": python, "extras": extras, "mode": mode}
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"# Regenerate with:\nfoo==1.0 # {python}\n")
        return f"{target.name} generated"


def make_project(root: Path, config: str | None = None) -> Path:
    """A checkout-like project folder: the image recipe (Dockerfile, scripts/docker, ...), the
    set-up scripts and an optional hangar.toml.
    """
    copy_build_context(REPO, root)
    for script in ("setup-env.sh", "build-base-image.sh"):
        shutil.copy2(REPO / "scripts" / script, root / "scripts" / script)
    if config is not None:
        (root / "hangar.toml").write_text(config)
    return root


SMALL_CONFIG = """
registry = "reg.example:5000"
base_image = "reg.example:5000/python:{python}-slim-{debian}"
debian = "3.11=bookworm,3.13=trixie"
pythons = "3.11,3.13"
default_python = "3.13"
bare_tag_python = "3.13"
ca_bundle = ""
"""


@dataclass
class World:
    root: Path
    runner: FakeRunner = field(default_factory=FakeRunner)
    probe: FakeProbe = field(default_factory=FakeProbe)
    constraints: FakeConstraints = field(default_factory=FakeConstraints)
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    resolver: FakeResolver = field(default_factory=FakeResolver)
    index: FakeIndex = field(default_factory=FakeIndex)
    security_index: FakeSecurityIndex = field(default_factory=FakeSecurityIndex)
    signer: FakeSigner = field(default_factory=FakeSigner)
    # an engine of its own instead of the real adapter on the fake runner (e.g. FakeEngine)
    engine: Engine | None = None
    # no machine-wide overlay unless a test writes one
    environ: dict[str, str] = field(default_factory=lambda: {"HANGAR_ENVIRONMENT_FILE": ""})

    def app(self) -> App:
        return App(
            runner=self.runner,
            environ=self.environ,
            cwd=self.root,
            now=lambda: NOW,
            host_platform="linux/amd64",
            make_engine=lambda runner, secrets: (
                self.engine or DockerEngine(runner=runner, secret_env=secrets)
            ),
            make_probe=lambda _runner: self.probe,
            make_registry=lambda _host, _environ: self.registry,
            make_resolver=lambda _runner: self.resolver,
            make_index=lambda _url: self.index,
            make_git=lambda runner, repo: GitCli(repo=repo, runner=runner),
            make_branch=lambda runner, repo, remote, branch: GitConstraintsBranch(
                repo=repo, remote=remote, branch=branch, runner=runner
            ),
            make_compose=lambda runner, directory, files, name, env: DockerCompose(
                runner=runner, directory=directory, files=files, name=name, env=env
            ),
            make_constraints=lambda _resolver, _index, _cache, _url: self.constraints,
            make_security_index=self.security_index.at,
            make_signer=lambda _runner: self.signer,
            make_containers=lambda runner: DockerContainers(runner=runner),
            make_http=UrllibHttp,
        )

    def invoke(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), obj=self.app(), catch_exceptions=True)


def value_of(args: Sequence[str], flag: str) -> list[str]:
    """Every value given to `flag` in an argument list."""
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag]


def cache_exports(args: Sequence[str]) -> list[str]:
    """The registry reference of every --cache-to (its exporter options are buildx's test's)."""
    return [
        dict(o.split("=", 1) for o in v.split(","))["ref"] for v in value_of(args, "--cache-to")
    ]


def build_args(command: Command) -> dict[str, str]:
    return dict(v.split("=", 1) for v in value_of(command.args, "--build-arg"))


RunnerFactory = Callable[[], Runner]
