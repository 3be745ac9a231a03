"""The documentation site's command reference: a page for every command group, each generated
from the commands themselves when the site is built (scripts/mkdocs_commands.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from hangar.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from mkdocs_commands import reference, settings  # noqa: E402 -- the hook lives with the scripts


def test_every_command_group_has_a_reference_page() -> None:
    pages = {p.stem for p in (REPO / "docs" / "reference" / "commands").glob("*.md")}
    groups = {name for name, command in cli.commands.items() if hasattr(command, "commands")}
    assert pages == groups


def test_the_reference_lists_every_visible_option_with_its_help() -> None:
    text = reference("hangar.cli.image:group", "hangar image")
    assert "### hangar image build" in text
    assert "| `--extras` | `TEXT` | Airflow extras, REPLACING the default set" in text
    assert "### hangar image rollback" in text
    assert "`--to`" in text
    assert "--every-released" not in text  # hidden: an old spelling


def test_the_settings_reference_names_every_setting_and_its_variable() -> None:
    from hangar.config import SETTINGS

    text = settings()
    for name in SETTINGS:
        assert f"| `{name}` | `HANGAR_{name.upper()}` |" in text


def test_the_exit_codes_page_is_the_readmes_checked_table() -> None:
    from mkdocs_commands import readme_section

    codes = readme_section("exit-codes")
    assert "| 5 | `BAD_INPUT` |" in codes
