"""What the image and integration tests share: the repository, the local registry and base
images, the small test images' settings, building them, and running containers.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hangar.constraints.cache import ensure_constraints
from hangar.constraints.resolve import Mode
from hangar.image.buildx import BuildParams, Secret, buildx_command
from hangar.infra.files import copy_build_context
from hangar.infra.index import SimpleIndex
from hangar.infra.process import SubprocessRunner
from hangar.infra.registry import HttpRegistry
from hangar.infra.uv import UvResolver

REPO = Path(__file__).resolve().parent.parent
REGISTRY = os.environ.get("HANGAR_REGISTRY", "127.0.0.1:5000")
CA_BUNDLE = Path(os.environ.get("HANGAR_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
# Python version -> base image the set-up script builds from Debian packages
BASES = {
    "3.11": f"{REGISTRY}/python:3.11-slim-bookworm",
    "3.13": f"{REGISTRY}/python:3.13-slim-trixie",
}
# in the local registry: a Python 3.11 base that took no Debian update (built on first use)
OUTDATED_BASE = "python:3.11-slim-bookworm-main-only"
TEST_EXTRAS = "celery,postgres"
AIRFLOW_VERSION = "3.3.2"


@dataclass(frozen=True)
class Built:
    ref: str
    returncode: int
    output: str


def registry_base(tag: str, *more: str, rebuild: bool = False) -> str:
    """A Python 3.11 bookworm base image `tag` in the local registry, built by
    scripts/build-base-image.sh (with `more` options) unless it is there already and `rebuild` is
    not asked for (a few minutes).
    """
    repository, reference = tag.split(":")
    if rebuild or HttpRegistry(host=REGISTRY).digest(repository, reference) is None:
        subprocess.run(
            [
                REPO / "scripts" / "build-base-image.sh",
                "--python",
                "3.11",
                "--codename",
                "bookworm",
                "--tag",
                f"{REGISTRY}/{tag}",
                "--push",
                *more,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
    return f"{REGISTRY}/{tag}"


def make_context(
    root: Path,
    *,
    dags: Path | None = None,
    files: Mapping[str, bytes | Path] | None = None,
) -> Path:
    """A build context holding exactly what a fresh clone gives the Dockerfile, plus `files`
    placed in docker-context-files and `dags` copied to dags/.
    """
    return copy_build_context(REPO, root, dags=dags, files=files)


def build(
    context: Path,
    *,
    tag: str,
    python: str = "3.11",
    build_args: Mapping[str, str] | None = None,
    secrets: tuple[Secret, ...] | None = None,
    base_image: str | None = None,
    env: Mapping[str, str] | None = None,
    target: str | None = "main",
) -> Built:
    """Build an image with the real engine and return its reference, exit code and output."""
    args = {
        "AIRFLOW_EXTRAS": TEST_EXTRAS,
        "COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
        "AIRFLOW_IMAGE_DATE_CREATED": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **(build_args or {}),
    }
    params = BuildParams(
        context=context,
        python=python,
        base_image=base_image or BASES[python],
        build_args=tuple(args.items()),
        secrets=secrets if secrets is not None else (Secret(id="ca-bundle", src=CA_BUNDLE),),
        tags=(tag,),
        target=target,
    )
    done = subprocess.run(
        ["docker", *buildx_command(params)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Built(ref=tag, returncode=done.returncode, output=done.stdout + done.stderr)


def run_options(
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    volumes: Mapping[Path, str] | None = None,
) -> list[str]:
    """`docker run` options: host networking (the only kind on these machines), environment,
    user, and read-only bind mounts.
    """
    args = ["--network", "host"]
    for key, value in (env or {}).items():
        args += ["-e", f"{key}={value}"]
    if user:
        args += ["--user", user]
    for host_path, container_path in (volumes or {}).items():
        args += ["-v", f"{host_path}:{container_path}:ro"]
    return args


def run(
    image: str,
    *command: str,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    volumes: Mapping[Path, str] | None = None,
    docker_args: tuple[str, ...] = (),
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`docker run --rm` an image's entrypoint with `command`; output captured as text."""
    return docker(
        "run", "--rm", *run_options(env, user, volumes), *docker_args, image, *command,
        timeout=timeout,
    )  # fmt: skip


def constraints_for_tests(python: str, extras: str = TEST_EXTRAS) -> Path:
    """Constraints for the test images, generated by hangar from the real index and cached in
    .hangar/cache (keyed by every input), as `hangar image build` does.
    """
    return ensure_constraints(
        airflow_version=AIRFLOW_VERSION,
        python=python,
        extras=tuple(extras.split(",")),
        mode=Mode.CONSTRAINTS,
        cache_dir=REPO / ".hangar" / "cache" / "constraints",
        resolver=UvResolver(runner=SubprocessRunner()),
        index=SimpleIndex(index_url="https://pypi.org/simple"),
    )


def small_image(
    make_image: Callable[..., Built],
    built: dict[tuple[str, str], Built],
    python: str,
    target: str = "main",
) -> str:
    """The small test image of `python` and `target`, built once per session (`built`)."""
    if (python, target) not in built:
        result = make_image(
            python=python,
            dags=REPO / "tests" / "image" / "dags",
            files={f"constraints-{python}.txt": constraints_for_tests(python)},
            build_args={"EMBEDDED_DAGS": "dags"},
            target=target,
        )
        assert result.returncode == 0, result.output[-3000:]
        built[python, target] = result
    return built[python, target].ref


HANGAR = str(Path(sys.executable).with_name("hangar"))  # the hangar of this venv


# runc sometimes fails to start a container on a busy machine ("read init-p: connection reset by
# peer"); the container never ran, so starting it again is safe.
TRANSIENT_START = ("failed to create shim task", "failed to create task for container")
START_ATTEMPTS = 3


def docker(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`docker ARGS` with output captured as text; a start that runc failed transiently is tried
    again (after removing the named container it may have left), up to START_ATTEMPTS times.
    """
    for _ in range(START_ATTEMPTS):
        done = subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode == 0 or not any(m in done.stderr for m in TRANSIENT_START):
            return done
        if "--name" in args:
            name = args[args.index("--name") + 1]
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    return done


def docker_output(*args: str) -> str:
    """`docker ARGS`' standard output; fails the test when docker fails."""
    done = docker(*args)
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout


def containers_of(image: str, image_id: str) -> set[str]:
    """The ids of every container (running or not) of `image`."""
    lines = docker_output("ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.Image}}")
    return {line.split()[0] for line in lines.splitlines() if line.split()[1] in {image, image_id}}


def empty_repository(registry: HttpRegistry, name: str) -> None:
    """Delete every manifest a throwaway repository holds (its tags with them)."""
    for digest in {registry.digest(name, tag) for tag in registry.list_tags(name)} - {None}:
        registry.delete(name, digest)  # type: ignore[arg-type]


# Repositories only the tests name (with or without the registry in front): swept at the end of
# a session so that repeated runs do not fill the engine's disk with throwaway images.
THROWAWAY = re.compile(r"^(?:[^/]+:\d+/)?(?:hangar-candidate/)?hangar-(?:test|it|ci)[-:/]")


def remove_throwaway_images() -> None:
    """Remove every local image of a test-only repository (see THROWAWAY); no error if in use."""
    listed = docker("images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}").stdout.splitlines()
    doomed = sorted(
        {
            image_id if ref.endswith(":<none>") else ref
            for image_id, ref in (line.split(" ", 1) for line in listed if " " in line)
            if THROWAWAY.match(ref)
        }
    )
    for start in range(0, len(doomed), 50):
        docker("image", "rm", "--force", *doomed[start : start + 50])
