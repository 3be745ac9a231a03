"""A package from a vendor's repository, the way the README shows for Microsoft's msodbcsql18:
ADDITIONAL_RUNTIME_APT_COMMAND adds the signed repository, ADDITIONAL_RUNTIME_APT_DEPS names the
package and ADDITIONAL_RUNTIME_APT_ENV accepts its licence. The repository is one the test makes
and serves on the loopback (tests/vendor_repository.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.images import Built, constraints_for_tests, run
from tests.vendor_repository import DRIVER, LICENCE_LINE, PACKAGE, Repository, vendor_repository

pytestmark = [pytest.mark.integration, pytest.mark.image]


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    with vendor_repository(tmp_path_factory.mktemp("vendor")) as served:
        yield served


def vendor_build(make_image: Callable[..., Built], repository: Repository, **env: str) -> Built:
    build_args = {
        "ADDITIONAL_RUNTIME_APT_COMMAND": repository.add_command(),
        "ADDITIONAL_RUNTIME_APT_DEPS": PACKAGE,
    }
    if env:
        build_args["ADDITIONAL_RUNTIME_APT_ENV"] = " ".join(f"{k}={v}" for k, v in env.items())
    return make_image(
        python="3.11",
        files={"constraints-3.11.txt": constraints_for_tests("3.11")},
        build_args=build_args,
    )


def test_a_vendor_package_installs_and_registers_its_odbc_driver(
    make_image: Callable[..., Built], repository: Repository
) -> None:
    built = vendor_build(make_image, repository, ACCEPT_EULA="Y")
    assert built.returncode == 0, built.output[-4000:]
    done = run(built.ref, "bash", "-c", f"dpkg -s {PACKAGE} | grep Status; odbcinst -q -d")
    assert done.returncode == 0, done.stderr
    assert "Status: install ok installed" in done.stdout
    assert f"[{DRIVER}]" in done.stdout.splitlines()
    assert "[FreeTDS]" in done.stdout.splitlines()  # the image's own driver stays


def test_without_the_licence_accepted_the_build_stops_with_the_vendors_reason(
    make_image: Callable[..., Built], repository: Repository
) -> None:
    built = vendor_build(make_image, repository)
    assert built.returncode != 0
    assert LICENCE_LINE in built.output, built.output[-3000:]
