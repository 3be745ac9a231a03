"""Extras and provider names are checked against the Airflow release's own metadata before
anything is built, in a dry run too: one line naming what is unknown and the closest known
names, exit 5, no build started.
"""

from __future__ import annotations

from pathlib import Path

from hangar.errors import BadInput
from hangar.image.building.extras import check_extras, provider_names
from tests.fakes.constraints import FakeIndex
from tests.fakes.world import SMALL_CONFIG, World

VERSION = "3.3.2"  # SMALL_CONFIG's Airflow
EXTRAS = ("amazon", "celery", "cncf-kubernetes", "google", "postgres", "redis")


def _world(tmp_path: Path, **index: object) -> World:
    (tmp_path / "hangar.toml").write_text(SMALL_CONFIG)
    fake = FakeIndex(extras={("apache-airflow", VERSION): EXTRAS}, **index)  # type: ignore[arg-type]
    return World(root=tmp_path, index=fake)


def test_an_unknown_extra_stops_the_build_naming_it_and_the_closest(tmp_path: Path) -> None:
    world = _world(tmp_path)
    for dry in ((), ("--dry-run",)):
        done = world.invoke("image", "build", "--extras", "celery,postgress,no-such", *dry)
        assert isinstance(done.exception, BadInput)  # exit 5
        assert done.exception.message == (
            "unknown Airflow extra(s) for apache-airflow 3.3.2: postgress, no-such"
        )
        assert done.exception.hint == "closest known: postgres"
    assert world.runner.builds() == []


def test_known_extras_pass_as_packaging_normalizes_them(tmp_path: Path) -> None:
    world = _world(tmp_path)
    done = world.invoke("image", "build", "--extras", "celery,cncf.kubernetes", "--python", "3.11")
    assert done.exit_code == 0, done.output
    assert len(world.runner.builds()) == 1
    # the answer is kept: a release's metadata never changes
    kept = tmp_path / ".hangar" / "cache" / "provides-extra" / f"apache-airflow-{VERSION}.txt"
    assert kept.read_text().split() == list(EXTRAS)


def test_additional_extras_are_checked_too(tmp_path: Path) -> None:
    done = _world(tmp_path).invoke("image", "build", "--additional-extras", "gogle", "--dry-run")
    assert isinstance(done.exception, BadInput)
    assert "gogle" in done.exception.message
    assert done.exception.hint == "closest known: google"


def test_a_provider_the_index_does_not_have_stops_the_build(tmp_path: Path) -> None:
    world = _world(tmp_path, projects=frozenset({"apache-airflow-providers-postgres"}))
    done = world.invoke(
        "image", "build", "--extras", "celery", "--additional-python-deps",
        "apache-airflow-providers-postgres>=6 apache-airflow-providers-postgress==6.0.0 six",
        "--dry-run",
    )  # fmt: skip
    assert isinstance(done.exception, BadInput)
    assert done.exception.message.startswith("no provider apache-airflow-providers-postgress on ")
    assert done.exception.hint == "closest known: apache-airflow-providers-postgres"


def test_nothing_to_check_against_when_the_index_has_no_such_release(tmp_path: Path) -> None:
    (tmp_path / "hangar.toml").write_text(SMALL_CONFIG)
    world = World(root=tmp_path, index=FakeIndex())
    done = world.invoke("image", "build", "--extras", "anything", "--python", "3.11", "--dry-run")
    assert done.exit_code == 0, done.output


def test_provider_names_are_read_from_requirements_as_installers_read_them() -> None:
    found = provider_names(
        [
            "Apache_Airflow.Providers-Google[leveldb]>=10",
            "six",
            "not a requirement ((",
            "apache-airflow",
        ]
    )
    assert found == ("apache-airflow-providers-google",)
    check_extras(["CNCF.Kubernetes"], EXTRAS, airflow_version=VERSION)  # no error
