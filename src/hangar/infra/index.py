"""What the package index says of a release, read from its simple API: its upload times
(PEP 700), its Requires-Python (PEP 503's data-requires-python, PEP 691's requires-python) and
the extras it provides (its core metadata: the `.metadata` file of PEP 658 where the index has
one, else the METADATA inside the release's wheel, checked against the index's hash).

Asks for the JSON form (`application/vnd.pypi.simple.v1+json`) and also understands the HTML
form with `data-upload-time` attributes, which some mirrors serve whatever is asked.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from http import HTTPStatus

from packaging.metadata import Metadata
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from hangar.errors import NotFound, StepFailed
from hangar.values import without_credentials

ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


@dataclass(frozen=True, kw_only=True)
class IndexFile:
    filename: str
    upload_time: datetime | None
    requires_python: str | None = None
    url: str = ""  # as the page gives it (possibly relative to the page)
    sha256: str | None = None
    core_metadata: bool = False  # PEP 658/714: the index serves `<url>.metadata`


def parse_simple_page(body: str, content_type: str) -> tuple[IndexFile, ...]:
    """Files and upload times from a simple-API project page, JSON or HTML."""
    if "json" in content_type:
        data = json.loads(body)
        return tuple(
            IndexFile(
                filename=f["filename"],
                upload_time=_time(f.get("upload-time")),
                requires_python=f.get("requires-python") or None,
                url=f.get("url", ""),
                sha256=(f.get("hashes") or {}).get("sha256"),
                core_metadata=bool(f.get("core-metadata") or f.get("dist-info-metadata")),
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
            url, _, fragment = href.partition("#")
            name = "".join(self._text).strip() or url.rsplit("/", 1)[-1]
            metadata = self._attrs.get("data-core-metadata") or self._attrs.get(
                "data-dist-info-metadata"
            )
            self.files.append(
                IndexFile(
                    filename=name,
                    upload_time=_time(self._attrs.get("data-upload-time")),
                    requires_python=self._attrs.get("data-requires-python") or None,
                    url=url,
                    sha256=fragment.removeprefix("sha256=")
                    if fragment.startswith("sha256=")
                    else None,
                    core_metadata=metadata not in (None, "false"),
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

    def provides_extra(self, project: str, version: str) -> tuple[str, ...]:
        """The extras the release's wheel declares (Provides-Extra), normalized and sorted."""
        page, files = self._page(project, version)
        wheels = [f for f in files if f.filename.endswith(".whl")]
        if not wheels:
            raise NotFound(f"{project} {version} has no wheel on the index to read extras from")
        wheel = wheels[0]
        url = urllib.parse.urljoin(page, wheel.url or wheel.filename)
        if wheel.core_metadata:
            text = self._get(url + ".metadata").decode()
        else:
            text = _wheel_metadata(self._get(url), wheel)
        metadata = Metadata.from_email(text, validate=False)
        return tuple(sorted({str(e) for e in metadata.provides_extra or ()}))

    def has_project(self, project: str) -> bool:
        """Whether the index has a project of that name at all."""
        try:
            self._fetch_page(project)
        except NotFound:
            return False
        return True

    def _release(self, project: str, version: str) -> tuple[IndexFile, ...]:
        return self._page(project, version)[1]

    def _page(self, project: str, version: str) -> tuple[str, tuple[IndexFile, ...]]:
        """The project page's address and the release's files on it."""
        url, body, content_type = self._fetch_page(project)
        files = files_of_release(parse_simple_page(body, content_type), version)
        if not files:
            base, _ = split_credentials(self.index_url)
            raise NotFound(f"{project} {version} is not on {base}")
        return url, files

    def _fetch_page(self, project: str) -> tuple[str, str, str]:
        base, _ = split_credentials(self.index_url)
        url = f"{base.rstrip('/')}/{canonicalize_name(project)}/"
        try:
            body, content_type = self._read(url, accept=ACCEPT)
        except NotFound:
            raise NotFound(f"{project} is not on {base}") from None
        return url, body.decode(), content_type

    def _get(self, url: str) -> bytes:
        return self._read(url, accept="*/*")[0]

    def _read(self, url: str, *, accept: str) -> tuple[bytes, str]:
        """GET `url`; the index's credentials go only to the index's own host."""
        base, authorization = split_credentials(self.index_url)
        headers = {"Accept": accept}
        same_host = urllib.parse.urlsplit(url).netloc == urllib.parse.urlsplit(base).netloc
        if authorization and same_host:
            headers["Authorization"] = authorization
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(
                request, timeout=self.timeout, context=ssl.create_default_context(cafile=_cafile())
            ) as response:
                return response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            if exc.code == HTTPStatus.NOT_FOUND:
                raise NotFound(f"{url} is not on the index") from None
            raise StepFailed(f"reading {url} failed: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise StepFailed(
                f"reading {url} failed: {exc}", hint="check the network or --index-url"
            ) from None


def _wheel_metadata(data: bytes, wheel: IndexFile) -> str:
    """The METADATA inside a wheel, after checking the wheel against the index's hash."""
    if wheel.sha256 and hashlib.sha256(data).hexdigest() != wheel.sha256:
        raise StepFailed(f"{wheel.filename} does not match the index's sha256")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            name = next(
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            )
            return archive.read(name).decode()
    except (zipfile.BadZipFile, StopIteration) as exc:
        raise StepFailed(f"{wheel.filename} holds no readable METADATA ({exc!r})") from None


def split_credentials(url: str) -> tuple[str, str | None]:
    """`https://user:pw@host/simple` -> (`https://host/simple`, its Basic Authorization header):
    the credentials go in a header, never in a URL that an error message could show.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return without_credentials(url), f"Basic {token}"


def _cafile() -> str | None:
    return os.environ.get("SSL_CERT_FILE") or None
