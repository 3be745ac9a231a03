"""The help's option panels: every command with more than PANELLED options shows them in
named groups, one table for the whole CLI (an option's name means the same everywhere), with a
command's own meanings where they differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import rich_click as click

PANELLED = 10  # a command with more options than this shows them in panels

AIRFLOW = "Airflow and Python"
CONSTRAINTS = "Constraints"
DEBIAN = "Debian and the base image"
IMAGE = "The image"
SOURCES = "Package sources"
BUILDING = "Where and how it builds"
OUTPUT = "What it makes and where it goes"
RUN = "This run"
RELEASED = "What is released"
WHERE = "Where the tags are"
SIGNING = "Signing"

PANELS: Mapping[str, str] = {
    "pythons": AIRFLOW,
    "airflow_version": AIRFLOW,
    "extras": AIRFLOW,
    "additional_extras": AIRFLOW,
    "additional_python_deps": AIRFLOW,
    "installation_method": AIRFLOW,
    "slim": AIRFLOW,
    "allow_upgrades": AIRFLOW,
    "modes": AIRFLOW,
    "providers_dir": AIRFLOW,
    "constraints_location": CONSTRAINTS,
    "constraints_mode": CONSTRAINTS,
    "constraints_reference": CONSTRAINTS,
    "exclude_newer": CONSTRAINTS,
    "constraints_repo": CONSTRAINTS,
    "constraints_remote": CONSTRAINTS,
    "constraints_branch": CONSTRAINTS,
    "dev_apt_deps": DEBIAN,
    "additional_dev_apt_deps": DEBIAN,
    "runtime_apt_deps": DEBIAN,
    "additional_runtime_apt_deps": DEBIAN,
    "debian": DEBIAN,
    "base_image": DEBIAN,
    "uid": IMAGE,
    "home": IMAGE,
    "installer": IMAGE,
    "embedded_dags": IMAGE,
    "build_args": IMAGE,
    "target": IMAGE,
    "build_id": IMAGE,
    "reproducible": IMAGE,
    "source_date_epoch": IMAGE,
    "ca_bundle": SOURCES,
    "index_url": SOURCES,
    "extra_index_urls": SOURCES,
    "platform": BUILDING,
    "builder": BUILDING,
    "context": BUILDING,
    "dockerfile": BUILDING,
    "parallelism": BUILDING,
    "tags": OUTPUT,
    "push": OUTPUT,
    "archive_dir": OUTPUT,
    "cache": OUTPUT,
    "cache_from": OUTPUT,
    "cache_to": OUTPUT,
    "cache_repo": OUTPUT,
    "no_cache": OUTPUT,
    "compression": OUTPUT,
    "load_compression": OUTPUT,
    "output_dir": OUTPUT,
    "source": RELEASED,
    "skip_latest": RELEASED,
    "date": RELEASED,
    "repository": WHERE,
    "registry": WHERE,
    "image_name": WHERE,
    "sign": SIGNING,
    "key": SIGNING,
    "keyless": SIGNING,
    "dry_run": RUN,
    "output": RUN,
}
# what an option name means in one command, where it differs from the table above
COMMAND_PANELS: Mapping[str, Mapping[str, str]] = {
    "hangar constraints generate": {"platform": AIRFLOW, "index_url": SOURCES},
    "hangar image refresh-released": {"every_mode": AIRFLOW},
    "hangar ci run": {
        "event": "The flow",
        "base": "The flow",
        "upgrade_cutoff": "The flow",
        "dags": "The flow",
        "wait_timeout": "The flow",
        "parallelism": RUN,
    },
}


def commands(group: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    """Every command under `group` with its path (`hangar image build`), the group's own too."""
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from commands(command, f"{path} {name}")


def panel_of(path: str, option: str) -> str | None:
    return COMMAND_PANELS.get(path, {}).get(option) or PANELS.get(option)


def arrange(cli: click.Command, name: str = "hangar") -> None:
    """Put the options of every command with more than PANELLED of them into their panels."""
    for path, command in commands(cli, name):
        options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
        if len(options) <= PANELLED:
            continue
        for option in options:
            found = panel_of(path, option.name or "")
            if found is not None and hasattr(option, "panel"):
                option.panel = found
