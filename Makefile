# The two everyday commands; each sets up what it needs first (scripts/setup-env.sh is quick
# when everything already runs).
.PHONY: setup setup-test image test test-unit lint

PYTHON_VERSION ?= 3.13

setup:
	bash scripts/setup-env.sh

setup-test:
	bash scripts/setup-env.sh --test

# the default tag: <registry>/<image_name>:<airflow_version>-python<py> (`hangar config show`),
# which `hangar quickstart up` runs
image: setup
	.venv/bin/hangar image build --python $(PYTHON_VERSION)

test: setup-test lint
	.venv/bin/pytest --durations=25

test-unit:
	.venv/bin/pytest -m "not integration"

lint:
	shellcheck -x scripts/*.sh scripts/docker/*.sh
	.venv/bin/hadolint Dockerfile scripts/base-image/Dockerfile quickstart/kerberos/Dockerfile
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/ruff format --check src tests bench scripts
	.venv/bin/mypy
	.venv/bin/hangar ci workflows --check
