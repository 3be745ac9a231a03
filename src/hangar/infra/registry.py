"""An OCI distribution registry through its HTTP API (urllib), behind a small interface.

Tags are copied by reading the source manifest and putting the same bytes under the new tag,
so the new tag resolves to exactly the source's digest (index or single manifest alike);
between repositories the blobs are mounted first, so nothing is pulled or pushed through
this machine. Credentials (basic auth, or a bearer token fetched with them) come from the
caller and are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus

from hangar.errors import RegistryUnavailable, StepFailed
from hangar.ports import INDEX_TYPES

log = logging.getLogger("hangar.registry")

MANIFEST_TYPES = (
    *INDEX_TYPES,
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
ACCEPT = ", ".join(MANIFEST_TYPES)
USER_ENV = "HANGAR_REGISTRY_USERNAME"
PASSWORD_ENV = "HANGAR_REGISTRY_PASSWORD"  # noqa: S105 -- the name of a variable, not a password
REGISTRY_HINT = "start it with scripts/setup-env.sh, or check --registry and `hangar env status`"
AUTH_HINT = f"set {USER_ENV} and {PASSWORD_ENV}"
FAILING_HINT = "the registry answers but fails: try again when it is healthy"


@dataclass(frozen=True, kw_only=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def basic(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"


def credentials_from_env(environ: Mapping[str, str]) -> Credentials | None:
    """Basic-auth credentials from HANGAR_REGISTRY_USERNAME / HANGAR_REGISTRY_PASSWORD."""
    user = environ.get(USER_ENV, "")
    return Credentials(username=user, password=environ.get(PASSWORD_ENV, "")) if user else None


def default_scheme(host: str) -> str:
    """Plain HTTP for a registry on this machine (as docker allows), HTTPS elsewhere."""
    name = (
        host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]", maxsplit=1)[0] + "]"
    )
    return "http" if name in ("localhost", "[::1]") or name.startswith("127.") else "https"


@dataclass(frozen=True, kw_only=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, kw_only=True)
class HttpRegistry:
    host: str
    credentials: Credentials | None = None
    scheme: str = ""
    timeout: float = 15.0

    # -- the Registry interface -------------------------------------------------------------
    def ensure_available(self) -> None:
        response = self._request("GET", "/v2/")
        if response.status != HTTPStatus.OK:
            raise RegistryUnavailable(
                f"registry {self.host} answered {response.status} to /v2/", hint=REGISTRY_HINT
            )

    def list_tags(self, repository: str) -> tuple[str, ...]:
        tags: list[str] = []
        path: str | None = f"/v2/{repository}/tags/list?n=1000"
        while path:
            response = self._request("GET", path)
            if response.status == HTTPStatus.NOT_FOUND:
                return ()
            self._expect(response, HTTPStatus.OK, f"listing the tags of {repository}")
            tags += json.loads(response.body or b"{}").get("tags") or []
            path = _next_link(response.headers.get("link", ""))
        return tuple(tags)

    def digest(self, repository: str, reference: str) -> str | None:
        response = self._request("HEAD", f"/v2/{repository}/manifests/{reference}", accept=ACCEPT)
        if response.status == HTTPStatus.NOT_FOUND:
            return None
        self._expect(response, HTTPStatus.OK, f"resolving {repository}:{reference}")
        found = response.headers.get("docker-content-digest")
        if found:
            return found
        _media_type, body = self.manifest(repository, reference)
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def copy(
        self, *, source_repository: str, source_reference: str, repository: str, tag: str
    ) -> str:
        media_type, body = self.manifest(source_repository, source_reference)
        if source_repository != repository:
            self._copy_content(source_repository, repository, media_type, body)
        return self.put_manifest(repository, tag, media_type, body)

    # -- more of the API, for the adapter itself and for tests ------------------------------
    def manifest(self, repository: str, reference: str) -> tuple[str, bytes]:
        response = self._request("GET", f"/v2/{repository}/manifests/{reference}", accept=ACCEPT)
        if response.status == HTTPStatus.NOT_FOUND:
            raise StepFailed(f"{self.host}/{repository}:{reference} does not exist in the registry")
        self._expect(response, HTTPStatus.OK, f"reading {repository}:{reference}")
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if not media_type:
            media_type = json.loads(response.body).get("mediaType", MANIFEST_TYPES[2])
        return media_type, response.body

    def blob(self, repository: str, digest: str) -> bytes:
        """The content of one blob (a config, or an attestation's in-toto statement)."""
        response = self._request("GET", f"/v2/{repository}/blobs/{digest}")
        if response.status == HTTPStatus.NOT_FOUND:
            raise StepFailed(f"{self.host}/{repository} has no blob {digest}")
        self._expect(response, HTTPStatus.OK, f"reading {repository}@{digest}")
        return response.body

    def has_blob(self, repository: str, digest: str) -> bool:
        response = self._request("HEAD", f"/v2/{repository}/blobs/{digest}")
        return response.status == HTTPStatus.OK

    def push_blob(self, repository: str, digest: str, data: bytes) -> None:
        """A monolithic upload: POST opens it, one PUT with the digest sends the bytes."""
        started = self._request("POST", f"/v2/{repository}/blobs/uploads/")
        self._expect(started, HTTPStatus.ACCEPTED, f"starting an upload to {repository}")
        location = started.headers.get("location", "")
        if not location:
            raise StepFailed(f"registry {self.host} named no upload location for {repository}")
        split = urllib.parse.urlsplit(location)
        query = [*urllib.parse.parse_qsl(split.query), ("digest", digest)]
        path = f"{split.path}?{urllib.parse.urlencode(query)}"
        done = self._request("PUT", path, data=data, content_type="application/octet-stream")
        self._expect(done, HTTPStatus.CREATED, f"uploading {digest} to {repository}")

    def put_manifest(self, repository: str, reference: str, media_type: str, body: bytes) -> str:
        response = self._request(
            "PUT", f"/v2/{repository}/manifests/{reference}", data=body, content_type=media_type
        )
        self._expect(response, HTTPStatus.CREATED, f"tagging {repository}:{reference}")
        return (
            response.headers.get("docker-content-digest")
            or "sha256:" + hashlib.sha256(body).hexdigest()
        )

    def delete(self, repository: str, digest: str) -> None:
        """Remove a manifest (and every tag on it); needs `delete.enabled` on the registry."""
        response = self._request("DELETE", f"/v2/{repository}/manifests/{digest}")
        if response.status not in (HTTPStatus.ACCEPTED, HTTPStatus.NOT_FOUND):
            self._expect(response, HTTPStatus.ACCEPTED, f"deleting {repository}@{digest}")

    def _copy_content(self, source: str, target: str, media_type: str, body: bytes) -> None:
        """Make everything a manifest refers to exist in `target`: child manifests of an index
        (copied by digest), blobs of an image (mounted from `source`).
        """
        manifest = json.loads(body)
        if media_type in INDEX_TYPES:
            for child in manifest.get("manifests", []):
                child_type, child_body = self.manifest(source, child["digest"])
                self._copy_content(source, target, child_type, child_body)
                self.put_manifest(target, child["digest"], child_type, child_body)
            return
        for blob in [manifest.get("config"), *manifest.get("layers", [])]:
            if blob:
                self._mount(source, target, blob["digest"])

    def _mount(self, source: str, target: str, digest: str) -> None:
        if self._request("HEAD", f"/v2/{target}/blobs/{digest}").status == HTTPStatus.OK:
            return
        query = urllib.parse.urlencode({"mount": digest, "from": source})
        response = self._request("POST", f"/v2/{target}/blobs/uploads/?{query}")
        if response.status != HTTPStatus.CREATED:
            raise StepFailed(
                f"registry {self.host} could not mount {digest} from {source} into {target} "
                f"(status {response.status})"
            )

    # -- HTTP --------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.scheme or default_scheme(self.host)}://{self.host}{path}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        accept: str | None = None,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> Response:
        headers = {"Accept": accept} if accept else {}
        if content_type:
            headers["Content-Type"] = content_type
        response = self._send(method, self._url(path), headers, data)
        if response.status == HTTPStatus.UNAUTHORIZED:
            authorization = self._authorize(response.headers.get("www-authenticate", ""))
            response = self._send(
                method, self._url(path), {**headers, "Authorization": authorization}, data
            )
            if response.status == HTTPStatus.UNAUTHORIZED:
                raise RegistryUnavailable(
                    f"registry {self.host} refused the credentials", hint=AUTH_HINT
                )
        if response.status == HTTPStatus.FORBIDDEN:
            raise RegistryUnavailable(
                f"registry {self.host} denied {method} {path}", hint=AUTH_HINT
            )
        return response

    def _authorize(self, challenge: str) -> str:
        """The Authorization header answering a 401 challenge (Basic, or Bearer via the token
        endpoint the challenge names).
        """
        if not challenge.lower().startswith("bearer"):
            if self.credentials is None:
                raise RegistryUnavailable(f"registry {self.host} needs credentials", hint=AUTH_HINT)
            return self.credentials.basic()
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", "")
        if not realm:
            raise RegistryUnavailable(
                f"registry {self.host} sent a bearer challenge without a realm"
            )
        url = f"{realm}?{urllib.parse.urlencode(params)}"
        headers = {"Authorization": self.credentials.basic()} if self.credentials else {}
        response = self._send("GET", url, headers, None)
        if response.status != HTTPStatus.OK:
            raise RegistryUnavailable(
                f"registry {self.host}: the token service answered {response.status}",
                hint=AUTH_HINT,
            )
        answer = json.loads(response.body)
        return f"Bearer {answer.get('token') or answer.get('access_token', '')}"

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], data: bytes | None
    ) -> Response:
        log.debug("%s %s", method, url)  # headers carry credentials: never logged
        request = urllib.request.Request(url, data=data, headers=dict(headers), method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return Response(
                    status=answer.status, headers=_lower(answer.headers), body=answer.read()
                )
        except urllib.error.HTTPError as exc:
            return Response(status=exc.code, headers=_lower(exc.headers), body=exc.read())
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryUnavailable(
                f"registry {self.host} is not reachable ({reason})", hint=REGISTRY_HINT
            ) from exc

    def _expect(self, response: Response, status: int, what: str) -> None:
        if response.status == status:
            return
        if response.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RegistryUnavailable(
                f"registry {self.host} failed while {what} (status {response.status})",
                hint=FAILING_HINT,
            )
        raise StepFailed(f"registry {self.host} refused {what}: {_error_text(response)}")


def _lower(headers: object) -> dict[str, str]:
    items = headers.items() if hasattr(headers, "items") else []
    return {str(k).lower(): str(v) for k, v in items}


def _next_link(link: str) -> str | None:
    match = re.search(r'<([^>]+)>;\s*rel="?next"?', link)
    if not match:
        return None
    parsed = urllib.parse.urlsplit(match[1])
    return f"{parsed.path}?{parsed.query}" if parsed.query else parsed.path


def _error_text(response: Response) -> str:
    try:
        errors = json.loads(response.body).get("errors") or []
        if errors:
            return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
    except (ValueError, AttributeError):
        pass
    return f"status {response.status}"
