"""`hangar image build` against the real engine and the registry at 127.0.0.1:5000: a parallel
two-Python build with push, a pull on a cleaned engine, and rebuilds that take the cached path
(warm, and from the registry cache on an emptied builder). Asserts on the build output, not
on time. Builds share one context and image repository within the session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.images import REGISTRY, REPO, docker, docker_output, make_context

pytestmark = [pytest.mark.integration, pytest.mark.fresh_builder(1)]

PYTHONS = ("3.11", "3.13")
SMALL = ("--extras", "celery,postgres")


@dataclass(frozen=True)
class Session:
    context: Path
    logs: Path
    image_name: str

    def tag(self, python: str) -> str:
        return f"{REGISTRY}/{self.image_name}:3.3.2-python{python}"

    def hangar(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "HANGAR_IMAGE_NAME": self.image_name,
            "HANGAR_LOG_DIR": str(self.logs),
            "COLUMNS": "250",  # the summary table on one line per build
        }
        return subprocess.run(
            [sys.executable, "-c", "from hangar.cli.main import main; main()", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )

    def build(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.hangar("image", "build", "--context", str(self.context), *SMALL, *args)

    def log(self, python: str) -> str:
        return (self.logs / f"build-{python}.log").read_text()


def install_step_cached(log: str) -> bool:
    """The step that installs Airflow (the long one) was taken from the cache."""
    ids = re.findall(r"^#(\d+) \[build \d+/\d+\] RUN .*install-airflow\.sh", log, re.MULTILINE)
    assert ids, "no install step in the build output"
    return all(re.search(rf"^#{i} CACHED$", log, re.MULTILINE) for i in ids)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("build-cli")
    s = Session(
        context=make_context(root / "ctx"),
        logs=root / "logs",
        image_name=f"hangar-it-{uuid.uuid4().hex[:8]}",
    )
    yield s
    for python in PYTHONS:
        docker("image", "rm", "-f", s.tag(python))


@pytest.fixture(scope="module")
def first_build(session: Session) -> subprocess.CompletedProcess[str]:
    """Both Python versions built in parallel and pushed, with their registry cache."""
    pythons = [a for p in PYTHONS for a in ("--python", p)]
    return session.build(*pythons, "--push", "--cache", "registry")


@pytest.fixture(scope="module")
def pushed(session: Session, first_build: subprocess.CompletedProcess[str]) -> Session:
    assert first_build.returncode == 0, first_build.stderr[-3000:]
    return session


def test_parallel_build_pushes_both_pythons_with_a_summary_and_a_log_each(
    pushed: Session, first_build: subprocess.CompletedProcess[str]
) -> None:
    for python in PYTHONS:
        assert pushed.tag(python) in first_build.stdout  # the summary table
        assert str(pushed.logs / f"build-{python}.log") in first_build.stdout
        assert "pushing" in pushed.log(python)
        inspected = docker("buildx", "imagetools", "inspect", pushed.tag(python))
        assert inspected.returncode == 0, inspected.stderr
        cache_tag = f"{REGISTRY}/{pushed.image_name}:cache-python{python}-linux-amd64"
        assert docker("buildx", "imagetools", "inspect", cache_tag).returncode == 0


def test_pull_on_a_cleaned_engine(pushed: Session) -> None:
    tag = pushed.tag("3.11")
    assert docker("image", "rm", "-f", tag).returncode == 0
    assert docker("image", "inspect", tag).returncode != 0
    pulled = docker("pull", tag)
    assert pulled.returncode == 0, pulled.stderr
    labels = docker(
        "image",
        "inspect",
        "-f",
        '{{index .Config.Labels "org.apache.airflow.python.version"}} '
        '{{index .Config.Labels "org.apache.airflow.extras"}}',
        tag,
    )
    assert labels.stdout.split() == ["3.11", "celery,postgres"]


# run in the image by its own Python: what trimming and bytecode leave in the virtualenv
VENV_CHECK = r"""
import hashlib, importlib, importlib.util, os, struct, sys, sysconfig
site = sysconfig.get_path("purelib")
venv = sys.prefix
compiled = set()
for folder, _, files in os.walk(site):
    compiled.update(os.path.join(folder, f) for f in files if f.endswith(".pyc"))
for name in ("airflow.cli.cli_parser", "airflow.jobs.scheduler_job_runner",
             "airflow.providers.celery.executors.celery_executor"):
    importlib.import_module(name)
imported = [m.__file__ for m in list(sys.modules.values())
            if (getattr(m, "__file__", None) or "").startswith(site) and m.__file__.endswith(".py")]
missing = sorted(f for f in imported if importlib.util.cache_from_source(f) not in compiled)
print("no bytecode:", missing)

def symbols(path):
    # the names of an ELF64 little-endian file's sections (None: not such a file)
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:6] != b"\x7fELF\x02\x01":
            return None
        shoff, = struct.unpack_from("<Q", head, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", head, 0x3A)
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        sections = [struct.unpack_from("<IIQQQQ", table, i * shentsize) for i in range(shnum)]
        f.seek(sections[shstrndx][4])
        names = f.read(sections[shstrndx][5])
        return {names[s[0]:names.index(b"\0", s[0])].decode() for s in sections}

unstripped, elf, groups = [], 0, {}
for folder, dirs, files in os.walk(venv):
    if os.path.basename(folder) in ("tests", "test") and "/airflow/" not in folder + "/":
        print("test suite:", folder)
    for f in files:
        path = os.path.join(folder, f)
        if os.path.islink(path):
            continue
        if f.endswith((".c", ".h", ".pyx", ".pxd", ".map", ".exe")):
            print("source or debug file:", path)
        names = symbols(path)
        if names is not None:
            elf += 1
            if ".symtab" in names:
                unstripped.append(path)
        st = os.stat(path)
        if st.st_size:
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            groups.setdefault((digest, st.st_mode), set()).add(st.st_ino)
print("ELF files:", elf)
print("with symbols:", unstripped)
print("copies:", sum(len(inodes) - 1 for inodes in groups.values()))
"""


def test_the_virtualenv_is_trimmed_deduplicated_and_compiled_for_start_up(pushed: Session) -> None:
    """No test suites, C sources or source maps, no debug symbols in shared libraries and
    programs, identical files stored once, and bytecode for every module Airflow's CLI, the
    scheduler and the Celery executor import (COMPILE_BYTECODE=core).
    """
    shown = docker(
        "run", "--rm", "--network", "host", "--entrypoint", "python", pushed.tag("3.13"),
        "-c", VENV_CHECK,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-3000:]
    lines = [line for line in shown.stdout.splitlines() if not line.startswith(" ")]
    assert "no bytecode: []" in lines, shown.stdout
    assert "with symbols: []" in lines, shown.stdout
    assert "copies: 0" in lines, shown.stdout
    assert not [line for line in lines if line.startswith(("test suite:", "source or debug"))]
    elf = next(line for line in lines if line.startswith("ELF files: "))
    assert int(elf.split(": ")[1]) > 10  # the check saw the compiled modules


def test_warm_rebuild_takes_the_cached_path(pushed: Session) -> None:
    done = pushed.build("--python", "3.11")
    assert done.returncode == 0, done.stderr[-3000:]
    assert install_step_cached(pushed.log("3.11")), pushed.log("3.11")[-3000:]


# the diff ID of a layer that changes nothing (an empty tar): what a RUN step with nothing to do
# leaves in the image
EMPTY_LAYER = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"


def layers(ref: str) -> list[str]:
    return docker_output(
        "image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}{{end}}", ref
    ).split()


def assert_one_layer_added(session: Session, *added: str) -> None:
    """Rebuilt with ADDED after a plain build: the install step came from the cache, and the
    image holds the plain one's layers, in order, and one new layer (and maybe empty ones: the
    runtime-packages step, left out of a plain build, leaves an empty layer when it has nothing
    to install). The context's files are given new times in between, as a fresh clone would:
    a step re-run after the addition would carry them and differ from the plain image's.
    """
    tag = session.tag("3.11")
    plain = session.build("--python", "3.11")
    assert plain.returncode == 0, plain.stderr[-3000:]
    before = layers(tag)
    now = time.time()
    for path in session.context.rglob("*"):
        os.utime(path, (now, now), follow_symlinks=False)
    done = session.build("--python", "3.11", *added)
    assert done.returncode == 0, done.stderr[-3000:]
    log = session.log("3.11")
    assert install_step_cached(log), log[-3000:]
    after = layers(tag)
    new = [layer for layer in after if layer not in before and layer != EMPTY_LAYER]
    assert len(new) == 1, (before, after)
    kept = [layer for layer in after if layer not in new and layer != EMPTY_LAYER]
    assert kept == [layer for layer in before if layer != EMPTY_LAYER], (before, after)


def test_an_added_runtime_package_is_one_new_layer_over_the_same_ones(pushed: Session) -> None:
    """ADDITIONAL_RUNTIME_APT_DEPS has a step of its own after the virtualenv: adding a package
    rebuilds nothing else, and the image differs from the one a user has by that layer alone.
    """
    tag = pushed.tag("3.11")
    assert_one_layer_added(pushed, "--additional-runtime-apt-deps", "jq")
    version = docker("run", "--rm", "--network", "host", tag, "bash", "-c", "jq --version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("jq-")


def test_added_python_dependencies_are_one_new_layer_over_the_same_ones(pushed: Session) -> None:
    """ADDITIONAL_PYTHON_DEPS go into a copy of the virtualenv and only what they change is
    applied, as a layer of its own: the install step is not re-run, the image differs from the
    one a user has by that layer alone, and what a downgrade replaces is gone from the image.
    """
    tag = pushed.tag("3.11")
    assert_one_layer_added(
        pushed,
        "--additional-python-deps", "cowsay",
        "--additional-python-deps", "click<8.3",
        "--allow-upgrades",
    )  # fmt: skip
    script = """
        set -e
        cowsay -t moo >/dev/null
        python -c 'import click; print(click.__version__)'
        site=$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
        ls -d "$site"/click-*.dist-info
        cd "$site/click"
        for pyc in __pycache__/*.pyc; do  # no bytecode without its module
            name=${pyc#__pycache__/}; [ -f "${name%%.*}.py" ] || echo "orphan $pyc"
        done
        pip check
    """
    shown = docker("run", "--rm", "--network", "host", tag, "bash", "-c", script)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    version, dist_info, *rest = shown.stdout.splitlines()
    assert tuple(map(int, version.split(".")[:2])) < (8, 3)
    assert dist_info.endswith(f"click-{version}.dist-info")  # the replaced one is gone
    assert not [line for line in rest if line.startswith("orphan")], rest


def test_emptied_builder_rebuilds_from_the_registry_cache(pushed: Session) -> None:
    assert docker("buildx", "prune", "-af").returncode == 0
    done = pushed.build("--python", "3.13", "--cache-from")
    assert done.returncode == 0, done.stderr[-3000:]
    log = pushed.log("3.13")
    assert "importing cache manifest from" in log
    assert install_step_cached(log), log[-3000:]


def test_missing_base_image_fails_with_one_line(session: Session) -> None:
    done = session.build("--python", "3.11", "--base-image", f"{REGISTRY}/python:nope-{{python}}")
    assert done.returncode == 8, done.stderr
    assert f"base image {REGISTRY}/python:nope-3.11 not found" in done.stderr
    assert "Traceback" not in done.stderr
