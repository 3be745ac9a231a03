#!/usr/bin/env bash
# compile-bytecode.sh: compile the bytecode of the virtualenv the build stage made (mounted
# read-only at its own path) with the build machine's own Python of the same version, and lay
# the files out as __pycache__ folders under /bytecode, to be copied over the venv. Bytecode
# does not depend on the platform, only on the Python version, so a build for another platform
# compiles it natively instead of under emulation, and the bytecode is a layer of its own.
# Which modules: bytecode.py (COMPILE_BYTECODE=core, all or none); the additions' are all
# compiled unless it is none.
# Usage: compile-bytecode.sh [ROOT] (see main). Build args: COMPILE_BYTECODE,
# PYTHON_MAJOR_MINOR_VERSION, AIRFLOW_USER_HOME_DIR, SOURCE_DATE_EPOCH (reproducible: bytecode
# keyed by source hashes and a fixed hash seed).
set -Eeuo pipefail

readonly VENV="${AIRFLOW_USER_HOME_DIR}/.local" OUT=/bytecode PREFIX=/tmp/pycache

# the error line hangar shows first: marked `hangar-error: ` (src/hangar/image/jobs.py)
die() { printf '\nhangar-error: %s\n\n' "$*" >&2; exit 1; }

main() {
	# with ROOT (compile-bytecode.sh ROOT): the venv's files copied under ROOT (the additions'
	# tree, writable), compiled in place as if they were at their own path
	local root="${1:-}"
	[[ -n "${root}" ]] || mkdir -p "${OUT}${VENV}"
	[[ "${COMPILE_BYTECODE,,}" =~ ^(none|false)$ ]] && return 0
	local python="python${PYTHON_MAJOR_MINOR_VERSION}"
	command -v "${python}" >/dev/null ||
		die "${python} is not in the base image for the build platform: the bytecode must be compiled by the Python of the image's version"
	printf '\n*** Compiling bytecode%s (%s on %s)\n' "${root:+ of the additions}" "$("${python}" -V)" "$(uname -m)" >&2
	# a reproducible build keys the bytecode by source hashes (file times are rewritten), and
	# fixes the string hash seed: the order in which a set constant is written depends on it
	local mode=timestamp seed=random
	[[ -n "${SOURCE_DATE_EPOCH:-}" ]] && mode=unchecked-hash seed=0
	if [[ -n "${root}" ]]; then
		[[ -d "${root}${VENV}/lib" ]] || return 0
		PYTHONHASHSEED="${seed}" "${python}" -m compileall -q -j 0 --invalidation-mode "${mode}" \
			-s "${root}" -p / "${root}${VENV}/lib" >/dev/null
		return 0
	fi
	# the venv is read-only here: the bytecode goes to a prefix tree (PEP 3147's cache files under
	# PYTHONPYCACHEPREFIX), then into __pycache__ folders where the importer looks for it
	PYTHONPYCACHEPREFIX="${PREFIX}" PYTHONHASHSEED="${seed}" "${python}" /scripts/docker/bytecode.py \
		"${VENV}/lib/python${PYTHON_MAJOR_MINOR_VERSION}/site-packages" "${COMPILE_BYTECODE}" >&2
	# only the venv's part of the tree: the compiling Python's own imports may land there too
	"${python}" - "${PREFIX}" "${OUT}" "${VENV}" <<-'PY'
		import os, sys
		prefix, out, venv = sys.argv[1:4]
		for folder, _, files in os.walk(prefix + venv):
		    if not files:
		        continue
		    target = os.path.join(out, os.path.relpath(folder, prefix), "__pycache__")
		    os.makedirs(target, exist_ok=True)
		    for name in files:
		        os.rename(os.path.join(folder, name), os.path.join(target, name))
	PY
	chmod -R g=u "${OUT}"
	rm -rf "${PREFIX}"
}

main "$@"
