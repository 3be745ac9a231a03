# The two everyday commands; each sets up what it needs first (scripts/setup-env.sh is quick
# when everything already runs).
.PHONY: setup image test test-unit lint

PYTHON_VERSION ?= 3.13
IMAGE ?= hangar/airflow:latest-python$(PYTHON_VERSION)

setup:
	bash scripts/setup-env.sh

image: setup
	.venv/bin/hangar image build --python $(PYTHON_VERSION) --tag $(IMAGE)

test: setup lint
	.venv/bin/pytest

test-unit:
	.venv/bin/pytest -m "not integration"

lint:
	shellcheck -x scripts/*.sh scripts/docker/*.sh
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/ruff format --check src tests bench scripts
	.venv/bin/mypy
	.venv/bin/hangar ci workflows --check
