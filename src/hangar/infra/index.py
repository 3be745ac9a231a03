"""What the package index says of a release, read from its simple API: its upload times
(PEP 700) and its Requires-Python (PEP 503's data-requires-python, PEP 691's requires-python).

Asks for the JSON form (`application/vnd.pypi.simple.v1+json`) and also understands the HTML
form with `data-upload-time` attributes, which some mirrors serve whatever is asked.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from http import HTTPStatus

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from hangar.errors import NotFound, StepFailed

ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


@dataclass(frozen=True, kw_only=True)
class IndexFile:
    filename: str
    upload_time: datetime | None
    requires_python: str | None = None


def parse_simple_page(body: str, content_type: str) -> tuple[IndexFile, ...]:
    """Files and upload times from a simple-API project page, JSON or HTML."""
    if "json" in content_type:
        data = json.loads(body)
        return tuple(
            IndexFile(
                filename=f["filename"],
                upload_time=_time(f.get("upload-time")),
                requires_python=f.get("requires-python") or None,
            )
            for f in data.get("files", [])
        )
    parser = _LinkParser()
    parser.feed(body)
    return tuple(parser.files)


def files_of_release(files: tuple[IndexFile, ...], version: str) -> tuple[IndexFile, ...]:
    wanted = Version(version)
    found: list[IndexFile] = []
    for file in files:
        try:
            if file.filename.endswith(".whl"):
                _, file_version, _, _ = parse_wheel_filename(file.filename)
            else:
                _, file_version = parse_sdist_filename(file.filename)
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        if file_version == wanted:
            found.append(file)
    return tuple(found)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value)


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[IndexFile] = []
        self._attrs: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attrs = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._attrs is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._attrs is not None:
            href = self._attrs.get("href") or ""
            name = "".join(self._text).strip() or href.split("#")[0].rsplit("/", 1)[-1]
            self.files.append(
                IndexFile(
                    filename=name,
                    upload_time=_time(self._attrs.get("data-upload-time")),
                    requires_python=self._attrs.get("data-requires-python") or None,
                )
            )
            self._attrs = None


@dataclass(frozen=True, kw_only=True)
class SimpleIndex:
    """Reads the simple API of one index over HTTPS (CA bundle from SSL_CERT_FILE if set,
    read when called, not at import).
    """

    index_url: str
    timeout: float = 30.0

    def release_upload_time(self, project: str, version: str) -> datetime | None:
        times = [f.upload_time for f in self._release(project, version) if f.upload_time]
        return max(times) if times else None

    def requires_python(self, project: str, version: str) -> str:
        """The release's Requires-Python (its wheel's, else any file's); empty: any Python."""
        files = sorted(
            self._release(project, version), key=lambda f: not f.filename.endswith(".whl")
        )
        return next((f.requires_python for f in files if f.requires_python), "")

    def _release(self, project: str, version: str) -> tuple[IndexFile, ...]:
        base, authorization = split_credentials(self.index_url)
        url = f"{base.rstrip('/')}/{canonicalize_name(project)}/"
        headers = {"Accept": ACCEPT}
        if authorization:
            headers["Authorization"] = authorization
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(
                request, timeout=self.timeout, context=ssl.create_default_context(cafile=_cafile())
            ) as response:
                body = response.read().decode()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            if exc.code == HTTPStatus.NOT_FOUND:
                raise NotFound(f"{project} is not on {base}") from None
            raise StepFailed(f"reading {url} failed: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise StepFailed(
                f"reading {url} failed: {exc}", hint="check the network or --index-url"
            ) from None
        files = files_of_release(parse_simple_page(body, content_type), version)
        if not files:
            raise NotFound(f"{project} {version} is not on {base}")
        return files


def split_credentials(url: str) -> tuple[str, str | None]:
    """`https://user:pw@host/simple` -> (`https://host/simple`, its Basic Authorization header):
    the credentials go in a header, never in a URL that an error message could show.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), f"Basic {token}"


def _cafile() -> str | None:
    return os.environ.get("SSL_CERT_FILE") or None
