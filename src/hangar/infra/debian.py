"""A Debian archive's security suites over HTTP(S): the `Packages` index of one suite.

Reads `<mirror>/dists/<suite>/main/binary-<arch>/Packages.xz` (e.g. deb.debian.org/debian-security,
`bookworm-security`, `amd64`) and decompresses it; parsing it is the business of
hangar.image.inspecting.scan.
"""

from __future__ import annotations

import lzma
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from http import HTTPStatus

from hangar.errors import NotFound, StepFailed

MIRROR_HINT = (
    "check the network, or point the setting debian_security_mirror "
    "(HANGAR_DEBIAN_SECURITY_MIRROR) at a mirror this machine reaches"
)


@dataclass(frozen=True, kw_only=True)
class DebianSecurityArchive:
    mirror: str
    timeout: float = 60.0

    def url(self, suite: str, arch: str) -> str:
        return f"{self.mirror.rstrip('/')}/dists/{suite}/main/binary-{arch}/Packages.xz"

    def packages(self, suite: str, arch: str) -> str:
        url = self.url(suite, arch)
        # the CA bundle of a TLS-intercepting proxy, read when called (not at import)
        context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout, context=context) as response:
                compressed: bytes = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == HTTPStatus.NOT_FOUND:
                raise NotFound(
                    f"the security archive has no {suite} index for {arch} ({url})",
                    hint="Debian testing and unstable have no security suite; "
                    "releases past their support move to archive.debian.org",
                ) from None
            raise StepFailed(f"reading {url} failed: HTTP {exc.code}", hint=MIRROR_HINT) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StepFailed(f"reading {url} failed: {reason}", hint=MIRROR_HINT) from None
        try:
            return lzma.decompress(compressed).decode("utf-8", errors="replace")
        except lzma.LZMAError as exc:
            raise StepFailed(
                f"{url} is not an xz-compressed index ({exc})", hint=MIRROR_HINT
            ) from None
