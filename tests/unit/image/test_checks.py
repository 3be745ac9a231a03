"""The image checks judge outcomes the way a user reading the output would."""

from __future__ import annotations

import json

from hangar.image.checks import SEPARATOR, ImageFacts, Outcome, image_checks, judge

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
