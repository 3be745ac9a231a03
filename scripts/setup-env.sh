#!/usr/bin/env bash
# Set up everything hangar needs on a Debian 12 machine, and start what is not running:
#   - a Docker engine with BuildKit, buildx and the containerd image store (from Debian 13's
#     packages, pinned low so nothing else upgrades),
#   - an OCI registry on 127.0.0.1:5000,
#   - Python base images (3.11 on Debian 12, 3.13 on Debian 13) built from Debian packages and
#     pushed to that registry, also tagged as the usual python:3.X-slim-<codename> names,
#   - PostgreSQL and Redis on loopback for the entrypoint tests,
#   - the project's Python environment (.venv) with hangar and its test tools.
# Safe to run again: every step checks first and does nothing when its work is done.
#
# Usage: scripts/setup-env.sh [--no-services] [--no-bases] [--no-venv]
# Environment: HANGAR_STATE_DIR (default /var/lib/hangar), HANGAR_REGISTRY (default 127.0.0.1:5000),
#              HANGAR_DEBIAN_MIRROR (default http://deb.debian.org/debian)
set -Eeuo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly STATE_DIR="${HANGAR_STATE_DIR:-/var/lib/hangar}"
readonly LOG_DIR="${STATE_DIR}/log"
readonly REGISTRY="${HANGAR_REGISTRY:-127.0.0.1:5000}"
readonly DEBIAN_MIRROR="${HANGAR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# python version:Debian codename that ships it
readonly BASES="3.11:bookworm 3.13:trixie"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() {
	[[ "$(id -u)" == 0 ]] || die "run as root (it installs packages and starts the Docker daemon)"
}

apt_install() {
	# apt_install [apt-get options...] PACKAGE... ; installs only what is missing
	local -a opts=() pkgs=() missing=()
	local arg
	while (($#)); do
		case "$1" in
		-t) opts+=("$1" "$2"); shift 2 ;;
		-*) opts+=("$1"); shift ;;
		*) pkgs+=("$1"); shift ;;
		esac
	done
	for arg in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "${arg}" 2>/dev/null | grep -q 'install ok installed' || missing+=("${arg}")
	done
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	if [[ ! -f "${STATE_DIR}/.apt-updated" ]] || [[ -n "$(find "${STATE_DIR}/.apt-updated" -mmin +360)" ]]; then
		apt-get update -qq
		touch "${STATE_DIR}/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${opts[@]}" "${missing[@]}" >/dev/null
}

setup_apt_sources() {
	# Debian 13's docker.io (engine 26, buildx, compose) installs on Debian 12; pin it low so
	# only what we ask for comes from trixie.
	local src=/etc/apt/sources.list.d/hangar-trixie.sources
	if [[ ! -f "${src}" ]]; then
		log "adding a low-priority trixie apt source for the Docker engine"
		cat >"${src}" <<-EOF
			Types: deb
			URIs: ${DEBIAN_MIRROR}
			Suites: trixie
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		cat >/etc/apt/preferences.d/hangar-trixie <<-'EOF'
			Package: *
			Pin: release n=trixie
			Pin-Priority: 100
		EOF
		rm -f "${STATE_DIR}/.apt-updated"
	fi
}

install_packages() {
	apt_install -t trixie docker.io docker-cli docker-buildx containerd docker-compose
	apt_install docker-registry debootstrap postgresql redis-server shellcheck git jq curl ca-certificates python3-venv
}

docker_ok() { docker info >/dev/null 2>&1; }

start_docker() {
	mkdir -p /etc/docker
	local conf='{"bridge": "none", "iptables": false, "ip-forward": false, "features": {"containerd-snapshotter": true}}'
	if [[ ! -f /etc/docker/daemon.json ]] || ! jq -e '.features["containerd-snapshotter"] == true and .bridge == "none"' /etc/docker/daemon.json >/dev/null 2>&1; then
		printf '%s\n' "${conf}" >/etc/docker/daemon.json
	fi
	if docker_ok; then
		return 0
	fi
	log "starting dockerd (log: ${LOG_DIR}/dockerd.log)"
	# the session may have left a stale pid file behind
	[[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null && rm -f /var/run/docker.pid
	nohup setsid dockerd >>"${LOG_DIR}/dockerd.log" 2>&1 </dev/null &
	for _ in $(seq 1 60); do
		docker_ok && return 0
		sleep 1
	done
	tail -n 20 "${LOG_DIR}/dockerd.log" >&2 || true
	die "dockerd did not come up within 60 s; see ${LOG_DIR}/dockerd.log"
}

registry_ok() { curl -fsS "http://${REGISTRY}/v2/" >/dev/null 2>&1; }

start_registry() {
	registry_ok && return 0
	mkdir -p "${STATE_DIR}/registry"
	cat >"${STATE_DIR}/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: ${STATE_DIR}/registry
		  delete:
		    enabled: true
		http:
		  addr: ${REGISTRY}
	EOF
	log "starting the registry on ${REGISTRY} (log: ${LOG_DIR}/registry.log)"
	nohup setsid docker-registry serve "${STATE_DIR}/registry.yml" >>"${LOG_DIR}/registry.log" 2>&1 </dev/null &
	for _ in $(seq 1 30); do
		registry_ok && return 0
		sleep 0.5
	done
	die "the registry did not answer on ${REGISTRY}; see ${LOG_DIR}/registry.log"
}

in_registry() {
	# in_registry REPO TAG
	curl -fs -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' \
		"http://${REGISTRY}/v2/$1/manifests/$2"
}

build_base() {
	# build_base PYTHON_VERSION CODENAME: rootfs by debootstrap, imported, python added on top
	local py="$1" codename="$2"
	local tag="python:${py}-slim-${codename}"
	local ref="${REGISTRY}/${tag}"
	if docker image inspect "${ref}" >/dev/null 2>&1 && in_registry python "${py}-slim-${codename}"; then
		docker image inspect "${tag}" >/dev/null 2>&1 || docker tag "${ref}" "${tag}"
		return 0
	fi
	if in_registry python "${py}-slim-${codename}"; then
		log "pulling ${ref}"
		docker pull -q "${ref}" >/dev/null
	else
		"${REPO_ROOT}/scripts/build-base-image.sh" --python "${py}" --codename "${codename}" \
			--mirror "${DEBIAN_MIRROR}" --tag "${ref}" --push
	fi
	docker tag "${ref}" "${tag}"
}

start_postgres() {
	if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
		:
	else
		log "starting PostgreSQL on 127.0.0.1:5432"
		local cluster
		cluster="$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')"
		[[ -n "${cluster}" ]] || die "no PostgreSQL cluster found (pg_lsclusters is empty)"
		# shellcheck disable=SC2086 # "version name" on purpose
		pg_ctlcluster ${cluster} start
		for _ in $(seq 1 30); do
			pg_isready -q -h 127.0.0.1 -p 5432 && break
			sleep 0.5
		done
	fi
	su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='airflow'\"" | grep -q 1 ||
		su postgres -c "psql -qc \"CREATE ROLE airflow LOGIN PASSWORD 'airflow' CREATEDB\""
	su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='airflow'\"" | grep -q 1 ||
		su postgres -c "psql -qc 'CREATE DATABASE airflow OWNER airflow'"
}

start_redis() {
	if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
		return 0
	fi
	log "starting Redis on 127.0.0.1:6379"
	redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
		--logfile "${LOG_DIR}/redis.log" --dir "${STATE_DIR}"
	for _ in $(seq 1 20); do
		redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	die "Redis did not start; see ${LOG_DIR}/redis.log"
}

setup_venv() {
	local venv="${REPO_ROOT}/.venv"
	if [[ ! -x "${venv}/bin/python" ]]; then
		log "creating ${venv}"
		python3 -m venv "${venv}"
	fi
	if [[ ! -x "${venv}/bin/uv" ]]; then
		"${venv}/bin/pip" install -q "uv==$(cat "${REPO_ROOT}/scripts/uv-version")"
	fi
	local stamp="${venv}/.hangar-installed"
	if [[ ! -f "${stamp}" ]] || [[ "${REPO_ROOT}/pyproject.toml" -nt "${stamp}" ]]; then
		log "installing hangar and its test tools into ${venv}"
		# --native-tls: the system trust store (a proxy CA installed there works without SSL_CERT_FILE)
		VIRTUAL_ENV="${venv}" "${venv}/bin/uv" pip install -q --native-tls -e "${REPO_ROOT}[test]"
		touch "${stamp}"
	fi
}

main() {
	local services=1 bases=1 venv=1 arg
	for arg in "$@"; do
		case "${arg}" in
		--no-services) services=0 ;;
		--no-bases) bases=0 ;;
		--no-venv) venv=0 ;;
		-h | --help)
			sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
			return 0
			;;
		*) die "unknown option ${arg} (see --help)" ;;
		esac
	done
	need_root
	mkdir -p "${STATE_DIR}" "${LOG_DIR}"
	setup_apt_sources
	install_packages
	start_docker
	start_registry
	if ((bases)); then
		local base
		for base in ${BASES}; do
			build_base "${base%%:*}" "${base#*:}"
		done
	fi
	if ((services)); then
		start_postgres
		start_redis
	fi
	((venv)) && setup_venv
	log "ready: engine $(docker version -f '{{.Server.Version}}'), buildx $(docker buildx version | awk '{print $2}'), registry ${REGISTRY}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
