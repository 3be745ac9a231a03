"""The image checks judge outcomes the way a user reading the output would."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from hangar.image.verifying.checks import (
    SEPARATOR,
    TOOLS,
    ImageFacts,
    Outcome,
    image_checks,
    judge,
)

CHECKS = {c.name: c for c in image_checks(extras="celery")}
FACTS = ImageFacts(
    labels={
        "org.apache.airflow.uid": "50000",
        "org.apache.airflow.version": "3.3.2",
        **{
            f"org.opencontainers.image.{k}": "x"
            for k in ("title", "version", "revision", "created", "source", "licenses")
        },
    },
    config={"ExposedPorts": {"8080/tcp": {}}, "WorkingDir": "/opt/airflow"},
)


def verdict(name: str, stdout: str = "", returncode: int = 0, stderr: str = "") -> str | None:
    result = judge(
        CHECKS[name], Outcome(returncode=returncode, stdout=stdout, stderr=stderr), FACTS
    )
    return None if result.passed else result.detail


def test_user_check_wants_the_labelled_uid_and_group_zero() -> None:
    assert verdict("user", "50000\n0\n") is None
    assert "expected" in (verdict("user", "1234\n0\n") or "")


def test_version_check_compares_both_commands_with_the_label() -> None:
    assert verdict("version", f"3.3.2\n{SEPARATOR}\n3.3.2\n") is None
    assert "differs from label" in (verdict("version", f"3.3.1\n{SEPARATOR}\n3.3.1\n") or "")
    assert "differ" in (verdict("version", f"3.3.2\n{SEPARATOR}\n3.3.1\n") or "")


def test_no_command_must_show_usage_and_fail() -> None:
    assert verdict("usage", "", 2, "usage: airflow [-h] GROUP_OR_COMMAND") is None
    assert verdict("usage", "usage: airflow", 0) is not None


def test_compilers_in_the_image_fail_the_check() -> None:
    assert verdict("no-compilers", "") is None
    assert "gcc" in (verdict("no-compilers", "/usr/bin/gcc\n") or "")


def test_permissions_need_group_root_and_group_write() -> None:
    good = "root drwxrwxr-x dags\nroot -rw-rw-r-- /etc/passwd\n"
    assert verdict("permissions", good) is None
    assert "/etc/passwd" in (verdict("permissions", "root -rw-r--r-- /etc/passwd\n") or "")


def test_missing_providers_are_named() -> None:
    report = {"missing": ["apache-airflow-providers-celery"], "not_importable": [], "listed": ["x"]}
    detail = verdict("providers", json.dumps(report))
    assert detail is not None
    assert "apache-airflow-providers-celery" in detail


def test_metadata_check_names_each_missing_label() -> None:
    assert judge(CHECKS["metadata"], Outcome(returncode=0, stdout=""), FACTS).passed
    bare = ImageFacts(labels={}, config={"WorkingDir": "/"})
    detail = judge(CHECKS["metadata"], Outcome(returncode=0, stdout=""), bare).detail
    assert "8080/tcp" in detail
    assert "org.opencontainers.image.revision" in detail


def test_refusing_a_non_root_group_must_say_why() -> None:
    assert verdict("group-zero", "", 1, "ERROR: the group must be 0 (root)") is None
    assert verdict("group-zero", "", 0) is not None


def test_tools_check_names_what_is_missing_and_what_fails(tmp_path: Path) -> None:
    """The tools probe, run by bash on a PATH holding a working psql, a mysql that cannot load
    its library and nothing else: the verdict names mysql's error and the missing tools.
    """
    (tmp_path / "psql").write_text("#!/bin/bash\necho 'psql (PostgreSQL) 17'\n")
    (tmp_path / "mysql").write_text(
        "#!/bin/bash\necho 'mysql: error while loading shared libraries: libmariadb.so.3' >&2\n"
        "exit 127\n"
    )
    for program in ("psql", "mysql"):
        (tmp_path / program).chmod(0o755)
    check = CHECKS["tools"]
    script = check.command[-1]
    bash = shutil.which("bash") or "/bin/bash"

    def probe(**env: str) -> str | None:
        done = subprocess.run(
            [bash, "-c", script],
            env={"PATH": str(tmp_path), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        return verdict("tools", done.stdout, done.returncode, done.stderr)

    detail = probe() or ""
    assert "fails: mysql: mysql: error while loading shared libraries" in detail
    assert "missing: sqlite3, sudo, ldapsearch" in detail
    assert "psql" not in detail
    assert "mysql" not in (probe(INSTALL_MYSQL_CLIENT="false") or "")


def test_tools_check_passes_when_every_probe_answers() -> None:
    assert verdict("tools", "".join(f"ok {name}\n" for name, _ in TOOLS)) is None
    assert verdict("tools-arbitrary-uid", "ok psql\nmissing gpg\n") == "missing: gpg"
