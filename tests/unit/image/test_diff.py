"""`hangar image diff A B` through the real CLI, with two images held by a fake engine: what a
user reads to learn what an upgrade brings.
"""

from __future__ import annotations

import json

from hangar.errors import NotFound
from tests.fakes.scan import FakeEngine, FakeImage, debian_image, stanza
from tests.fakes.world import World

SITE = "/home/airflow/.local/lib/python3.11/site-packages"
A, B = "reg.example:5000/airflow:3.3.1", "reg.example:5000/airflow:3.3.2"
BASE = (("FROM debian", 80_000_000, "1" * 64), ("RUN apt-get install", 20_000_000, "2" * 64))


def dist(name: str, version: str) -> dict[str, bytes]:
    meta = f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n\n"
    return {f"{SITE}/{name.replace('-', '_')}-{version}.dist-info/METADATA": meta.encode()}


def image(
    status: str, dists: dict[str, str], labels: dict[str, str], venv: tuple[int, str]
) -> FakeImage:
    files: dict[str, bytes] = {}
    for name, version in dists.items():
        files.update(dist(name, version))
    made = debian_image(status, more=files)
    made.env = ("VIRTUAL_ENV=/home/airflow/.local",)
    made.labels = labels
    made.layers = (*BASE, ("COPY /home/airflow/.local", *venv))
    return made


def engine() -> FakeEngine:
    old = image(
        stanza("libssl3", "3.0.15-1~deb12u1") + stanza("git", "1:2.39.5-0+deb12u1"),
        {
            "apache-airflow": "3.3.1",
            "apache-airflow-providers-celery": "3.10.0",
            "apache-airflow-providers-http": "5.2.0",
            "requests": "2.32.3",
            "urllib3": "2.3.0",
        },
        {"org.apache.airflow.version": "3.3.1", "org.apache.airflow.uid": "50000"},
        (300_000_000, "3" * 64),
    )
    new = image(
        stanza("libssl3", "3.0.17-1~deb12u2") + stanza("jq", "1.6-2.1"),
        {
            "apache-airflow": "3.3.2",
            "apache-airflow-providers-celery": "3.9.0",
            "apache-airflow-providers-postgres": "6.1.0",
            "requests": "2.32.3",
            "urllib3": "2.5.0",
        },
        {"org.apache.airflow.version": "3.3.2", "org.apache.airflow.uid": "50000"},
        (310_000_000, "4" * 64),
    )
    return FakeEngine(images={A: old, B: new})


def test_diff_lists_every_change_airflow_and_providers_first(world: World) -> None:
    world.engine = engine()
    result = world.invoke("image", "diff", A, B, "--output", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    python = [(c["name"], c["old"], c["new"], c["kind"]) for c in found["python"]]
    assert python == [
        ("apache-airflow", "3.3.1", "3.3.2", "upgraded"),
        ("apache-airflow-providers-celery", "3.10.0", "3.9.0", "downgraded"),
        ("apache-airflow-providers-http", "5.2.0", None, "removed"),
        ("apache-airflow-providers-postgres", None, "6.1.0", "added"),
        ("urllib3", "2.3.0", "2.5.0", "upgraded"),
    ]  # requests did not change, so it is not listed
    debian = [(c["name"], c["kind"]) for c in found["debian"]]
    assert debian == [("git", "removed"), ("jq", "added"), ("libssl3", "upgraded")]
    assert [(c["name"], c["old"], c["new"]) for c in found["labels"]] == [
        ("org.apache.airflow.version", "3.3.1", "3.3.2")
    ]
    assert found["layers_b"]["in_other"] == [True, True, False]


def test_diff_text_ends_with_the_counts_and_the_new_layers_size(world: World) -> None:
    world.engine = engine()
    result = world.invoke("image", "diff", A, B)
    assert result.exit_code == 0, result.output
    summary = " ".join(result.stdout.split())
    assert "Python distributions: 1 added, 1 removed, 2 upgraded, 1 downgraded" in summary
    assert "Debian packages: 1 added, 1 removed, 1 upgraded" in summary
    assert "2 of A's 3 are in B, B has 1 of its own (310.0 MB)" in summary


def test_an_image_against_itself_is_the_same(world: World) -> None:
    world.engine = engine()
    result = world.invoke("image", "diff", A, A)
    assert result.exit_code == 0, result.output
    assert "The images are the same" in " ".join(result.stdout.split())


def test_an_image_the_engine_does_not_have_is_one_line(world: World) -> None:
    world.engine = engine()
    result = world.invoke("image", "diff", A, "reg.example:5000/airflow:nope")
    assert isinstance(result.exception, NotFound)
