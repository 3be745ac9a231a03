"""scripts/docker/bytecode.py on a small site-packages: `core` compiles Airflow, what it needs
and every provider's own code, and leaves provider SDKs to be compiled on first import.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.images import REPO

SCRIPT = REPO / "scripts" / "docker" / "bytecode.py"

# each distribution's requirements and its one module
DISTS = {
    "apache-airflow-core": (["sqlalchemy[asyncio]>=2", "rich; extra == 'color'"], "core_mod"),
    "sqlalchemy": (["greenlet; extra == 'asyncio'", "mypy; extra == 'mypy'"], "sqlalchemy_mod"),
    "greenlet": ([], "greenlet_mod"),
    "mypy": ([], "mypy_mod"),
    "rich": ([], "rich_mod"),
    "apache-airflow-providers-google": (["google-cloud-thing"], "google_provider_mod"),
    "google-cloud-thing": ([], "google_cloud_mod"),
    # the metadata database's driver: nothing started with requires it, start-up imports it
    "apache-airflow-providers-postgres": (["psycopg2-binary"], "postgres_provider_mod"),
    "psycopg2-binary": ([], "psycopg2_mod"),
    "apache-airflow-providers-celery": (["celery"], "celery_provider_mod"),
    "celery": ([], "celery_mod"),
}


def make_site(root: Path) -> Path:
    site = root / "site-packages"
    for name, (requires, module) in DISTS.items():
        info = site / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir(parents=True)
        (site / f"{module}.py").write_text("VALUE = 1\n")
        lines = [f"Name: {name}", "Version: 1.0", *(f"Requires-Dist: {r}" for r in requires)]
        (info / "METADATA").write_text("Metadata-Version: 2.1\n" + "\n".join(lines) + "\n")
        (info / "RECORD").write_text(f"{module}.py,,\n{info.name}/METADATA,,\n")
    return site


def compiled(tmp_path: Path, mode: str) -> set[str]:
    site = make_site(tmp_path / mode)
    prefix = tmp_path / f"prefix-{mode}"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(site), mode],
        env={"PYTHONPYCACHEPREFIX": str(prefix), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith(f"bytecode ({mode if mode != 'true' else 'all'}): ")
    mirrored = prefix / str(site).lstrip("/")  # PEP 3147's prefix tree mirrors the source path
    return {p.name.split(".")[0] for p in mirrored.rglob("*.pyc")}


def test_core_leaves_provider_sdks_and_extras_uncompiled(tmp_path: Path) -> None:
    assert compiled(tmp_path, "core") == {
        "core_mod",
        "sqlalchemy_mod",
        "greenlet_mod",  # the extra a requirement names is followed, no other
        "google_provider_mod",
        "celery_provider_mod",
        "celery_mod",
        "postgres_provider_mod",
        "psycopg2_mod",
    }


def test_all_and_none(tmp_path: Path) -> None:
    assert len(compiled(tmp_path, "true")) == len(DISTS)
    assert compiled(tmp_path, "none") == set()


def test_a_reproducible_build_gets_hash_based_bytecode_only(tmp_path: Path) -> None:
    """With SOURCE_DATE_EPOCH every .pyc is keyed by its source's hash, not its time: also
    those of the venv's `packaging`, which the script itself imports to read requirements.
    """
    import packaging

    site = make_site(tmp_path / "site")
    shutil.copytree(Path(packaging.__file__).parent, site / "packaging")
    info = site / "packaging-99.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: packaging\nVersion: 99.0\n")
    records = [f"packaging/{p.name},," for p in (site / "packaging").glob("*.py")]
    (info / "RECORD").write_text("\n".join(records) + "\n")
    deps = site / "apache_airflow_core-1.0.dist-info" / "METADATA"
    deps.write_text(deps.read_text() + "Requires-Dist: packaging\n")
    prefix = tmp_path / "prefix"
    subprocess.run(
        [sys.executable, str(SCRIPT), str(site), "core"],
        env={"PYTHONPYCACHEPREFIX": str(prefix), "PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1"},
        check=True,
        capture_output=True,
    )
    mirrored = prefix / str(site).lstrip("/")  # the site's part of the prefix tree
    flags = {p.name: int.from_bytes(p.read_bytes()[4:8], "little") for p in mirrored.rglob("*.pyc")}
    assert any(name.startswith("requirements.") for name in flags)  # packaging's, compiled
    assert set(flags.values()) == {1}, flags  # unchecked-hash
