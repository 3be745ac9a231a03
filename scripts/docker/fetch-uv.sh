#!/usr/bin/env bash
# fetch-uv.sh: put the uv binary for the target platform in /opt/uv/bin, fetched by the build
# machine's own Python (the `tools` stage runs on the build platform), so that a build for
# another platform runs no pip under emulation. Leaves /opt/uv/bin empty when uv is not used
# or the platform has no uv wheel: install-airflow.sh then installs uv itself, as before.
# Build args: AIRFLOW_USE_UV, AIRFLOW_UV_VERSION, TARGETPLATFORM, PYTHON_MAJOR_MINOR_VERSION,
# INSTALL_DISTRIBUTIONS_FROM_CONTEXT (take the wheel from docker-context-files only).
set -Eeuo pipefail

readonly OUT=/opt/uv/bin WORK=/tmp/fetch-uv CONTEXT=/docker-context-files

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
	local arch python="python${PYTHON_MAJOR_MINOR_VERSION}"
	if ! arch="$(wheel_arch "${TARGETPLATFORM:-}")"; then
		info "No uv wheel known for ${TARGETPLATFORM:-this platform}: the build stage installs uv itself"
		return 0
	fi
	command -v "${python}" >/dev/null || python=python3
	local -a source=() platforms=()
	local tag
	for tag in manylinux_2_17 manylinux2014 manylinux_2_28 manylinux_2_31; do
		platforms+=(--platform "${tag}_${arch}")
	done
	[[ "${INSTALL_DISTRIBUTIONS_FROM_CONTEXT,,}" == "true" ]] && source=(--no-index --find-links "${CONTEXT}")
	info "Fetching uv ${AIRFLOW_UV_VERSION} for ${TARGETPLATFORM}"
	"${python}" -m venv "${WORK}/venv"
	"${WORK}/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		"${platforms[@]}" "${source[@]}" --dest "${WORK}/wheel" "uv==${AIRFLOW_UV_VERSION}"
	"${WORK}/venv/bin/python" -m zipfile -e "${WORK}"/wheel/uv-*.whl "${WORK}/unpacked"
	install -m 0755 "${WORK}"/unpacked/uv-*.data/scripts/uv "${OUT}/uv"
	rm -rf "${WORK}"
}

main "$@"
