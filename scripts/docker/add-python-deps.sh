#!/usr/bin/env bash
# add-python-deps.sh: install ADDITIONAL_PYTHON_DEPS into the virtualenv the build stage made
# (mounted writable here: the changes are discarded) and lay out only what that changed under
# /opt/airflow-additions:
# tree/ (the new and changed files under their own paths, trimmed, with their bytecode),
# removed.txt (what the install removed) and runtime-libraries.txt (the Debian packages its
# compiled modules link against). The runtime stage applies it as one layer of its own, so
# adding a dependency rebuilds neither the install step nor the virtualenv's layers.
# Same build args and sources as install-airflow.sh (its functions are used here), plus
# ADDITIONAL_PYTHON_DEPS and AIRFLOW_UID. Run it through with-sources.sh.
set -Eeuo pipefail

# shellcheck source=scripts/docker/install-airflow.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-airflow.sh"

readonly OUT=/opt/airflow-additions

main() {
	local -a deps=() names=()
	# shellcheck disable=SC2206 # one requirement per word, as the official image takes them
	deps=(${ADDITIONAL_PYTHON_DEPS})
	mkdir -p "${OUT}/tree" "${WORK}"
	: >"${OUT}/removed.txt"
	: >"${OUT}/runtime-libraries.txt"
	((${#deps[@]})) || return 0
	find_python
	installer_environment
	"${PYTHON}" /scripts/docker/venv-delta.py snapshot "${VENV}" "${WORK}/manifest.json"

	# their pins win over the constraints, and so do docker-context-files' (as in the build stage)
	mapfile -t names < <(requirement_names "${deps[@]}"; context_names)
	effective_constraints "${names[@]}"
	install "${deps[@]}"
	check_installed 2>&1 | tee "${WORK}/check.log" ||
		die "the requirements conflict with the installed packages: $(grep -m1 -vE '^(Checked|Found|\*\*\*|$)' "${WORK}/check.log" | cut -c1-200) (the whole check above): change their pins in ADDITIONAL_PYTHON_DEPS, or try them first with 'hangar image check-requirements'"

	"${PYTHON}" /scripts/docker/venv-delta.py delta "${VENV}" "${WORK}/manifest.json" "${OUT}"
	if [[ "$(head -n1 "${CONSTRAINTS}")" == "${INSTALLED_HEADER}" ]]; then
		# built without constraints: the file lists what is installed, the additions included
		mkdir -p "${OUT}/tree${CONSTRAINTS%/*}"
		installed_versions >"${OUT}/tree${CONSTRAINTS}"
	fi
	trim_venv "${OUT}/tree"
	/scripts/docker/compile-bytecode.sh "${OUT}/tree"
	runtime_libraries "${OUT}/runtime-libraries.txt" "${OUT}/tree"
	chown -R "${AIRFLOW_UID}:0" "${OUT}/tree"
	chmod -R g=u "${OUT}/tree"
	rm -rf "${WORK}"
}

main "$@"
