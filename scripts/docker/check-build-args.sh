#!/usr/bin/env bash
# check-build-args.sh: the official image's build args that this Dockerfile cannot honour stop the
# build before anything is installed, in one line naming what to use instead (README, "Build
# args", column "official"). It runs first, in a stage of its own on the base image, which every
# other stage waits for. Every input is a build arg; the ones that are honoured are checked for
# values they cannot take.
set -Eeuo pipefail

stop() {
	# marked `hangar-error: `: the line hangar shows first (src/hangar/image/jobs.py)
	printf 'hangar-error: build arg %s\n' "$*" >&2
	exit 1
}

boolean() {
	# boolean NAME DEFAULT: the arg NAME, true or false, or stop
	local value="${!1:-$2}"
	case "${value,,}" in
	true | false) printf '%s\n' "${value,,}" ;;
	*) stop "$1=${value}: use true or false" ;;
	esac
}

check_clients() {
	boolean INSTALL_POSTGRES_CLIENT true >/dev/null
	boolean INSTALL_MYSQL_CLIENT true >/dev/null
	case "${INSTALL_MYSQL_CLIENT_TYPE:-mariadb}" in
	mariadb) ;;
	mysql) stop "INSTALL_MYSQL_CLIENT_TYPE=mysql: Oracle's MySQL client is not offered (nor by the official image since Airflow 3.0): use mariadb, whose client speaks to MySQL servers too" ;;
	*) stop "INSTALL_MYSQL_CLIENT_TYPE=${INSTALL_MYSQL_CLIENT_TYPE}: the only client type is mariadb" ;;
	esac
	if [[ "$(boolean INSTALL_MSSQL_CLIENT false)" == true ]]; then
		stop "INSTALL_MSSQL_CLIENT=true: Microsoft's msodbcsql18 comes from Microsoft's own apt repository, which this build adds only when asked: add it with ADDITIONAL_RUNTIME_APT_COMMAND and ADDITIONAL_RUNTIME_APT_DEPS=msodbcsql18 (README, \"Microsoft's ODBC driver\"); the FreeTDS ODBC driver is in the image"
	fi
}

check_python() {
	local have
	if [[ "$(boolean PYTHON_LTO true)" == false ]]; then
		stop "PYTHON_LTO=false: Python is not compiled here, it is the base image's: choose a base whose Python fits (PYTHON_BASE_IMAGE, e.g. a FIPS-ready one) and PYTHON_MAJOR_MINOR_VERSION"
	fi
	[[ -n "${AIRFLOW_PYTHON_VERSION:-}" ]] || return 0
	have="$("python${PYTHON_MAJOR_MINOR_VERSION}" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo none)"
	if [[ "${AIRFLOW_PYTHON_VERSION}" != "${have}" ]]; then
		stop "AIRFLOW_PYTHON_VERSION=${AIRFLOW_PYTHON_VERSION}: Python is not compiled here; the base image has Python ${have} for PYTHON_MAJOR_MINOR_VERSION=${PYTHON_MAJOR_MINOR_VERSION}: choose the Python with PYTHON_BASE_IMAGE (e.g. python:${AIRFLOW_PYTHON_VERSION}-slim-trixie) and PYTHON_MAJOR_MINOR_VERSION"
	fi
}

check_sources() {
	case "${AIRFLOW_INSTALLATION_METHOD:-apache-airflow}" in
	. | ./) stop "AIRFLOW_INSTALLATION_METHOD=${AIRFLOW_INSTALLATION_METHOD}: Airflow is not built from the build context's sources: put Airflow's sources (or a wheel) in docker-context-files and give their path, e.g. AIRFLOW_INSTALLATION_METHOD=docker-context-files/airflow" ;;
	esac
}

main() {
	check_clients
	check_python
	check_sources
}

main "$@"
