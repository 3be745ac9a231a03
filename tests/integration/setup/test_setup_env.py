"""scripts/setup-env.sh on machines it must not take over, run for real inside containers.

Each test starts a container from the Debian 13 base image in the local registry, with the
repository's scripts/ mounted read-only, and compares a checksum listing of /etc (and the dpkg
database) before and after the script:

- a running engine it did not start (the host's, through its socket and the host's docker CLI
  and buildx plugin) is used as it is: no apt source, no package, no daemon.json change;
- an installed engine that does not answer (its dockerd is there): it stops and says to start it;
- a docker CLI alone (no dockerd, socket or DOCKER_HOST) is no engine: where none can be
  installed, it stops with one line saying what to install;
- a distribution it does not support, with no engine: it stops with one line saying what to
  install, before changing anything;
- no Docker Hub but the local base images already in the registry: it writes the environment
  overlay once, builds nothing, and a second run changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.images import docker

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = REPO / "scripts"
REGISTRY = os.environ.get("HANGAR_REGISTRY", "127.0.0.1:5000")
IMAGE = f"{REGISTRY}/python:3.13-slim-trixie"
RECIPE = "dev.hangar.base.recipe"
BASES = (
    f"{REGISTRY}/python:3.11-slim-bookworm",
    f"{REGISTRY}/python:3.13-slim-trixie",
    f"{REGISTRY}/python:3.14-slim-forky",
)
# where the scripts sit in the container: the set-up script's repository root is /hangar
SETUP = "/hangar/scripts/setup-env.sh"
PLUGIN_DIRS = (
    Path.home() / ".docker" / "cli-plugins",
    Path("/usr/local/lib/docker/cli-plugins"),
    Path("/usr/local/libexec/docker/cli-plugins"),
    Path("/usr/lib/docker/cli-plugins"),
    Path("/usr/libexec/docker/cli-plugins"),
)
# a checksum listing of everything under /etc but the files the engine mounts into a container
ETC_LISTING = (
    "find /etc -xdev "
    r"\( -path /etc/hostname -o -path /etc/hosts -o -path /etc/resolv.conf \) -prune -o "
    r"\( -type d -printf '%p/\n' \) -o \( -type l -printf '%p -> %l\n' \) -o "
    r"\( -type f -exec sha256sum {} + \) | sort"
)
PACKAGES = r"dpkg-query -W -f '${Package} ${Version} ${Status}\n' | sort"
USER_DAEMON_JSON = '{\n  "debug": true,\n  "log-opts": {"max-size": "10m"}\n}\n'
USER_SOURCE = (
    "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie-updates\n"
    "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
)
USER_PIN = "Package: *\nPin: release n=trixie-updates\nPin-Priority: 400\n"
NO_ENGINE_LINE = (
    "[setup] ERROR: no Docker engine with buildx found: install Docker Engine or Docker Desktop "
    "with the buildx plugin, start it, and run this again"
)
OVERLAY = """\
# Written by scripts/setup-env.sh: this machine reaches no Docker Hub, so hangar builds on
# local base images made from Debian packages (see `hangar config show`).
registry = "{registry}"
base_image = "{registry}/python:{{python}}-slim-{{debian}}"
debian = "3.11=bookworm,3.13=trixie,3.14=forky"
pythons = "3.11,3.13,3.14"
default_python = "3.13"
# Airflow's own un-suffixed tags carry Python 3.12, which Debian ships in no release
bare_tag_python = "3.13"
ca_bundle = "/etc/ssl/certs/ca-certificates.crt"
quickstart_network = "host"
"""


@dataclass(frozen=True)
class HostEngine:
    cli: Path
    buildx: Path
    socket: Path


@pytest.fixture(scope="module")
def host_engine() -> HostEngine:
    """The host's docker CLI, buildx plugin and engine socket (skips when there is none)."""
    found = shutil.which("docker")
    if found is None:
        pytest.skip("no docker CLI on this machine")
    try:
        info = docker("info", "--format", "{{json .ClientInfo.Plugins}}", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.skip("the Docker engine does not answer (docker info timed out)")
    if info.returncode != 0:
        pytest.skip(f"the Docker engine does not answer: {info.stderr.strip()[-300:]}")
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    socket = Path(host.removeprefix("unix://"))
    if not host.startswith("unix://") or not socket.is_socket():
        pytest.skip(f"the engine is not reached through a local socket (DOCKER_HOST={host})")
    plugins = json.loads(info.stdout or "null") or []
    paths = [Path(p["Path"]) for p in plugins if p.get("Name") == "buildx" and p.get("Path")]
    paths += [d / "docker-buildx" for d in PLUGIN_DIRS]
    buildx = next((p.resolve() for p in paths if p.is_file()), None)
    if buildx is None:
        pytest.skip("the docker CLI has no buildx plugin")
    return HostEngine(cli=Path(found).resolve(), buildx=buildx, socket=socket)


@pytest.fixture(scope="module")
def image(host_engine: HostEngine) -> str:
    """The Debian 13 base image the containers are made from (pulled from the local registry)."""
    if docker("image", "inspect", IMAGE).returncode != 0:
        try:
            pulled = docker("pull", "-q", IMAGE, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.skip(f"{IMAGE} is not here and pulling it timed out")
        if pulled.returncode != 0:
            pytest.skip(f"{IMAGE} is not here (run scripts/setup-env.sh first)")
    return IMAGE


class Box:
    """One throw-away container (host network) to run the set-up script in."""

    def __init__(self, image: str, mounts: list[str], env: dict[str, str] | None = None) -> None:
        self.name = f"hangar-setup-test-{uuid.uuid4().hex[:10]}"
        flags = [f"-e={k}={v}" for k, v in (env or {}).items()]
        started = docker(
            "run", "-d", "--rm", "--network", "host", "--name", self.name,
            "--entrypoint", "sleep", *flags, *mounts, image, "900",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr

    def sh(self, script: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return docker("exec", self.name, "bash", "-c", script, timeout=timeout)

    def out(self, script: str) -> str:
        done = self.sh(script)
        assert done.returncode == 0, f"{script}: {done.stderr}"
        return done.stdout

    def setup(self, *flags: str) -> subprocess.CompletedProcess[str]:
        return self.sh(" ".join([SETUP, *flags]), timeout=110)

    def etc(self) -> str:
        return self.out(ETC_LISTING)

    def packages(self) -> str:
        return self.out(PACKAGES)

    def remove(self) -> None:
        docker("rm", "-f", self.name, timeout=60)


MakeBox = Callable[..., Box]


@pytest.fixture
def make_box(image: str) -> Iterator[MakeBox]:
    boxes: list[Box] = []

    def make(mounts: list[str], env: dict[str, str] | None = None) -> Box:
        box = Box(image, mounts, env)
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.remove()


def scripts_mount(folder: Path = SCRIPTS) -> list[str]:
    return ["-v", f"{folder}:/hangar/scripts:ro"]


def engine_mounts(engine: HostEngine, *, socket: bool = True) -> list[str]:
    mounts = [
        "-v", f"{engine.cli}:/usr/local/bin/docker:ro",
        "-v", f"{engine.buildx}:/usr/libexec/docker/cli-plugins/docker-buildx:ro",
    ]  # fmt: skip
    if socket:
        mounts += ["-v", f"{engine.socket}:/var/run/docker.sock"]
    return mounts


def user_files(box: Box) -> None:
    """What a user's machine has: a daemon.json of theirs, an apt source and a pin of theirs."""
    box.out(
        "mkdir -p /etc/docker /etc/apt/sources.list.d /etc/apt/preferences.d"
        f" && printf %s '{USER_DAEMON_JSON}' >/etc/docker/daemon.json"
        f" && printf %s '{USER_SOURCE}' >/etc/apt/sources.list.d/user.sources"
        f" && printf %s '{USER_PIN}' >/etc/apt/preferences.d/user"
    )


def protected(box: Box) -> str:
    """Checksums of daemon.json and every file of the apt sources and pins."""
    return box.out(
        "sha256sum /etc/docker/daemon.json /etc/apt/sources.list"
        " $(find /etc/apt/sources.list.d /etc/apt/preferences.d -type f | sort)"
    )


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_running_engine_it_did_not_start_is_used_as_it_is(
    host_engine: HostEngine, make_box: MakeBox
) -> None:
    box = make_box([*engine_mounts(host_engine), *scripts_mount()])
    user_files(box)
    etc, files, packages = box.etc(), protected(box), box.packages()
    assert "docker" in box.out("docker version -f '{{.Server.Version}}' && echo docker")

    first = box.setup("--no-bases", "--no-venv")
    assert first.returncode == 0, first.stderr
    assert "using the running Docker engine as it is" in first.stderr
    assert protected(box) == files
    assert box.out("cat /etc/docker/daemon.json") == USER_DAEMON_JSON
    after_first = box.packages()
    assert after_first == packages, "the set-up installed or removed packages"
    installed = [line.split()[0] for line in after_first.splitlines() if "ok installed" in line]
    assert not [p for p in installed if "docker" in p or "containerd" in p], installed
    assert box.etc() == etc, "the first run changed files under /etc"

    second = box.setup("--no-bases", "--no-venv")
    assert second.returncode == 0, second.stderr
    assert box.etc() == etc, "the second run changed files under /etc"
    assert protected(box) == files
    assert box.packages() == packages
    assert box.sh("test -e /var/lib/hangar").returncode != 0, "it made a state folder"


def assert_stops_saying_no_engine_on_another_distribution(box: Box) -> None:
    """On a distribution it cannot install an engine on, the script stops with the one line
    saying what to install, and changes nothing.
    """
    box.out(
        "rm -f /etc/os-release && printf '%s\\n' 'NAME=\"Fedora Linux\"' ID=fedora"
        " VERSION_ID=41 >/etc/os-release"
    )
    etc, packages = box.etc(), box.packages()

    done = box.setup()
    assert done.returncode == 1, done.stderr
    assert error_lines(done) == [NO_ENGINE_LINE]
    assert box.etc() == etc, "it changed files under /etc"
    assert box.packages() == packages
    assert box.sh("test -e /var/lib/hangar || test -e /hangar/.venv").returncode != 0


def test_unsupported_machine_without_engine_stops_with_one_line(make_box: MakeBox) -> None:
    box = make_box(scripts_mount())
    assert box.sh("command -v docker").returncode != 0
    assert_stops_saying_no_engine_on_another_distribution(box)


def test_installed_engine_that_does_not_answer_is_not_replaced(
    host_engine: HostEngine, make_box: MakeBox
) -> None:
    """Debian 13 could get an engine installed, but one is there, stopped: start that one."""
    box = make_box([*engine_mounts(host_engine, socket=False), *scripts_mount()])
    user_files(box)
    # an engine installed and not running: its daemon binary is there (this one cannot start)
    box.out("printf '#!/bin/sh\nexit 1\n' >/usr/bin/dockerd && chmod 0755 /usr/bin/dockerd")
    etc, packages = box.etc(), box.packages()

    done = box.setup("--test")
    assert done.returncode == 1, done.stderr
    lines = error_lines(done)
    assert len(lines) == 1, done.stderr
    assert "no Docker engine answers" in lines[0]
    assert "start that engine" in lines[0]
    assert box.etc() == etc, "it changed files under /etc"
    assert box.packages() == packages


@pytest.fixture
def scripts_that_cannot_build(tmp_path: Path) -> Path:
    """scripts/ with a build-base-image.sh that fails loudly: the test must never build. It
    still prints the real script's recipe, which the set-up compares with the bases' labels.
    """
    folder = tmp_path / "scripts"
    folder.mkdir()
    shutil.copy2(SCRIPTS / "setup-env.sh", folder / "setup-env.sh")
    shutil.copy2(SCRIPTS / "build-base-image.sh", folder / "real-build-base-image.sh")
    shutil.copytree(SCRIPTS / "base-image", folder / "base-image")
    stub = folder / "build-base-image.sh"
    stub.write_text(
        "#!/bin/sh\n"
        'case "$*" in *--print-recipe*) exec bash "$(dirname "$0")/real-build-base-image.sh" "$@";;'
        " esac\n"
        "echo 'build-base-image.sh called' >&2\nexit 97\n"
    )
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def test_without_docker_hub_existing_bases_get_the_overlay_once(
    host_engine: HostEngine, make_box: MakeBox, scripts_that_cannot_build: Path
) -> None:
    """No Docker Hub (an unusable HTTPS proxy makes sure of it) and both local bases in the
    registry and the engine, of the current recipe: nothing is built, the overlay is written,
    a second run keeps it and changes nothing.
    """
    for ref in BASES:
        if docker("image", "inspect", ref).returncode != 0:
            pytest.skip(f"{ref} is not in the engine (run scripts/setup-env.sh first)")
        label = docker("image", "inspect", "-f", f'{{{{ index .Config.Labels "{RECIPE}" }}}}', ref)
        python, codename = ref.rsplit(":", 1)[1].split("-slim-")
        recipe = subprocess.run(
            [SCRIPTS / "build-base-image.sh", "--python", python, "--codename", codename,
             "--print-recipe"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert label.stdout.strip() == recipe.stdout.strip(), f"{ref} is of another recipe"
    box = make_box(
        [*engine_mounts(host_engine), *scripts_mount(scripts_that_cannot_build)],
        env={"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"},
    )
    ping = f"import urllib.request as u; u.urlopen('http://{REGISTRY}/v2/', timeout=5)"
    if box.sh(f'python3 -c "{ping}"').returncode != 0:
        pytest.skip(f"no registry answers on {REGISTRY}")
    user_files(box)
    files = protected(box)

    first = box.setup("--no-venv")
    assert first.returncode == 0, first.stderr
    assert "build-base-image.sh called" not in first.stderr
    assert "Docker Hub does not answer" in first.stderr
    assert "writing /etc/hangar/environment.toml" in first.stderr
    assert box.out("cat /etc/hangar/environment.toml") == OVERLAY.format(registry=REGISTRY)
    assert protected(box) == files
    etc = box.etc()

    second = box.setup("--no-venv")
    assert second.returncode == 0, second.stderr
    assert "build-base-image.sh called" not in second.stderr
    assert "writing" not in second.stderr, second.stderr
    assert "updating" not in second.stderr, second.stderr
    assert box.etc() == etc, "the second run changed files under /etc"
    assert box.out("cat /etc/hangar/environment.toml") == OVERLAY.format(registry=REGISTRY)


def test_docker_cli_alone_counts_as_no_engine(host_engine: HostEngine, make_box: MakeBox) -> None:
    """A docker CLI with nothing to talk to (no dockerd, no socket, no DOCKER_HOST): the machine
    has no engine; where one cannot be installed, the script says what to install.
    """
    box = make_box([*engine_mounts(host_engine, socket=False), *scripts_mount()])
    assert box.sh("command -v docker && ! command -v dockerd").returncode == 0
    assert_stops_saying_no_engine_on_another_distribution(box)
