"""A vendor's signed apt repository on the loopback, as Microsoft's for `msodbcsql18`: one package
that, like Microsoft's, refuses to install unless ACCEPT_EULA=Y and registers an ODBC driver
with unixODBC (its library is a stand-in: the test is about the way it is installed). Made with
dpkg-deb, apt-ftparchive and gpg (`scripts/setup-env.sh --test` installs them), served by
Python's http.server, stopped by process id.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.services import running, unused_port

PACKAGE = "msodbcsql18"
DRIVER = "ODBC Driver 18 for SQL Server"
LICENCE_LINE = "accept the license terms: set ACCEPT_EULA=Y"

CONTROL = f"""Package: {PACKAGE}
Version: 18.5.1.1-1
Architecture: all
Maintainer: hangar tests <tests@hangar.invalid>
Depends: unixodbc, odbcinst
Description: stand-in for a vendor's ODBC driver (hangar's tests)
"""
PREINST = f"""#!/bin/sh
set -e
if [ "$1" = install ] && [ "$ACCEPT_EULA" != "Y" ]; then
    echo "{PACKAGE}: {LICENCE_LINE}" >&2
    exit 1
fi
"""
POSTINST = """#!/bin/sh
set -e
if [ "$1" = configure ]; then
    odbcinst -i -d -f /opt/microsoft/msodbcsql18/etc/odbcinst.ini
fi
"""
ODBCINST = f"""[{DRIVER}]
Description=Microsoft ODBC Driver 18 for SQL Server
Driver=/opt/microsoft/msodbcsql18/lib64/libmsodbcsql-18.so
"""


@dataclass(frozen=True, kw_only=True)
class Repository:
    url: str  # the repository's root: a flat repository (`deb URL ./`)
    key_url: str  # its signing key, ASCII-armoured

    def add_command(self, keyring: str = "/usr/share/keyrings/vendor.gpg") -> str:
        """The bash that adds this repository in a build step, as the README's recipe does."""
        return (
            f"curl -fsSL {self.key_url} | gpg --dearmor -o {keyring}"
            f" && echo 'deb [signed-by={keyring}] {self.url} ./'"
            " > /etc/apt/sources.list.d/vendor.list"
        )


def _package(folder: Path) -> Path:
    root = folder / "package"
    files = {
        "DEBIAN/control": (CONTROL, 0o644),
        "DEBIAN/preinst": (PREINST, 0o755),
        "DEBIAN/postinst": (POSTINST, 0o755),
        "opt/microsoft/msodbcsql18/etc/odbcinst.ini": (ODBCINST, 0o644),
        "opt/microsoft/msodbcsql18/lib64/libmsodbcsql-18.so": ("stand-in\n", 0o644),
    }
    for name, (text, mode) in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
    deb = folder / "repo" / f"{PACKAGE}_18.5.1.1-1_all.deb"
    deb.parent.mkdir(parents=True)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    return deb.parent


def _sign(repo: Path, gnupg: Path) -> None:
    """Packages, Release and InRelease (signed with a new key), and the key as key.asc."""
    gnupg.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(gnupg)}
    gpg = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]

    def call(*args: str) -> str:
        done = subprocess.run(
            args, cwd=repo, env=env, check=True, capture_output=True, text=True, timeout=120
        )
        return done.stdout

    call(*gpg, "--quick-gen-key", "hangar test vendor <vendor@hangar.invalid>", "ed25519", "sign")
    (repo / "Packages").write_text(call("apt-ftparchive", "packages", "."))
    (repo / "Release").write_text(call("apt-ftparchive", "release", "."))
    call(*gpg, "--clearsign", "--output", "InRelease", "Release")
    (repo / "key.asc").write_text(call("gpg", "--armor", "--export"))
    call("gpgconf", "--kill", "gpg-agent")


@contextlib.contextmanager
def vendor_repository(folder: Path) -> Iterator[Repository]:
    """The signed repository, served on a free loopback port until the block ends."""
    repo = _package(folder)
    _sign(repo, folder / "gnupg")
    port = unused_port()
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with running([*server, "--directory", str(repo)], env={}, port=port, log=folder / "http.log"):
        url = f"http://127.0.0.1:{port}/"
        yield Repository(url=url, key_url=f"{url}key.asc")
