"""A registry on loopback that forwards every request to the real one and, when told, fails
with 503 after a number of manifest writes: a registry fault in the middle of a release.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive", "content-length", "server", "date"}


@dataclass
class Faults:
    manifest_writes_allowed: int | None = None  # None: never fail
    manifest_writes: int = 0


def _handler(upstream: str, faults: Faults) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.command == "PUT" and "/manifests/" in self.path:
                allowed = faults.manifest_writes_allowed
                if allowed is not None and faults.manifest_writes >= allowed:
                    self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                faults.manifest_writes += 1
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            request = urllib.request.Request(
                f"http://{upstream}{self.path}", data=body, headers=headers, method=self.command
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                    status, reply, data = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as exc:
                status, reply, data = exc.code, exc.headers, exc.read()
            self.send_response(status)
            for key, value in reply.items():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value.replace(upstream, self.headers["Host"]))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward  # noqa: N815 - http.server's names

        def log_message(self, *_args: object) -> None:
            return

    return Forward


@contextmanager
def faulty_registry(upstream: str, faults: Faults) -> Iterator[str]:
    """A `127.0.0.1:PORT` registry in front of `upstream`, for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, faults))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
