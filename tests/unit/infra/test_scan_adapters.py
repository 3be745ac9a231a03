"""The adapters behind `hangar image scan`: reading an image's files through `docker create`,
`docker cp` and `docker rm` (nothing started, nothing left behind), and the Debian security
archive's `Packages.xz` over HTTP, against a tiny in-process server.
"""

from __future__ import annotations

import lzma
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

import pytest

from hangar.errors import NotFound, StepFailed
from hangar.infra.debian import DebianSecurityArchive
from hangar.infra.docker import DockerEngine
from hangar.ports import Command, ProcessResult
from tests.services import unused_port

CONTAINER = "c0ffee"


@dataclass
class ImageOnDisk:
    """A runner that plays docker: `create` gives a container, `cp` copies from `files` (path
    -> bytes) to the host target, as docker does, or fails like docker for a missing path.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    cp_error: str | None = None
    commands: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, command: Command, *, stream_to: IO[str] | None = None) -> ProcessResult:
        args = command.args
        self.commands.append(args)
        if args[1] == "create":
            return ProcessResult(args=args, returncode=0, stdout=CONTAINER + "\n")
        if args[1] == "cp":
            return self._cp(args)
        return ProcessResult(args=args, returncode=0)

    def _cp(self, args: tuple[str, ...]) -> ProcessResult:
        source, target = args[-2].split(":", 1)[1], Path(args[-1])
        if self.cp_error:
            return ProcessResult(args=args, returncode=1, stderr=self.cp_error)
        if source in self.files:
            target.write_bytes(self.files[source])
            return ProcessResult(args=args, returncode=0)
        inside = {p: b for p, b in self.files.items() if p.startswith(source.rstrip("/") + "/")}
        if not inside:
            message = f"Error response from daemon: Could not find the file {source} in container"
            return ProcessResult(args=args, returncode=1, stderr=message)
        for path, content in inside.items():
            (target / path[len(source) + 1 :]).parent.mkdir(parents=True, exist_ok=True)
            (target / path[len(source) + 1 :]).write_bytes(content)
        return ProcessResult(args=args, returncode=0)

    def verbs(self) -> list[str]:
        return [c[1] for c in self.commands]


def test_a_file_is_copied_out_of_a_container_that_never_starts_and_is_removed() -> None:
    runner = ImageOnDisk(files={"/etc/os-release": b"ID=debian\n"})
    engine = DockerEngine(runner=runner)
    assert engine.read_file("img:1", "/etc/os-release") == b"ID=debian\n"
    create, copy, remove = runner.commands
    assert create == ("docker", "create", "--pull", "never", "--network", "none", "img:1", "true")
    assert copy[:3] == ("docker", "cp", "--follow-link")  # /etc/os-release is a symlink
    assert copy[3] == f"{CONTAINER}:/etc/os-release"
    assert remove == ("docker", "rm", "--force", "--volumes", CONTAINER)


def test_a_missing_file_is_none_and_the_container_is_still_removed() -> None:
    runner = ImageOnDisk()
    assert DockerEngine(runner=runner).read_file("img:1", "/var/lib/dpkg/status") is None
    assert runner.verbs() == ["create", "cp", "rm"]


def test_a_failing_copy_is_an_error_and_the_container_is_still_removed() -> None:
    runner = ImageOnDisk(cp_error="Error response from daemon: no space left on device")
    with pytest.raises(StepFailed) as raised:
        DockerEngine(runner=runner).read_file("img:1", "/var/lib/dpkg/status")
    assert "no space left on device" in raised.value.message
    assert runner.verbs() == ["create", "cp", "rm"]


def test_a_folder_is_listed_down_to_the_depth_asked() -> None:
    lib = "/home/airflow/.local/lib"
    runner = ImageOnDisk(
        files={
            f"{lib}/python3.11/site-packages/pip-26.3.dist-info/METADATA": b"",
            f"{lib}/python3.11/site-packages/yaml/__init__.py": b"",
        }
    )
    engine = DockerEngine(runner=runner)
    assert engine.list_dir("img:1", lib, depth=3) == (
        "python3.11",
        "python3.11/site-packages",
        "python3.11/site-packages/pip-26.3.dist-info",
        "python3.11/site-packages/yaml",
    )
    assert engine.list_dir("img:1", "/nowhere") == ()
    assert runner.verbs() == ["create", "cp", "rm", "create", "cp", "rm"]


# -- the security archive -----------------------------------------------------------------

PACKAGES = "Package: openssl\nVersion: 3.0.16-1~deb12u1\nArchitecture: amd64\n\n"


class Archive(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 -- the stdlib's signature
        pass

    def do_GET(self) -> None:
        if self.path == "/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz":
            body = lzma.compress(PACKAGES.encode())
        elif self.path.startswith("/broken/"):
            body = b"<html>a captive portal</html>"
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def archive() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Archive)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_the_index_is_read_and_decompressed(archive: str) -> None:
    index = DebianSecurityArchive(mirror=f"{archive}/debian-security/")
    assert index.packages("bookworm-security", "amd64") == PACKAGES


def test_a_suite_the_archive_lacks_is_not_found(archive: str) -> None:
    index = DebianSecurityArchive(mirror=f"{archive}/debian-security")
    with pytest.raises(NotFound) as raised:
        index.packages("sid-security", "amd64")
    assert "sid-security" in raised.value.message


def test_an_unreachable_archive_says_which_setting_to_change() -> None:
    port = unused_port()
    index = DebianSecurityArchive(mirror=f"http://127.0.0.1:{port}/debian-security", timeout=5)
    with pytest.raises(StepFailed) as raised:
        index.packages("bookworm-security", "amd64")
    assert f"127.0.0.1:{port}/debian-security/dists/bookworm-security" in raised.value.message
    assert "debian_security_mirror" in (raised.value.hint or "")


def test_an_answer_that_is_not_xz_is_an_error(archive: str) -> None:
    with pytest.raises(StepFailed) as raised:
        DebianSecurityArchive(mirror=f"{archive}/broken").packages("bookworm-security", "amd64")
    assert "not an xz-compressed index" in raised.value.message
