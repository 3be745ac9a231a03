# The two everyday commands; each sets up what it needs first (scripts/setup-env.sh is quick
# when everything already runs).
.PHONY: setup setup-test image test test-fast test-unit lint docs

# what the whole of `make test` may take, set-up and lint included (docs/tests.md)
TEST_BUDGET_MINUTES := 40
# how many of the slowest tests `make test` lists (0: every one, for the table of docs/tests.md)
TEST_DURATIONS ?= 10

PYTHON_VERSION ?= 3.13

setup:
	bash scripts/setup-env.sh

setup-test:
	bash scripts/setup-env.sh --test

# the default tag: <registry>/<image_name>:<airflow_version>-python<py> (`hangar config show`),
# which `hangar quickstart up` runs
image: setup
	.venv/bin/hangar image build --python $(PYTHON_VERSION)

# ends with the ten slowest tests, then the wall time of it all against the budget
test:
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory setup-test lint && .venv/bin/pytest --durations=$(TEST_DURATIONS); \
	status=$$?; took=$$(( $$(date +%s) - start )); \
	echo "make test: $$((took / 60)) min $$((took % 60)) s, budget $(TEST_BUDGET_MINUTES) min$$( \
		[ $$took -gt $$(( $(TEST_BUDGET_MINUTES) * 60 )) ] && echo ': OVER BUDGET')"; \
	exit $$status

# everyday work (under 5 minutes): the unit tests and the integration tests that build no
# Airflow image (constraints, git, registry, cosign, scan, SBOM, the set-up script)
test-fast: setup-test
	.venv/bin/pytest -m "not image and not emulation and not fresh_builder" --durations=10

test-unit:
	.venv/bin/pytest -m "not integration"

lint:
	shellcheck -x scripts/*.sh scripts/docker/*.sh
	.venv/bin/hadolint Dockerfile scripts/base-image/Dockerfile quickstart/kerberos/Dockerfile
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/ruff format --check src tests bench scripts
	.venv/bin/mypy
	.venv/bin/hangar ci workflows --check
	.venv/bin/python scripts/lint-workflows.py
	$(MAKE) --no-print-directory docs

# the documentation site (mkdocs.yml), built strictly into site/: a broken link, a page missing
# from the navigation or a reference that cannot be generated fails it
docs:
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict
