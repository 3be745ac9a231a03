"""ACCEPTANCE 1-14 and 20, checked by running the built image for each Python version: the same
check definitions `hangar image verify` runs.
"""

from __future__ import annotations

import pytest

from hangar.image.verifying.checks import image_checks
from hangar.image.verifying.verify import image_facts, run_check
from hangar.infra.docker import DockerEngine
from tests.images import BASES

pytestmark = [pytest.mark.integration, pytest.mark.image]

CHECKS = {c.name: c for c in image_checks()}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_image_passes_check(name: str, prod_image_each_python: str, engine: DockerEngine) -> None:
    facts = image_facts(engine, prod_image_each_python)
    check = image_checks(extras=facts.labels.get("org.apache.airflow.extras", ""))
    result = run_check(engine, prod_image_each_python, {c.name: c for c in check}[name], facts)
    assert result.passed, f"{name}: {result.detail}"


def test_image_labels_name_the_python_version_and_extras(
    prod_image_each_python: str, engine: DockerEngine
) -> None:
    labels = image_facts(engine, prod_image_each_python).labels
    python = labels["org.apache.airflow.python.version"]
    # the local base's labels say which Debian release it comes from (and the image keeps them)
    assert labels["dev.hangar.base.debian-codename"] == BASES[python].rsplit("-", 1)[1]
    assert labels["org.apache.airflow.extras"] == "celery,postgres"
    assert labels["org.apache.airflow.version"] == "3.3.2"
