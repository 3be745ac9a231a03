"""`hangar constraints generate` and `check` against the real package index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.network]

AIRFLOW = "3.3.2"  # newest on the index this was written against
SMALL = "http,postgres"


def hangar(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hangar.cli.main import main; main()", *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=900,
    )


def generate(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return hangar(
        "constraints",
        "generate",
        "--airflow-version",
        AIRFLOW,
        "--output-dir",
        str(out),
        *args,
        cwd=out.parent,
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    done = generate(
        out,
        "--python",
        "3.11",
        "--python",
        "3.13",
        "--extras",
        SMALL,
        "--mode",
        "constraints",
        "--mode",
        "constraints-no-providers",
    )
    assert done.returncode == 0, done.stderr
    return out / f"constraints-{AIRFLOW}"


def test_generate_writes_one_file_per_python_and_mode(small: Path) -> None:
    assert sorted(p.name for p in small.iterdir()) == [
        "constraints-3.11.txt",
        "constraints-3.13.txt",
        "constraints-no-providers-3.11.txt",
        "constraints-no-providers-3.13.txt",
    ]
    text = (small / "constraints-3.13.txt").read_text()
    pins = [line for line in text.splitlines() if not line.startswith("#")]
    names = [line.split("==")[0].lower().replace("_", "-").replace(".", "-") for line in pins]
    assert names == sorted(names)
    assert all("==" in line and "@" not in line for line in pins)
    assert not any(line.startswith("apache-airflow==") for line in pins)
    assert any(line.startswith("apache-airflow-providers-postgres==") for line in pins)
    assert any(line.startswith("psycopg2-binary==") for line in pins)
    no_providers = (small / "constraints-no-providers-3.13.txt").read_text()
    assert "apache-airflow-providers-postgres" not in no_providers


def test_python_versions_get_their_own_resolution(small: Path) -> None:
    py311 = (small / "constraints-3.11.txt").read_text()
    py313 = (small / "constraints-3.13.txt").read_text()
    assert "on Python 3.11" in py311
    assert "on Python 3.13" in py313
    assert py311.split("#\n")[-1] != py313.split("#\n")[-1]


def test_the_header_command_regenerates_the_same_bytes(small: Path, tmp_path: Path) -> None:
    original = (small / "constraints-3.11.txt").read_text()
    command = next(
        line.removeprefix("#   ").split()
        for line in original.splitlines()
        if line.startswith("#   hangar constraints generate")
    )
    assert "--exclude-newer" in command
    done = hangar(*command[1:], "--output-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    regenerated = (tmp_path / f"constraints-{AIRFLOW}" / "constraints-3.11.txt").read_bytes()
    assert regenerated == original.encode()


def test_regenerating_over_a_previous_file_summarises_the_changes(small: Path) -> None:
    target = small / "constraints-3.11.txt"
    edited = target.read_text().replace("\nalembic==", "\nalembic==0.0.1\nzz-gone==1.0\n#alembic==")
    target.write_text(edited)
    done = generate(small.parent, "--python", "3.11", "--extras", SMALL)
    assert done.returncode == 0, done.stderr
    assert "0 added, 1 removed, 1 upgraded, 0 downgraded" in done.stderr
    assert "- zz-gone==1.0" in done.stderr
    assert "zz-gone" not in target.read_text()


def test_check_accepts_a_generated_file(small: Path) -> None:
    done = hangar(
        "constraints", "check", str(small / "constraints-3.13.txt"), "--python", "3.13", cwd=small
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stderr


def test_check_reports_each_bad_line(small: Path, tmp_path: Path) -> None:
    bad = tmp_path / "constraints-3.13.txt"
    good = (small / "constraints-3.13.txt").read_text()
    bad.write_text(
        good + "requests==1.0\n-e ./airflow\napache-airflow==3.3.2\nfoo @ https://x/y.whl\n"
    )
    done = hangar("constraints", "check", str(bad), "--python", "3.13", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 4
    assert "duplicate of line" in lines[0]
    assert "-e" in lines[1]
    assert "apache-airflow must not be pinned" in lines[2]
    assert "URLs and paths are not allowed" in lines[3]


def test_check_names_the_pins_airflow_does_not_resolve_with(small: Path, tmp_path: Path) -> None:
    text = (small / "constraints-3.13.txt").read_text()
    old = next(line for line in text.splitlines() if line.startswith("sqlalchemy=="))
    broken = tmp_path / "constraints-3.13.txt"
    broken.write_text(text.replace(old, "sqlalchemy==1.3.24"))
    done = hangar("constraints", "check", str(broken), "--python", "3.13", cwd=tmp_path)
    assert done.returncode == 6, done.stdout + done.stderr
    assert "does not resolve" in done.stdout
    assert any("sqlalchemy==1.3.24" in line and ":" in line for line in done.stdout.splitlines())


def test_unresolvable_request_ends_with_one_line_naming_the_requirement(tmp_path: Path) -> None:
    done = generate(
        tmp_path, "--python", "3.13", "--extras", SMALL, "--exclude-newer", "2020-01-01T00:00:00Z"
    )
    assert done.returncode == 6
    error = [line for line in done.stderr.splitlines() if line.startswith("hangar: error:")]
    assert len(error) == 1
    assert f"apache-airflow[http,postgres]=={AIRFLOW}" in error[0] or "apache-airflow" in error[0]
    assert "Traceback" not in done.stderr


def test_full_constraints_mode_pins_every_provider(tmp_path: Path) -> None:
    done = generate(tmp_path, "--python", "3.13", "--mode", "constraints")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / f"constraints-{AIRFLOW}" / "constraints-3.13.txt").read_text()
    providers = [ln for ln in text.splitlines() if ln.startswith("apache-airflow-providers-")]
    assert len(providers) > 80
    assert "(extras: all)" in text
