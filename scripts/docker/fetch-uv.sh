#!/usr/bin/env bash
# fetch-uv.sh: put the uv binary for the target platform in /opt/uv/bin, fetched by the build
# machine's own Python (the `tools` stage runs on the build platform), so that a build for
# another platform runs no pip under emulation. Leaves /opt/uv/bin empty when uv is not used
# or the platform has no uv wheel, and for offline builds: install-airflow.sh then installs uv
# itself (from docker-context-files when offline).
# The stage reads nothing of the build context but this script, so its cache key does not
# change with docker-context-files (a new constraints file): the uv binary, which does not
# depend on them, is fetched once and reused.
# Build args: AIRFLOW_USE_UV, AIRFLOW_UV_VERSION, TARGETPLATFORM, PYTHON_MAJOR_MINOR_VERSION,
# INSTALL_DISTRIBUTIONS_FROM_CONTEXT.
set -Eeuo pipefail

readonly OUT=/opt/uv/bin WORK=/tmp/fetch-uv

info() { printf '\n*** %s\n' "$*" >&2; }

wheel_arch() {
	# wheel_arch PLATFORM: the machine name of uv's manylinux wheels for an OCI platform
	case "$1" in
	linux/amd64*) echo x86_64 ;;
	linux/arm64*) echo aarch64 ;;
	linux/arm/v7) echo armv7l ;;
	linux/ppc64le) echo ppc64le ;;
	linux/s390x) echo s390x ;;
	linux/386) echo i686 ;;
	*) return 1 ;;
	esac
}

main() {
	mkdir -p "${OUT}"
	[[ "${AIRFLOW_USE_UV,,}" == "true" ]] || return 0
	if [[ "${INSTALL_DISTRIBUTIONS_FROM_CONTEXT,,}" == "true" ]]; then
		info "Offline build: the build stage installs uv from docker-context-files"
		return 0
	fi
	local arch python="python${PYTHON_MAJOR_MINOR_VERSION}"
	if ! arch="$(wheel_arch "${TARGETPLATFORM:-}")"; then
		info "No uv wheel known for ${TARGETPLATFORM:-this platform}: the build stage installs uv itself"
		return 0
	fi
	command -v "${python}" >/dev/null || python=python3
	local -a platforms=()
	local tag
	for tag in manylinux_2_17 manylinux2014 manylinux_2_28 manylinux_2_31; do
		platforms+=(--platform "${tag}_${arch}")
	done
	info "Fetching uv ${AIRFLOW_UV_VERSION} for ${TARGETPLATFORM}"
	"${python}" -m venv "${WORK}/venv"
	"${WORK}/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		"${platforms[@]}" --dest "${WORK}/wheel" "uv==${AIRFLOW_UV_VERSION}"
	"${WORK}/venv/bin/python" -m zipfile -e "${WORK}"/wheel/uv-*.whl "${WORK}/unpacked"
	install -m 0755 "${WORK}"/unpacked/uv-*.data/scripts/uv "${OUT}/uv"
	rm -rf "${WORK}"
}

main "$@"
