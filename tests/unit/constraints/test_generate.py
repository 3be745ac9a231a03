"""What gets resolved and written: uv arguments, the header, cut-offs, the cache."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hangar.constraints.cache import ensure_constraints, generate_text, release_cutoff
from hangar.constraints.files import Pin, parse
from hangar.constraints.generate import FileResult, GenerateRequest, generate_constraints
from hangar.constraints.resolve import (
    Mode,
    ResolveRequest,
    conflict_explanation,
    header_facts,
    local_provider,
    parse_resolution,
    uv_compile_args,
)
from hangar.errors import HangarError, NotFound, ResolutionConflict
from hangar.infra.index import files_of_release, parse_simple_page
from hangar.infra.uv import UvResolver
from hangar.ports import ProcessResult
from tests.fakes.constraints import FakeIndex, FakeResolver

CUTOFF = datetime(2025, 4, 22, 10, 0, tzinfo=UTC)
PINS = (Pin.of("requests", "2.32.3"), Pin.of("alembic", "1.15.2"))


def request(**changes: object) -> ResolveRequest:
    base: dict[str, object] = {
        "airflow_version": "3.0.0",
        "python": "3.13",
        "mode": Mode.CONSTRAINTS,
        "extras": ("postgres",),
        "exclude_newer": CUTOFF,
    }
    return ResolveRequest(**{**base, **changes})  # type: ignore[arg-type]


def test_uv_resolves_for_the_target_python_from_the_given_index_only() -> None:
    args = uv_compile_args(request(index_url="https://mirror.example/simple"))
    assert args[:2] == ("pip", "compile")
    assert "-" in args
    for flag, value in [
        ("--python-version", "3.13"),
        ("--index-url", "https://mirror.example/simple"),
        ("--exclude-newer", "2025-04-22T10:00:00Z"),
        ("--python-platform", "x86_64-manylinux_2_28"),
    ]:
        assert args[args.index(flag) + 1] == value
    assert "--no-config" in args
    assert "--no-python-downloads" in args
    assert "--extra-index-url" not in args


def test_requirements_per_mode() -> None:
    assert request().requirements() == ("apache-airflow[postgres]==3.0.0",)
    assert request(mode=Mode.NO_PROVIDERS).requirements() == ("apache-airflow==3.0.0",)
    wheel = local_provider("/p/apache_airflow_providers_http-5.0.0-py3-none-any.whl", is_dir=False)
    tree = local_provider("/p/ftp", is_dir=True)
    assert local_provider("/p/notes.txt", is_dir=False) is None
    assert wheel is not None
    assert tree is not None
    source = request(mode=Mode.SOURCE_PROVIDERS, extras=(), providers=(wheel, tree))
    assert source.requirements() == (
        "apache-airflow==3.0.0",
        "apache-airflow-providers-http==5.0.0",
        "/p/ftp",
    )
    assert source.find_links() == ("/p",)


def test_resolution_output_keeps_only_name_version_pins() -> None:
    output = "apache-airflow==3.0.0\napache-airflow-core==3.0.0\nfoo==1.0\nbar @ file:///p/bar\n"
    assert [p.line() for p in parse_resolution(output)] == ["foo==1.0"]


def test_header_says_what_how_when_and_the_regenerate_command() -> None:
    text = generate_text(request(), FakeResolver(pins=PINS), tools="hangar 0.1.0 and uv 0.9.0")
    lines = text.splitlines()
    assert lines[1].startswith("# Constraints for Apache Airflow 3.0.0 on Python 3.13")
    assert 'pip install "apache-airflow[postgres]==3.0.0"' in text
    assert "as the index stood at 2025-04-22T10:00:00Z" in text
    assert (
        "#   hangar constraints generate --airflow-version 3.0.0 --python 3.13 --mode constraints"
        " --extras postgres --exclude-newer 2025-04-22T10:00:00Z" in lines
    )
    assert lines[-2:] == ["alembic==1.15.2", "requests==2.32.3"]
    assert header_facts(parse(text).header) == ("3.0.0", ("postgres",))


def test_same_inputs_give_byte_identical_files() -> None:
    first = generate_text(request(), FakeResolver(pins=PINS), tools="t")
    second = generate_text(request(), FakeResolver(pins=tuple(reversed(PINS))), tools="t")
    assert first.encode() == second.encode()


def test_default_cutoff_is_the_release_upload_plus_the_release_window() -> None:
    index = FakeIndex(times={("apache-airflow", "3.0.0"): datetime(2025, 4, 22, 9, 0, 5, 500, UTC)})
    assert release_cutoff(index, "3.0.0") == datetime(2025, 4, 22, 10, 0, 6, tzinfo=UTC)
    with pytest.raises(NotFound):
        release_cutoff(index, "9.9.9")
    with pytest.raises(NotFound, match="does not say when"):
        release_cutoff(FakeIndex(times={("apache-airflow", "3.0.0"): None}), "3.0.0")


def test_index_pages_give_upload_times_in_json_and_html() -> None:
    html = (
        '<a href="https://f/apache_airflow-3.0.0.tar.gz#sha256=1" '
        'data-upload-time="2025-04-22T09:00:00.5Z">apache_airflow-3.0.0.tar.gz</a>'
        '<a href="https://f/apache_airflow-3.0.0-py3-none-any.whl#sha256=2" '
        'data-upload-time="2025-04-22T09:00:05Z">apache_airflow-3.0.0-py3-none-any.whl</a>'
        '<a href="https://f/apache_airflow-3.0.0rc1.tar.gz">apache_airflow-3.0.0rc1.tar.gz</a>'
    )
    files = files_of_release(parse_simple_page(html, "text/html"), "3.0.0")
    assert max(f.upload_time for f in files if f.upload_time) == datetime(
        2025, 4, 22, 9, 0, 5, tzinfo=UTC
    )
    json_page = '{"files": [{"filename": "x-1.0.tar.gz", "upload-time": "2025-01-01T00:00:00Z"}]}'
    parsed = parse_simple_page(json_page, "application/vnd.pypi.simple.v1+json")
    assert parsed[0].upload_time == datetime(2025, 1, 1, tzinfo=UTC)


def test_index_pages_give_each_files_requires_python_in_json_and_html() -> None:
    html = (
        '<a href="https://f/apache_airflow-3.4.0b2-py3-none-any.whl#sha256=2" '
        'data-requires-python="!=3.15,&gt;=3.11">apache_airflow-3.4.0b2-py3-none-any.whl</a>'
        '<a href="https://f/apache_airflow-3.3.2.tar.gz">apache_airflow-3.3.2.tar.gz</a>'
    )
    beta, release = parse_simple_page(html, "text/html")
    assert beta.requires_python == "!=3.15,>=3.11"
    assert release.requires_python is None
    json_page = '{"files": [{"filename": "x-1.0.tar.gz", "requires-python": ">=3.10"}]}'
    parsed = parse_simple_page(json_page, "application/vnd.pypi.simple.v1+json")
    assert parsed[0].requires_python == ">=3.10"


def test_ensure_constraints_generates_once_per_set_of_inputs(tmp_path: Path) -> None:
    resolver = FakeResolver(pins=PINS)
    common = {
        "airflow_version": "3.0.0",
        "python": "3.13",
        "extras": ("postgres",),
        "mode": Mode.CONSTRAINTS,
        "cache_dir": tmp_path,
        "resolver": resolver,
    }
    first = ensure_constraints(**common, exclude_newer=CUTOFF)  # type: ignore[arg-type]
    again = ensure_constraints(**common, exclude_newer=CUTOFF)  # type: ignore[arg-type]
    later = ensure_constraints(**common, exclude_newer=datetime(2025, 5, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert first == again != later
    assert first.name == "constraints-3.13.txt"
    assert len(resolver.requests) == 2
    assert "requests==2.32.3" in first.read_text()


def test_ensure_constraints_reads_the_release_time_when_no_cutoff_is_given(tmp_path: Path) -> None:
    index = FakeIndex(times={("apache-airflow", "3.0.0"): datetime(2025, 4, 22, 9, 0, tzinfo=UTC)})
    resolver = FakeResolver(pins=PINS)
    path = ensure_constraints(
        airflow_version="3.0.0",
        python="3.11",
        extras=(),
        mode=Mode.NO_PROVIDERS,
        cache_dir=tmp_path,
        resolver=resolver,
        index=index,
    )
    assert "2025-04-22T10:00:01Z" in path.read_text()


def test_conflict_names_the_conflicting_requirements() -> None:
    stderr = (
        "warning: The requested Python version 3.13 is not available\n"
        "  \u00d7 No solution found when resolving dependencies:\n"
        "  \u2570\u2500\u25b6 Because apache-airflow==3.0.0 depends on sqlalchemy<2 and you require"
        " sqlalchemy==2.0.1, we can conclude that your requirements are unsatisfiable.\n"
    )
    text = conflict_explanation(stderr)
    assert text.startswith("Because apache-airflow==3.0.0 depends on sqlalchemy<2")
    assert "warning" not in text


class ScriptedRunner:
    def __init__(self, result: ProcessResult) -> None:
        self.result = result

    def run(self, command: object, *, stream_to: object = None) -> ProcessResult:
        return self.result


def test_uv_conflict_becomes_a_resolution_conflict_error() -> None:
    stderr = (
        "error: No solution found when resolving dependencies\n"
        "  cause: Because x==1 depends on y<1 and you require y==2, we can conclude that your"
        " requirements are unsatisfiable."
    )
    runner = ScriptedRunner(ProcessResult(args=("uv",), returncode=1, stderr=stderr))
    resolver = UvResolver(runner=runner, uv_bin="uv")
    with pytest.raises(
        ResolutionConflict,
        match=r"Python 3.13 cannot be resolved: Because x==1 depends on y<1 and you require y==2",
    ):
        resolver.resolve(request())


def test_generate_reports_the_files_as_they_start_and_end(tmp_path: Path) -> None:
    providers = tmp_path / "providers"
    (providers / "ftp").mkdir(parents=True)
    (providers / "ftp" / "pyproject.toml").write_text("[project]\n")
    (providers / "apache_airflow_providers_http-5.0.0-py3-none-any.whl").write_bytes(b"")
    (providers / "notes.txt").write_text("not a provider")
    index = FakeIndex(times={("apache-airflow", "3.0.0"): datetime(2025, 4, 22, 9, 0, tzinfo=UTC)})
    resolver = FakeResolver(pins=PINS)
    started: list[tuple[datetime, tuple[str, ...]]] = []
    ended: dict[str, FileResult | HangarError] = {}
    report = generate_constraints(
        GenerateRequest(
            airflow_version="3.0.0",
            pythons=("3.13", "3.11"),
            modes=(Mode.SOURCE_PROVIDERS, Mode.NO_PROVIDERS),
            providers_dir=str(providers),
            output_dir=tmp_path / "out",
            parallelism=1,
        ),
        resolver=resolver,
        index=index,
        on_start=lambda cutoff, names: started.append((cutoff, names)),
        on_done=ended.__setitem__,
    )
    names = (
        "constraints-source-providers-3.13.txt",
        "constraints-source-providers-3.11.txt",
        "constraints-no-providers-3.13.txt",
        "constraints-no-providers-3.11.txt",
    )
    assert started == [(datetime(2025, 4, 22, 10, 0, 1, tzinfo=UTC), names)]
    assert sorted(ended) == sorted(names)
    assert report.failures == ()
    assert [r.path.name for r in report.results] == sorted(names)
    source = next(r for r in resolver.requests if r.mode is Mode.SOURCE_PROVIDERS)
    assert [p.path.rsplit("/", 1)[-1] for p in source.providers] == [
        "apache_airflow_providers_http-5.0.0-py3-none-any.whl",
        "ftp",
    ]
    text = (report.folder / "constraints-source-providers-3.11.txt").read_text()
    assert f"# Providers from: {providers}" in text
