"""The README's table of what differs between the Debian releases for people who extend the
image: on an image of each release (3.11: bookworm, 3.13: trixie, 3.14: forky), every package the
table names for that release has an installation candidate, and one it names only for another
release has none.
"""

from __future__ import annotations

import re

import pytest

from tests.images import REPO, run

pytestmark = [pytest.mark.integration, pytest.mark.image]

RELEASES = ("bookworm", "trixie", "forky")


def readme_packages() -> dict[str, set[str]]:
    """Release -> the packages the README's table names for it (first name in each cell)."""
    text = (REPO / "README.md").read_text()
    section = text.split("### Debian releases: trixie, bookworm and forky", 1)[1].split("\n#", 1)[0]
    found: dict[str, set[str]] = {release: set() for release in RELEASES}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != len(RELEASES) + 1 or cells[0] in ("you install", "Debian's own Python"):
            continue
        for release, cell in zip(RELEASES, cells[1:], strict=True):
            names = re.findall(r"`([a-z0-9.+-]+)`", cell)
            if names:
                found[release].add(names[0])
    return found


def test_the_readme_table_names_packages_of_each_release(prod_image_each_python: str) -> None:
    packages = readme_packages()
    assert all(len(names) >= 5 for names in packages.values()), packages
    everything = sorted(set().union(*packages.values()))
    script = (
        ". /etc/os-release && echo release=$VERSION_CODENAME && apt-get update -qq && "
        f"for p in {' '.join(everything)}; do "
        'echo "$p=$(apt-cache policy "$p" | sed -n "s/ *Candidate: //p")"; done'
    )
    done = run(prod_image_each_python, "bash", "-c", script, user="0", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    release = values["release"]
    for name in packages[release]:
        assert values.get(name) not in ("", "(none)", None), f"{name} has no candidate on {release}"
    for other in RELEASES:
        for name in packages[other] - packages[release]:
            assert values.get(name) in ("", "(none)"), f"{name} is on {release} too: {values[name]}"
