"""`hangar image scan`: which Debian packages the security suite has newer versions of, which
OSV advisories the image's Python distributions fall under, and how the command reports them
(tables, JSON, the summary line, exit codes), all against fakes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hangar.errors import BadInput, ExitCode, NotFound, StepFailed
from hangar.image.inspecting.osv import (
    Distribution,
    distributions,
    load_advisories,
    match_advisories,
    parse_advisory,
    python_libs,
)
from hangar.image.inspecting.scan import (
    debian_arch,
    debian_release,
    installed_packages,
    newest_versions,
    parse_os_release,
    pending_updates,
)
from tests.fakes.scan import BOOKWORM, FakeEngine, FakeImage, debian_image, stanza
from tests.fakes.world import World

IMAGE = "reg.example:5000/airflow:3.3.2-python3.11"
STATUS = "".join(
    (
        stanza("libssl3", "3.0.15-1~deb12u1", source="openssl"),
        stanza("openssl", "3.0.15-1~deb12u1"),
        stanza("libc6", "2.36-9+deb12u9", source="glibc (2.36-9+deb12u9)"),
        stanza("tzdata", "2024a-0+deb12u1", arch="all"),
        stanza("bash", "5.2.15-2+b7"),
        stanza("removed-lib", "1.0-1", status="deinstall ok config-files"),
        stanza("half-there", "1.0-1", status="install ok unpacked"),
        stanza("held", "1.0-1", status="hold ok installed"),
        stanza("libfoo1", "1.0-1", arch="i386"),  # a foreign architecture
    )
)
SECURITY = "".join(
    (
        stanza("libssl3", "3.0.16-1~deb12u1", status="", source="openssl"),
        stanza("openssl", "3.0.16-1~deb12u1", status=""),
        stanza("libc6", "2.36-9+deb12u9", status="", source="glibc"),  # what is installed
        stanza("tzdata", "2025b-0+deb12u1", status="", arch="all"),
        stanza("bash", "5.2.15-2", status=""),  # older than the image's binNMU
        stanza("removed-lib", "1.0-2", status=""),
        stanza("half-there", "1.0-2", status=""),
        stanza("held", "1.0-2", status=""),
        stanza("libfoo1", "1.0-2", status=""),
        stanza("not-installed", "9.9-1", status=""),
    )
)


# -- Debian: the pure part ------------------------------------------------------------------


def test_only_installed_packages_count_with_their_source_package() -> None:
    installed = {p.name: p for p in installed_packages(STATUS)}
    assert "removed-lib" not in installed
    assert "half-there" not in installed
    assert "held" in installed  # held back is still installed, and still vulnerable
    assert installed["libc6"].source == "glibc"  # the version in Source: is dropped
    assert installed["openssl"].source == "openssl"  # no Source: the package is its own
    assert installed["libssl3"].version == "3.0.15-1~deb12u1"


def test_pending_are_the_installed_packages_the_suite_has_newer() -> None:
    pending = pending_updates(
        installed_packages(STATUS), newest_versions(SECURITY, arch="amd64"), arch="amd64"
    )
    assert [(u.package, u.installed, u.fixed, u.source) for u in pending] == [
        ("held", "1.0-1", "1.0-2", "held"),
        ("libssl3", "3.0.15-1~deb12u1", "3.0.16-1~deb12u1", "openssl"),
        ("openssl", "3.0.15-1~deb12u1", "3.0.16-1~deb12u1", "openssl"),
        ("tzdata", "2024a-0+deb12u1", "2025b-0+deb12u1", "tzdata"),
    ]


@pytest.mark.parametrize(
    ("installed", "security", "pending"),
    [
        ("1.2-1", "1:1.0-1", True),  # an epoch beats any version without one
        ("1:1.2-1", "1.3-1", False),
        ("2.0~rc1-1", "2.0-1", True),  # ~ sorts before the release
        ("2.0-1+deb12u1", "2.0-1+deb12u10", True),  # numerically, not as text
        ("2.0-1+b1", "2.0-1", False),  # a binNMU of the same version is newer
        ("2.0-1", "2.0-1", False),
    ],
)
def test_versions_compare_as_dpkg_compares_them(
    installed: str, security: str, pending: bool
) -> None:
    found = pending_updates(
        installed_packages(stanza("pkg", installed)),
        newest_versions(stanza("pkg", security, status=""), arch="amd64"),
        arch="amd64",
    )
    assert bool(found) == pending


def test_the_newest_of_several_index_entries_is_the_fix_and_other_arches_are_ignored() -> None:
    index = (
        stanza("pkg", "1.0-3", status="")
        + stanza("pkg", "1.0-10", status="")
        + stanza("pkg", "9.0-1", status="", arch="arm64")
    )
    assert newest_versions(index, arch="amd64") == {"pkg": "1.0-10"}


def test_the_release_and_architecture_come_from_the_image() -> None:
    release = debian_release(parse_os_release(BOOKWORM), image=IMAGE, arch="amd64")
    assert (release.codename, release.suite) == ("bookworm", "bookworm-security")
    assert debian_arch("arm", "v7") == "armhf"
    assert debian_arch("arm64", "v8") == "arm64"
    assert debian_arch("ppc64le") == "ppc64el"
    old = 'ID=debian\nVERSION="11 (bullseye)"\n'
    assert debian_release(parse_os_release(old), image=IMAGE, arch="amd64").codename == "bullseye"


def test_an_image_that_is_not_debian_is_refused_by_name() -> None:
    alpine = 'NAME="Alpine Linux"\nID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n'
    with pytest.raises(BadInput) as raised:
        debian_release(parse_os_release(alpine), image="alpine:3.20", arch="amd64")
    assert "alpine:3.20 is Alpine Linux v3.20, not Debian" in raised.value.message


# -- Python and OSV: the pure part ------------------------------------------------------------


def advisory(ident: str, *affected: dict[str, object], withdrawn: bool = False) -> str:
    data: dict[str, object] = {"id": ident, "modified": "2025-01-01T00:00:00Z"}
    data["affected"] = list(affected)
    if withdrawn:
        data["withdrawn"] = "2025-02-01T00:00:00Z"
    return json.dumps(data)


def pypi(name: str, *events: dict[str, str], versions: tuple[str, ...] = ()) -> dict[str, object]:
    entry: dict[str, object] = {"package": {"ecosystem": "PyPI", "name": name}}
    if events:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": list(events)}]
    if versions:
        entry["versions"] = list(versions)
    return entry


def matched(text: str, name: str, version: str) -> list[tuple[str, str, tuple[str, ...]]]:
    parsed = parse_advisory(text, origin="a.json")
    found = match_advisories([parsed] if parsed else [], [Distribution(name=name, version=version)])
    return [(m.id, m.installed, m.fixed) for m in found]


def test_a_version_inside_an_introduced_fixed_range_matches_with_its_fix() -> None:
    text = advisory("GHSA-1", pypi("Jinja2", {"introduced": "0"}, {"fixed": "3.1.5"}))
    assert matched(text, "jinja2", "3.1.4") == [("GHSA-1", "3.1.4", ("3.1.5",))]
    assert matched(text, "jinja2", "3.1.5") == []
    assert matched(text, "jinja2", "3.1.10") == []  # versions, not text: 3.1.10 > 3.1.5


def test_ranges_with_several_windows_and_last_affected() -> None:
    text = advisory(
        "PYSEC-2",
        pypi(
            "requests",
            {"introduced": "2.0"},
            {"fixed": "2.31.0"},
            {"introduced": "3.0.0a1"},
            {"last_affected": "3.0.0"},
        ),
    )
    assert matched(text, "requests", "1.9") == []
    assert matched(text, "requests", "2.30.0") == [("PYSEC-2", "2.30.0", ("2.31.0",))]
    assert matched(text, "requests", "2.32.3") == []
    assert matched(text, "requests", "3.0.0") == [("PYSEC-2", "3.0.0", ())]
    assert matched(text, "requests", "3.0.1") == []


def test_explicit_versions_match_and_other_ecosystems_and_withdrawn_do_not() -> None:
    listed = advisory("PYSEC-3", pypi("PyYAML", versions=("5.3", "5.3.1")))
    assert matched(listed, "pyyaml", "5.3.1") == [("PYSEC-3", "5.3.1", ())]
    assert matched(listed, "pyyaml", "5.4") == []
    npm = advisory(
        "GHSA-4",
        {"package": {"ecosystem": "npm", "name": "pyyaml"}, "versions": ["5.3.1"]},
    )
    assert matched(npm, "pyyaml", "5.3.1") == []
    withdrawn = advisory("PYSEC-5", pypi("pyyaml", versions=("5.3.1",)), withdrawn=True)
    assert matched(withdrawn, "pyyaml", "5.3.1") == []


def test_distributions_are_read_from_dist_info_and_egg_info_names() -> None:
    found = distributions(
        (
            "python3.11",
            "python3.11/site-packages",
            "python3.11/site-packages/PyYAML-6.0.2.dist-info",
            "python3.11/site-packages/apache_airflow-3.3.2.dist-info",
            "python3.11/site-packages/yaml",
            "python3.11/dist-packages/six-1.16.0-py3.11.egg-info",
            "python3.11/site-packages/pip-26.3.dist-info/METADATA",
        )
    )
    assert found == (
        Distribution(name="apache-airflow", version="3.3.2"),
        Distribution(name="pyyaml", version="6.0.2"),
        Distribution(name="six", version="1.16.0"),
    )
    assert python_libs(["PATH=/bin", "VIRTUAL_ENV=/opt/venv"]) == (
        "/usr/local/lib",
        "/home/airflow/.local/lib",
        "/opt/venv/lib",
    )
    assert python_libs(["VIRTUAL_ENV=/home/airflow/.local"]) == (
        "/usr/local/lib",
        "/home/airflow/.local/lib",
    )


def test_a_file_that_is_not_an_advisory_is_named(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "broken.json").write_text("{not json")
    with pytest.raises(BadInput) as raised:
        load_advisories(tmp_path)
    assert "broken.json" in raised.value.message


# -- the command --------------------------------------------------------------------------


def scan_world(world: World, *, more: dict[str, bytes] | None = None) -> World:
    image = debian_image(STATUS, more=more)
    image.env = ("VIRTUAL_ENV=/home/airflow/.local",)
    world.engine = FakeEngine(images={IMAGE: image})
    world.security_index.indexes[("bookworm-security", "amd64")] = SECURITY
    return world


def test_text_output_is_a_table_and_a_summary_and_pending_updates_fail(world: World) -> None:
    result = scan_world(world).invoke("image", "scan", IMAGE)
    assert isinstance(result.exception, StepFailed)
    assert result.exception.exit_code == ExitCode.FAILURE
    assert f"{IMAGE}: 4 security updates pending" in result.exception.message
    assert "--fail-on none" in (result.exception.hint or "")
    rows = [line.split() for line in result.stdout.splitlines()]
    assert [
        "│",
        "libssl3",
        "│",
        "3.0.15-1~deb12u1",
        "│",
        "3.0.16-1~deb12u1",
        "│",
        "openssl",
        "│",
    ] in rows
    assert "bash" not in result.stdout
    assert "4 security updates pending (from bookworm-security)" in result.stderr
    assert world.security_index.mirrors == ["http://deb.debian.org/debian-security"]
    assert world.security_index.asked == [("bookworm-security", "amd64")]


def test_json_output_and_fail_on_none(world: World) -> None:
    result = scan_world(world).invoke(
        "image", "scan", IMAGE, "--output", "json", "--fail-on", "none"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["image"] == IMAGE
    assert report["debian"] == {"codename": "bookworm", "arch": "amd64"}
    assert report["suite"] == "bookworm-security"
    assert report["osv"] == []
    assert report["pending"][0] == {
        "package": "held",
        "installed": "1.0-1",
        "fixed": "1.0-2",
        "source": "held",
    }
    assert len(report["pending"]) == 4


def test_nothing_pending_exits_zero(world: World) -> None:
    scan_world(world)
    world.security_index.indexes[("bookworm-security", "amd64")] = stanza(
        "bash", "5.0-1", status=""
    )
    result = world.invoke("image", "scan", IMAGE)
    assert result.exit_code == 0, result.output
    assert "0 security updates pending (from bookworm-security)" in result.stderr


def test_the_mirror_setting_and_the_image_architecture_choose_the_index(world: World) -> None:
    scan_world(world)
    assert isinstance(world.engine, FakeEngine)
    world.engine.images[IMAGE].arch = "arm64"
    world.security_index.indexes[("bookworm-security", "arm64")] = SECURITY
    world.environ["HANGAR_DEBIAN_SECURITY_MIRROR"] = "http://mirror.example/debian-security"
    result = world.invoke("image", "scan", IMAGE, "--fail-on", "none")
    assert result.exit_code == 0, result.output
    assert world.security_index.mirrors == ["http://mirror.example/debian-security"]
    assert world.security_index.asked == [("bookworm-security", "arm64")]


def test_the_scan_only_reads_files(world: World) -> None:
    scan_world(world).invoke("image", "scan", IMAGE, "--fail-on", "none")
    assert isinstance(world.engine, FakeEngine)
    assert world.engine.reads == ["/etc/os-release", "/var/lib/dpkg/status"]


def test_osv_advisories_match_the_python_distributions(world: World, tmp_path: Path) -> None:
    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "GHSA-jinja.json").write_text(
        advisory("GHSA-jinja", pypi("jinja2", {"introduced": "0"}, {"fixed": "3.1.6"}))
    )
    (osv / "PYSEC-other.json").write_text(
        advisory("PYSEC-other", pypi("django", versions=("4.2",)))
    )
    site = "/home/airflow/.local/lib/python3.11/site-packages"
    scan_world(world, more={f"{site}/jinja2-3.1.4.dist-info/METADATA": b"Name: Jinja2\n"})
    world.security_index.indexes[("bookworm-security", "amd64")] = ""
    result = world.invoke("image", "scan", IMAGE, "--osv", str(osv), "--output", "json")
    assert isinstance(result.exception, StepFailed)  # nothing from Debian, but an advisory
    assert "1 OSV advisory match(es)" in result.exception.message
    report = json.loads(result.stdout)
    assert report["osv"] == [
        {"id": "GHSA-jinja", "package": "jinja2", "installed": "3.1.4", "fixed": ["3.1.6"]}
    ]
    assert "1 OSV advisory match(es) among 1 Python distributions" in result.stderr


def test_an_image_that_is_not_there_is_not_found(world: World) -> None:
    scan_world(world)
    result = world.invoke("image", "scan", "nosuch:1")
    assert isinstance(result.exception, NotFound)
    assert result.exception.exit_code == ExitCode.NOT_FOUND


def test_an_image_without_dpkg_is_named(world: World) -> None:
    world.engine = FakeEngine(
        images={IMAGE: FakeImage(files={"/etc/os-release": BOOKWORM.encode()})}
    )
    result = world.invoke("image", "scan", IMAGE)
    assert isinstance(result.exception, NotFound)
    assert "/var/lib/dpkg/status" in result.exception.message


def test_an_unreachable_archive_is_one_line_saying_what_to_do(world: World) -> None:
    scan_world(world)
    world.security_index.down = True
    result = world.invoke("image", "scan", IMAGE, "--fail-on", "none")
    assert isinstance(result.exception, StepFailed)
    assert "Packages.xz failed" in result.exception.message
    assert result.stdout == ""
