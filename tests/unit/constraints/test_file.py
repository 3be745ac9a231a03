"""Parsing, checking, rendering and diffing constraints files."""

from __future__ import annotations

import pytest

from hangar.constraints import files as core
from hangar.constraints.files import ChangeKind, Pin


def test_parse_reads_header_and_pins() -> None:
    parsed = core.parse("#\n# made by hangar\n#\nalembic==1.13.1\nZope.Interface==6.0\n")
    assert parsed.header == ("#", "# made by hangar", "#")
    assert [p.line() for p in parsed.pins] == ["alembic==1.13.1", "Zope.Interface==6.0"]
    assert parsed.pins[1].key == "zope-interface"
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-e ./airflow", "options such as -e"),
        ("foo @ https://example.org/foo.whl", "URLs and paths are not allowed"),
        ("./dist/foo-1.0.whl", "URLs and paths are not allowed"),
        ("foo>=1.0", "not of the form name==version"),
        ("foo==1.0; python_version<'3.12'", "environment markers are not allowed"),
        ("foo==not.a.version!", "invalid version"),
        ("apache-airflow==3.0.0", "apache-airflow must not be pinned"),
        ("apache_airflow_core==3.0.0", "apache-airflow-core must not be pinned"),
    ],
)
def test_parse_reports_forbidden_lines_with_their_line_number(line: str, message: str) -> None:
    parsed = core.parse(f"# header\naaa==1.0\n{line}\n")
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert problem.line_no == 3
    assert message in problem.message
    assert problem.render("c.txt").startswith("c.txt:3: ")


def test_parse_reports_duplicates_by_canonical_name() -> None:
    parsed = core.parse("Foo_Bar==1.0\nfoo-bar==2.0\n")
    assert [p.message for p in parsed.problems] == ["duplicate of line 1 (foo-bar)"]
    assert [p.line() for p in parsed.pins] == ["Foo_Bar==1.0"]


def test_check_order_points_at_the_line_out_of_order() -> None:
    problems = core.check_order(core.parse("b==1\na==1\nc==1\n"))
    assert [(p.line_no, p.text) for p in problems] == [(2, "a==1")]


def test_render_sorts_drops_airflow_and_is_byte_identical() -> None:
    pins = [
        Pin.of("requests", "2.32.3"),
        Pin.of("apache-airflow", "3.0.0"),
        Pin.of("Alembic", "1.0"),
    ]
    first = core.render(header=["# h"], pins=pins)
    second = core.render(header=["# h"], pins=list(reversed(pins)))
    assert first == second == "# h\nAlembic==1.0\nrequests==2.32.3\n"


def test_render_refuses_a_header_line_that_is_not_a_comment() -> None:
    with pytest.raises(ValueError, match="does not start with '#'"):
        core.render(header=["oops"], pins=[])


def test_diff_names_added_removed_upgraded_and_downgraded() -> None:
    old = core.parse("a==1.0\nb==2.0\nc==1.10\nd==1.0\n").pins
    new = core.parse("b==2.0\nc==1.9\nd==1.1\ne==0.1\n").pins
    changes = core.diff(old, new)
    assert [(c.kind, c.name) for c in changes] == [
        (ChangeKind.REMOVED, "a"),
        (ChangeKind.DOWNGRADED, "c"),
        (ChangeKind.UPGRADED, "d"),
        (ChangeKind.ADDED, "e"),
    ]
    assert core.summarize(changes) == {"added": 1, "removed": 1, "upgraded": 1, "downgraded": 1}
    assert changes[1].describe() == "~ c 1.10 -> 1.9"


def test_parse_pin_accepts_name_equals_version_only() -> None:
    assert core.parse_pin(" pymssql==2.2.8 ").line() == "pymssql==2.2.8"
    for bad in ("pymssql=2.2.8", "pymssql>=2", "pymssql==two"):
        with pytest.raises(ValueError, match=r"name==version|valid version"):
            core.parse_pin(bad)
