"""What the image and integration tests share: the repository, the local registry and base
images, the small test images' settings, building them, and running containers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hangar.constraints.cache import ensure_constraints
from hangar.constraints.resolve import Mode
from hangar.image.building.buildx import BuildParams, Secret, buildx_command
from hangar.infra.files import copy_build_context
from hangar.infra.index import SimpleIndex
from hangar.infra.process import SubprocessRunner
from hangar.infra.registry import HttpRegistry
from hangar.infra.uv import UvResolver
from tests.kept import kept_build, tree_digest

REPO = Path(__file__).resolve().parent.parent
HANGAR = str(Path(sys.executable).with_name("hangar"))  # the hangar of this venv
REGISTRY = os.environ.get("HANGAR_REGISTRY", "127.0.0.1:5000")
CA_BUNDLE = Path(os.environ.get("HANGAR_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
# Python version -> base image the set-up script builds from Debian packages
BASES = {
    "3.11": f"{REGISTRY}/python:3.11-slim-bookworm",
    "3.13": f"{REGISTRY}/python:3.13-slim-trixie",
    "3.14": f"{REGISTRY}/python:3.14-slim-forky",
}
# in the local registry: a Python 3.11 base that took no Debian update (built on first use; its
# tag ends in the recipe key, see registry_base)
OUTDATED_BASE = "3.11-slim-bookworm-main-only"
TEST_EXTRAS = "celery,postgres"
AIRFLOW_VERSION = "3.3.2"


@dataclass(frozen=True)
class Built:
    ref: str
    returncode: int
    output: str


# what a base image built from Debian packages is made of: the script, its Dockerfile and files,
# and `hangar base build`, which runs the script
BASE_RECIPE = (
    REPO / "scripts" / "build-base-image.sh",
    REPO / "scripts" / "base-image",
    REPO / "src" / "hangar" / "cli" / "base.py",
)


def recipe_key(*inputs: str) -> str:
    """12 hex digits naming a base image by its recipe (BASE_RECIPE's files) and `inputs` (its
    options): a base of another recipe has another name.
    """
    digest = hashlib.sha256("\0".join(inputs).encode())
    for path in BASE_RECIPE:
        digest.update(tree_digest(path).encode() if path.is_dir() else path.read_bytes())
    return digest.hexdigest()[:12]


def pending_updates(ref: str) -> list[dict[str, str]]:
    """The security updates `hangar image scan` finds pending in `ref` (pulled first: of an
    index, the machine's own platform).
    """
    subprocess.run(["docker", "pull", "--quiet", ref], check=True, capture_output=True)
    done = subprocess.run(
        [HANGAR, "image", "scan", ref, "--output", "json", "--fail-on", "none"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    found: list[dict[str, str]] = json.loads(done.stdout)["pending"]
    return found


def kept_base(
    repository: str, stem: str, key: str, build: Callable[[str], None], *, current: bool
) -> str:
    """The base image `REGISTRY/repository:stem-key`, kept in the local registry between runs:
    built by `build(ref)` when the registry does not hold it, or (`current`) when the Debian
    security archive has published an update it lacks; once built, the tags of the same stem
    with another key (another recipe) are deleted.
    """
    registry = HttpRegistry(host=REGISTRY)
    tag = f"{stem}-{key}"
    ref = f"{REGISTRY}/{repository}:{tag}"
    if registry.digest(repository, tag) is not None and not (current and pending_updates(ref)):
        return ref
    build(ref)
    if current:
        assert pending_updates(ref) == [], f"{ref}, built just now, should have every update"
    # of another key: the tag, and the per-platform parts of an index (`<tag>-amd64`)
    others = re.compile(rf"^{re.escape(stem)}-(?!{key})[0-9a-f]{{12}}(-[a-z0-9]+)?$")
    keep = {registry.digest(repository, t) for t in registry.list_tags(repository) if tag in t}
    for old in registry.list_tags(repository):
        digest = registry.digest(repository, old) if others.match(old) else None
        if digest is not None and digest not in keep:
            registry.delete(repository, digest)
    return ref


def registry_base(stem: str, *more: str, current: bool = False) -> str:
    """A Python 3.11 bookworm base image in the local registry, `python:<stem>-<recipe key>`,
    built by scripts/build-base-image.sh (with `more` options) unless it is kept there already
    (a few minutes); `current`: built again when the security archive has published since.
    """

    def build_it(ref: str) -> None:
        subprocess.run(
            [
                REPO / "scripts" / "build-base-image.sh",
                "--python", "3.11", "--codename", "bookworm", "--tag", ref, "--push", *more,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )  # fmt: skip

    return kept_base(
        "python", stem, recipe_key("3.11", "bookworm", *more), build_it, current=current
    )


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
    """Build an image with the real engine and return its reference, exit code and output; an
    image of the same inputs kept from an earlier build is taken instead (tests/kept.py).
    """
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
    environment = {**os.environ, **(env or {})}

    def run_build(given: BuildParams) -> tuple[int, str]:
        done = subprocess.run(
            ["docker", *buildx_command(given)],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    # the inputs of an earlier build (of this run or an earlier one): that image (tests/kept.py)
    kept = kept_build(params, environment, run_build)
    return Built(ref=kept.ref, returncode=kept.returncode, output=kept.output)


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
