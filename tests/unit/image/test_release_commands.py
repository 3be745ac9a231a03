"""Keeping a released version patched has a command per mode (`hangar image patch`,
`refresh-base`, `rollback`, `refresh-released`), each with only the options that apply; the old
spellings on `hangar image release` keep working for one release, with a one-line notice.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from hangar.cli.main import cli
from hangar.errors import BadInput
from tests.fakes.registry import FakeRegistry
from tests.fakes.world import World

D11, D13 = "sha256:" + "1" * 64, "sha256:" + "3" * 64
DAY1 = "20261101"


def released(world: World) -> None:
    world.registry = FakeRegistry(
        tags={"airflow": {"3.3.2-python3.11": D11, "3.3.2-python3.13": D13}}
    )
    done = world.invoke("image", "release", "3.3.2", "--date", DAY1, "--output", "json")
    assert done.exit_code == 0, done.output


def test_rollback_is_a_command_with_the_date_it_returns_to(world: World) -> None:
    released(world)
    done = world.invoke("image", "rollback", "3.3.2", "--to", DAY1, "--dry-run", "--output", "json")
    assert done.exit_code == 0, done.output
    plan = json.loads(done.stdout)["plan"]
    assert {t["digest"] for t in plan["tags"]} == {D11, D13}
    assert "is now" not in done.stderr  # no notice on the new spelling


def test_the_old_spelling_still_works_and_says_what_replaces_it(world: World) -> None:
    released(world)
    new = world.invoke("image", "rollback", "3.3.2", "--to", DAY1, "--dry-run", "--output", "json")
    old = world.invoke(
        "image", "release", "3.3.2", "--rollback", DAY1, "--dry-run", "--output", "json"
    )
    assert old.exit_code == 0, old.output
    assert json.loads(old.stdout) == json.loads(new.stdout)
    assert (
        "`hangar image release --rollback` is now `hangar image rollback VERSION --to YYYYMMDD`;"
        " this spelling goes in the next release"
    ) in old.stderr


def test_each_mode_takes_only_its_own_options() -> None:
    runner = CliRunner()
    for args in (
        ("image", "patch", "3.3.2", "--dry-run"),  # a patch has no plan to show
        ("image", "rollback", "3.3.2", "--to", DAY1, "--sign"),  # nothing new to sign
        ("image", "refresh-released", "3.3.2"),  # every version: no VERSION
        ("image", "refresh-base", "3.3.2", "--source", "x"),  # releases only
    ):
        done = runner.invoke(cli, list(args))
        assert done.exit_code == 2, (args, done.output)  # click: no such option or argument
    help_text = runner.invoke(cli, ["image", "release", "--help"]).output
    assert "--patch" not in help_text  # the old spellings are no longer offered


def test_two_old_modes_at_once_are_refused(world: World) -> None:
    done = world.invoke("image", "release", "3.3.2", "--patch", "--rollback", DAY1)
    assert isinstance(done.exception, BadInput)
    assert done.exception.message == "--patch and --rollback cannot go together"
