"""The README's build-arg reference cannot drift from the Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def dockerfile_args() -> dict[str, str | None]:
    """ARG name -> default (None when declared without one), multi-line defaults joined."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    args: dict[str, str | None] = {}
    for match in re.finditer(r"^ARG ([A-Z_]+)(?:=\"([^\"]*)\")?", text, re.MULTILINE):
        name, default = match.group(1), match.group(2)
        if default is not None or name not in args:
            args[name] = " ".join(default.split()) if default is not None else None
    return args


def readme_table() -> dict[str, str]:
    text = (REPO / "README.md").read_text()
    table = text.split("<!-- build-args:start -->")[1].split("<!-- build-args:end -->")[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def test_every_build_arg_is_documented_in_the_readme() -> None:
    missing = sorted(set(dockerfile_args()) - set(readme_table()))
    assert not missing, f"build args missing from the README table: {missing}"


def test_readme_documents_no_build_arg_the_dockerfile_lacks() -> None:
    extra = sorted(set(readme_table()) - set(dockerfile_args()))
    assert not extra, f"README documents build args the Dockerfile does not have: {extra}"


def test_readme_defaults_match_the_dockerfile() -> None:
    table = readme_table()
    for name, default in dockerfile_args().items():
        if default is None or name in {"AIRFLOW_EXTRAS", "DEV_APT_DEPS"}:
            continue  # described in words in the table
        shown = table[name]
        expected = f"`{default}`" if default else "(empty)"
        assert shown == expected, f"{name}: README says {shown}, Dockerfile says {expected}"


def test_readme_exit_codes_match_the_code() -> None:
    from hangar.errors import ExitCode

    text = (REPO / "README.md").read_text()
    table = text.split("<!-- exit-codes:start -->")[1].split("<!-- exit-codes:end -->")[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            rows[int(cells[0])] = cells[1].strip("`")
    assert rows == {int(code): code.name for code in ExitCode}
