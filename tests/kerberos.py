"""A real Kerberos realm for the tests, on loopback: an MIT KDC (krb5kdc, its database in a
temporary folder, short ticket lifetimes) and Apache httpd protecting a page with
mod_auth_gssapi. Both are started by the test that needs them and stopped by process id.
Packages: krb5-kdc, krb5-admin-server, apache2-bin, libapache2-mod-auth-gssapi
(`scripts/setup-env.sh --test` installs them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.services import running, unused_port

REALM = "HANGAR.TEST"
MODULES = Path("/usr/lib/apache2/modules")
PAGE = "kerberos says hello\n"


def missing_tools() -> list[str]:
    tools = ("krb5kdc", "kdb5_util", "kadmin.local", "apache2")
    found = [t for t in tools if shutil.which(t) is None and not Path("/usr/sbin", t).exists()]
    if not (MODULES / "mod_auth_gssapi.so").exists():
        found.append("mod_auth_gssapi")
    return found


@dataclass(frozen=True, kw_only=True)
class Realm:
    folder: Path
    kdc_port: int
    lifetime: str  # the longest ticket the KDC gives, e.g. "40s"

    @property
    def krb5_conf(self) -> Path:
        """The client configuration (what containers get as KRB5_CONFIG)."""
        return self.folder / "krb5.conf"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_KDC_PROFILE": str(self.folder / "kdc.conf"),
        }

    def keytab(self, principal: str, name: str) -> Path:
        """Add `principal` (random key) and export its keys to a new keytab file."""
        path = self.folder / name
        for query in (f"addprinc -randkey {principal}", f"ktadd -k {path} {principal}"):
            subprocess.run(
                ["kadmin.local", "-r", REALM, "-q", query],
                env=self.env(),
                check=True,
                capture_output=True,
                timeout=60,
            )
        return path

    def write_config(self) -> None:
        self.krb5_conf.write_text(
            "[libdefaults]\n"
            f"  default_realm = {REALM}\n"
            "  dns_lookup_kdc = false\n"
            "  dns_lookup_realm = false\n"
            "  rdns = false\n"
            "  udp_preference_limit = 1\n"
            "[realms]\n"
            f"  {REALM} = {{\n    kdc = 127.0.0.1:{self.kdc_port}\n  }}\n"
        )
        (self.folder / "kdc.conf").write_text(
            "[kdcdefaults]\n"
            f"  kdc_ports = {self.kdc_port}\n  kdc_tcp_ports = {self.kdc_port}\n"
            "[realms]\n"
            f"  {REALM} = {{\n"
            f"    database_name = {self.folder}/principal\n"
            f"    key_stash_file = {self.folder}/stash\n"
            f"    max_life = {self.lifetime}\n"
            f"    max_renewable_life = {self.lifetime}\n"
            "  }\n"
        )


@contextlib.contextmanager
def kdc(folder: Path, *, lifetime: str = "40s") -> Iterator[Realm]:
    realm = Realm(folder=folder, kdc_port=unused_port(), lifetime=lifetime)
    realm.write_config()
    subprocess.run(
        ["kdb5_util", "-r", REALM, "-P", "hangar-test-master", "create", "-s"],
        env=realm.env(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    with running(
        ["krb5kdc", "-n", "-r", REALM, "-P", str(folder / "kdc.pid")],
        env=realm.env(),
        port=realm.kdc_port,
        log=folder / "kdc.log",
    ):
        yield realm


@dataclass(frozen=True, kw_only=True)
class Protected:
    url: str  # a page only a Kerberos-authenticated client gets (401 otherwise)
    principal: str


@contextlib.contextmanager
def protected_page(realm: Realm, folder: Path) -> Iterator[Protected]:
    """Apache httpd on loopback serving PAGE behind GSSAPI (Negotiate) authentication."""
    port = unused_port()
    principal = f"HTTP/localhost@{REALM}"
    keytab = realm.keytab(principal, "http.keytab")
    keytab.chmod(0o644)  # httpd's worker user reads it
    docs = folder / "htdocs"
    docs.mkdir()
    (docs / "index.txt").write_text(PAGE)
    modules = ("mpm_event", "authn_core", "authz_core", "authz_user", "auth_gssapi")
    (folder / "httpd.conf").write_text(
        "\n".join(
            [
                f"ServerRoot {folder}",
                f"PidFile {folder}/httpd.pid",
                f"Listen 127.0.0.1:{port}",
                "ServerName localhost",
                "User www-data",
                "Group www-data",
                f"ErrorLog {folder}/httpd-error.log",
                "LogLevel info auth_gssapi:debug",
                *(f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in modules),
                f"DocumentRoot {docs}",
                f'<Directory "{docs}">',
                "  AuthType GSSAPI",
                '  AuthName "hangar test"',
                f"  GssapiCredStore keytab:{keytab}",
                "  GssapiAllowedMech krb5",
                "  Require valid-user",
                "</Directory>",
                "",
            ]
        )
    )
    folder.chmod(0o755)  # httpd's user reads the keytab and pages below it
    env = {**realm.env(), "KRB5_KTNAME": str(keytab)}
    with running(
        ["apache2", "-f", str(folder / "httpd.conf"), "-DFOREGROUND"],
        env=env,
        port=port,
        log=folder / "httpd.log",
    ):
        yield Protected(url=f"http://localhost:{port}/index.txt", principal=principal)
