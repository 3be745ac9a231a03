"""The HTTP registry adapter against a tiny in-process registry: digests, tags, copies, basic
auth, and the one-line errors for a registry that is down or refuses.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hangar.errors import RegistryUnavailable
from hangar.infra.registry import Credentials, HttpRegistry, credentials_from_env, default_scheme

MANIFEST = json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:c"}, "layers": []}).encode()
MEDIA = "application/vnd.oci.image.manifest.v1+json"
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
AUTH = Credentials(username="ci", password="s3cret").basic()


class Handler(BaseHTTPRequestHandler):
    tags: dict[str, bytes]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 -- the stdlib's signature
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == AUTH:
            return True
        self._send(401, headers={"WWW-Authenticate": 'Basic realm="test"'})
        return False

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path == "/v2/":
            self._send(200, b"{}")
        elif self.path.startswith("/v2/airflow/tags/list"):
            self._send(200, json.dumps({"name": "airflow", "tags": sorted(self.tags)}).encode())
        elif self.path.startswith("/v2/airflow/manifests/"):
            ref = self.path.rsplit("/", 1)[1]
            body = self.tags.get(ref) or (MANIFEST if ref == DIGEST else None)
            if body is None:
                self._send(404)
            else:
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                self._send(200, body, {"Content-Type": MEDIA, "Docker-Content-Digest": digest})
        else:
            self._send(404)

    do_HEAD = do_GET  # noqa: N815 -- http.server calls do_<METHOD>

    def do_PUT(self) -> None:
        if not self._authorized():
            return
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.tags[self.path.rsplit("/", 1)[1]] = body
        self._send(
            201, headers={"Docker-Content-Digest": "sha256:" + hashlib.sha256(body).hexdigest()}
        )


@pytest.fixture
def server() -> Iterator[str]:
    handler = type("H", (Handler,), {"tags": {"3.3.2-python3.11": MANIFEST}})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_digest_tags_and_copy_with_basic_auth(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hangar.registry")
    reg = HttpRegistry(
        host=server,
        credentials=credentials_from_env(
            {"HANGAR_REGISTRY_USERNAME": "ci", "HANGAR_REGISTRY_PASSWORD": "s3cret"}
        ),
    )
    reg.ensure_available()
    assert reg.digest("airflow", "3.3.2-python3.11") == DIGEST
    assert reg.digest("airflow", "nope") is None
    copied = reg.copy(
        source_repository="airflow", source_reference=DIGEST, repository="airflow", tag="latest"
    )
    assert copied == DIGEST
    assert reg.list_tags("airflow") == ("3.3.2-python3.11", "latest")
    assert reg.digest("airflow", "latest") == DIGEST
    assert "s3cret" not in caplog.text
    assert "s3cret" not in repr(reg)


def test_missing_credentials_is_one_line_saying_what_to_set(server: str) -> None:
    with pytest.raises(RegistryUnavailable, match="needs credentials") as exc:
        HttpRegistry(host=server).ensure_available()
    assert "HANGAR_REGISTRY_USERNAME" in exc.value.line()
    bad = HttpRegistry(host=server, credentials=Credentials(username="ci", password="wrong"))
    with pytest.raises(RegistryUnavailable, match="refused the credentials"):
        bad.list_tags("airflow")


def test_unreachable_registry_gives_a_hint() -> None:
    with pytest.raises(RegistryUnavailable, match="not reachable") as exc:
        HttpRegistry(host="127.0.0.1:1", timeout=2).ensure_available()
    assert "setup-env.sh" in exc.value.line()


def test_scheme_is_http_only_for_this_machine() -> None:
    assert default_scheme("127.0.0.1:5000") == "http"
    assert default_scheme("localhost:5000") == "http"
    assert default_scheme("ghcr.io") == "https"
    assert credentials_from_env({}) is None
