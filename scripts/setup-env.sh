#!/usr/bin/env bash
# Set up what hangar needs on this machine, and start what is not running. Safe on your own
# machine and safe to run again: every step checks first, says which file it changes before
# changing it, and does nothing when its work is done.
#
#   - Docker engine with buildx: a running one (Docker Engine, Docker Desktop, rootless, whatever
#     DOCKER_HOST or the docker context points at) is used as it is: no apt source, no package,
#     no /etc/docker/daemon.json change, no daemon (re)start. Only on Debian 12 or 13 with no
#     engine at all (no docker CLI, or a CLI alone: no dockerd, no engine socket, no DOCKER_HOST
#     or other context) does it install one (docker.io, buildx, compose; on Debian 12 from
#     Debian 13 through a low-priority apt source), configure it (/etc/docker/daemon.json: no
#     bridge, containerd image store) and start it; it notes that in the state folder and keeps
#     managing that engine on later runs. Anywhere else it stops and says what to install.
#   - Local base images, only when Docker Hub is out of reach: an OCI registry on
#     127.0.0.1:5000, Python base images built from Debian packages (3.11 on Debian 12, 3.13 on
#     Debian 13, 3.14 on Debian's testing release forky) pushed there, each rebuilt when its
#     recipe changed (the label dev.hangar.base.recipe), and the overlay ${HANGAR_CONFIG_DIR:-/etc/hangar}/environment.toml
#     that points hangar at them. With Docker Hub in reach it builds nothing and writes no overlay.
#   - the project's Python environment (.venv) with hangar and its test tools.
#   - with --test, what the test suite needs on top: the registry on 127.0.0.1:5000 (also with
#     Docker Hub in reach), PostgreSQL and Redis on loopback, shellcheck, git and cosign (from
#     Debian 13; on Debian 12 through the engine's trixie source, else only where apt offers it),
#     the Kerberos tools, MariaDB's server and apt's archive tools (for servers the tests start
#     themselves) and emulation of the other platform.
#   - with --test or --emulation, emulation of the other of amd64/arm64 (qemu-user-static and
#     binfmt-support, registered with the fix-binary flag so containers need no qemu of their
#     own), so the engine builds and runs both.
#
# Usage: scripts/setup-env.sh [--test] [--emulation] [--no-bases] [--no-venv] [--no-services] [--help]
#   --test         also start the test services (registry, PostgreSQL, Redis)
#   --emulation    set up emulation of the other platform (amd64 <-> arm64)
#   --no-bases     do not check for Docker Hub, build local base images or write the overlay
#   --no-venv      do not create or update .venv
#   --no-services  with --test: start no PostgreSQL and Redis (the registry still starts);
#                  without --test it changes nothing (kept for `hangar env up --no-services`)
# Environment: HANGAR_STATE_DIR (default /var/lib/hangar), HANGAR_REGISTRY (default 127.0.0.1:5000),
#              HANGAR_CONFIG_DIR (default /etc/hangar), HANGAR_DEBIAN_MIRROR (default
#              http://deb.debian.org/debian)
set -Eeuo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly STATE_DIR="${HANGAR_STATE_DIR:-/var/lib/hangar}"
readonly LOG_DIR="${STATE_DIR}/log"
readonly ENGINE_MARKER="${STATE_DIR}/engine-installed-by-hangar"
readonly REGISTRY="${HANGAR_REGISTRY:-127.0.0.1:5000}"
readonly CONFIG_DIR="${HANGAR_CONFIG_DIR:-/etc/hangar}"
readonly OVERLAY="${CONFIG_DIR}/environment.toml"
readonly DEBIAN_MIRROR="${HANGAR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly DAEMON_JSON=/etc/docker/daemon.json
readonly TRIXIE_SOURCE=/etc/apt/sources.list.d/hangar-trixie.sources
readonly TRIXIE_PIN=/etc/apt/preferences.d/hangar-trixie
# the image whose resolving tells that Docker Hub is in reach
readonly DOCKER_HUB_PROBE=docker.io/library/python:3.13-slim-trixie
# python version:Debian codename that ships it
readonly BASES="3.11:bookworm 3.13:trixie 3.14:forky"
# the Python hangar builds and runs when none is given (Debian's stable release's)
readonly DEFAULT_BASE_PYTHON=3.13
readonly RECIPE_LABEL=dev.hangar.base.recipe
readonly ENGINE_PACKAGES="docker.io docker-cli docker-buildx containerd docker-compose"
readonly NO_ENGINE="no Docker engine with buildx found: install Docker Engine or Docker Desktop with the buildx plugin, start it, and run this again"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() {
	# need_root WHY
	[[ "$(id -u)" == 0 ]] || die "run as root (sudo scripts/setup-env.sh): it has to $1"
}

ensure_state_dir() {
	[[ -d "${LOG_DIR}" ]] && return 0
	need_root "create ${STATE_DIR}"
	log "creating ${STATE_DIR}"
	mkdir -p "${LOG_DIR}"
}

write_file() {
	# write_file PATH WHY < CONTENT: writes PATH only when its content differs, saying so first
	local path="$1" why="$2" content
	content="$(cat)"
	if [[ -f "${path}" ]] && printf '%s\n' "${content}" | cmp -s - "${path}"; then
		return 0
	fi
	if [[ -e "${path}" ]]; then
		log "updating ${path} (${why})"
	else
		log "writing ${path} (${why})"
	fi
	mkdir -p "$(dirname "${path}")"
	printf '%s\n' "${content}" >"${path}"
}

dpkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
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
		dpkg_installed "${arg}" || missing+=("${arg}")
	done
	((${#missing[@]})) || return 0
	if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
		die "missing ${missing[*]} (Debian package names): install them and run this again"
	fi
	need_root "install ${missing[*]}"
	ensure_state_dir
	log "installing ${missing[*]}"
	if [[ ! -f "${STATE_DIR}/.apt-updated" ]] || [[ -n "$(find "${STATE_DIR}/.apt-updated" -mmin +360)" ]]; then
		apt-get update -qq
		touch "${STATE_DIR}/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${opts[@]}" "${missing[@]}" >/dev/null
}

need_cmd() {
	# need_cmd COMMAND PACKAGE: installs PACKAGE when COMMAND is missing
	command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# --- the Docker engine -----------------------------------------------------------------------

docker_ok() { docker info >/dev/null 2>&1; }
buildx_ok() { docker buildx version >/dev/null 2>&1; }

debian_release() {
	# prints 12 or 13 on Debian 12 or 13, nothing elsewhere
	local id version
	id="$(sed -n 's/^ID=//p' /etc/os-release 2>/dev/null | tr -d "\"'")"
	version="$(sed -n 's/^VERSION_ID=//p' /etc/os-release 2>/dev/null | tr -d "\"'")"
	if [[ "${id}" == debian ]] && [[ "${version}" == 12 || "${version}" == 13 ]]; then
		printf '%s\n' "${version}"
	fi
}

engine_installed_by_us() {
	[[ -f "${ENGINE_MARKER}" ]] && return 0
	# an earlier version of this script left no marker, only its trixie apt source
	[[ -f "${TRIXIE_SOURCE}" ]] && dpkg_installed docker.io || return 1
	if [[ -w "${STATE_DIR}" ]]; then
		write_marker "an earlier version of it, which left ${TRIXIE_SOURCE}"
	fi
}

write_marker() {
	write_file "${ENGINE_MARKER}" "this script manages the Docker engine it installed" <<-EOF
		# scripts/setup-env.sh installed the Docker engine here ($1):
		# ${ENGINE_PACKAGES}.
		# While this file exists, that script starts dockerd when it is down and keeps
		# ${DAEMON_JSON} as hangar needs it. Remove it to manage the engine yourself.
	EOF
}

setup_apt_sources() {
	# Debian 13's docker.io (engine 26, buildx, compose) installs on Debian 12; pin it low so
	# only what we ask for comes from trixie.
	if [[ ! -f "${TRIXIE_SOURCE}" ]]; then
		rm -f "${STATE_DIR}/.apt-updated"
	fi
	write_file "${TRIXIE_SOURCE}" "a trixie apt source for the Docker engine" <<-EOF
		Types: deb
		URIs: ${DEBIAN_MIRROR}
		Suites: trixie
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	write_file "${TRIXIE_PIN}" "pins trixie low: only what is asked for comes from it" <<-'EOF'
		Package: *
		Pin: release n=trixie
		Pin-Priority: 100
	EOF
}

engine_apt_opts() {
	# the engine comes from trixie where the trixie source was added (Debian 12)
	[[ -f "${TRIXIE_SOURCE}" ]] && printf '%s\n' -t trixie
	return 0
}

install_engine() {
	# install_engine DEBIAN_RELEASE: the engine packages from Debian, configured before the
	# packages start the daemon
	need_root "install the Docker engine"
	ensure_state_dir
	log "no Docker engine here: installing Debian's Docker engine (docker.io, buildx, compose)"
	write_marker "Debian $1 with no Docker engine"
	apt_install jq
	ensure_daemon_json
	if [[ "$1" == 12 ]]; then
		setup_apt_sources
	fi
	local -a opts
	mapfile -t opts < <(engine_apt_opts)
	# shellcheck disable=SC2086 # a list of package names
	apt_install "${opts[@]}" ${ENGINE_PACKAGES}
}

ensure_daemon_json() {
	# no default bridge (containers use the host network) and the containerd image store;
	# other settings in the file are kept
	local want='{"bridge": "none", "iptables": false, "ip-forward": false, "features": {"containerd-snapshotter": true}}'
	local check='.features["containerd-snapshotter"] == true and .bridge == "none"'
	if [[ -f "${DAEMON_JSON}" ]]; then
		jq -e "${check}" "${DAEMON_JSON}" >/dev/null 2>&1 && return 0
		jq -e . "${DAEMON_JSON}" >/dev/null 2>&1 || die "${DAEMON_JSON} is not valid JSON: fix or remove it and run this again"
		need_root "change ${DAEMON_JSON}"
		local merged
		merged="$(jq --argjson want "${want}" '. * $want' "${DAEMON_JSON}")"
		write_file "${DAEMON_JSON}" "hangar's engine: no bridge, containerd image store; other settings kept" <<<"${merged}"
	else
		need_root "write ${DAEMON_JSON}"
		write_file "${DAEMON_JSON}" "hangar's engine: no bridge, containerd image store" <<<"${want}"
	fi
	if docker_ok; then
		log "dockerd runs with the previous ${DAEMON_JSON}: restart it for the change to take effect"
	fi
}

start_dockerd() {
	docker_ok && return 0
	need_root "start dockerd"
	ensure_state_dir
	if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
		log "starting docker.service"
		systemctl start docker.service
	else
		log "starting dockerd (log: ${LOG_DIR}/dockerd.log)"
		# the session may have left a stale pid file behind
		if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
			rm -f /var/run/docker.pid
		fi
		nohup setsid dockerd >>"${LOG_DIR}/dockerd.log" 2>&1 </dev/null &
	fi
	for _ in $(seq 1 60); do
		docker_ok && return 0
		sleep 1
	done
	tail -n 20 "${LOG_DIR}/dockerd.log" >&2 2>/dev/null || true
	die "dockerd did not come up within 60 s; see ${LOG_DIR}/dockerd.log"
}

manage_own_engine() {
	# the engine this script installed: complete its packages, keep its daemon.json, start it
	local -a opts
	mapfile -t opts < <(engine_apt_opts)
	# shellcheck disable=SC2086 # a list of package names
	apt_install "${opts[@]}" ${ENGINE_PACKAGES} jq
	ensure_daemon_json
	start_dockerd
	buildx_ok || die "docker buildx does not work; reinstall docker-buildx"
}

use_existing_engine() {
	local answer
	if ! answer="$(docker info 2>&1 >/dev/null)"; then
		if [[ "${answer}" == *"permission denied"* ]]; then
			die "the Docker engine refuses this user (permission denied on its socket): run this as a user in the docker group, or as root"
		fi
		die "a docker CLI is installed but no Docker engine answers (docker info fails): start that engine (Docker Desktop, or the docker service) and run this again"
	fi
	buildx_ok || die "the Docker engine answers but the docker CLI has no buildx plugin: install the buildx plugin (docker-buildx-plugin or docker-buildx) and run this again"
	log "using the running Docker engine as it is ($(docker context show 2>/dev/null || echo default) context)"
}

cli_without_engine() {
	# a docker CLI alone, with nothing it could talk to on this machine: no engine answers, no
	# dockerd is installed, no engine socket, no DOCKER_HOST and no context but the default one
	docker_ok && return 1
	[[ -z "${DOCKER_HOST:-}" ]] || return 1
	command -v dockerd >/dev/null 2>&1 && return 1
	[[ -e /usr/bin/dockerd || -e /usr/sbin/dockerd || -S /var/run/docker.sock ]] && return 1
	[[ "$(docker context show 2>/dev/null || echo default)" == default ]]
}

setup_engine() {
	if engine_installed_by_us; then
		manage_own_engine
	elif command -v docker >/dev/null 2>&1 && ! cli_without_engine; then
		use_existing_engine
	else
		local release
		release="$(debian_release)"
		[[ -n "${release}" ]] || die "${NO_ENGINE}"
		install_engine "${release}"
		start_dockerd
		buildx_ok || die "docker buildx does not work after installing docker-buildx"
	fi
}

# --- registry and local base images ----------------------------------------------------------

docker_hub_reachable() {
	local -a limit=()
	if command -v timeout >/dev/null 2>&1; then
		limit=(timeout 20)
	fi
	${limit[@]+"${limit[@]}"} docker buildx imagetools inspect "${DOCKER_HUB_PROBE}" >/dev/null 2>&1
}

registry_ok() { curl -fsS "http://${REGISTRY}/v2/" >/dev/null 2>&1; }

start_registry() {
	need_cmd curl curl
	registry_ok && return 0
	need_cmd docker-registry docker-registry
	ensure_state_dir
	mkdir -p "${STATE_DIR}/registry"
	write_file "${STATE_DIR}/registry.yml" "the registry's configuration" <<-EOF
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
	local ref="${REGISTRY}/${tag}" want
	# the same recipe (script, base-image/, Python, release) is the same base: reused
	want="$("${REPO_ROOT}/scripts/build-base-image.sh" --python "${py}" --codename "${codename}" --print-recipe)"
	if [[ "$(base_recipe "${ref}")" == "${want}" ]] && in_registry python "${py}-slim-${codename}"; then
		docker image inspect "${tag}" >/dev/null 2>&1 || docker tag "${ref}" "${tag}"
		return 0
	fi
	if in_registry python "${py}-slim-${codename}"; then
		log "pulling ${ref}"
		docker pull -q "${ref}" >/dev/null
	fi
	if [[ "$(base_recipe "${ref}")" != "${want}" ]]; then
		need_cmd debootstrap debootstrap
		log "building ${ref} (recipe ${want})"
		"${REPO_ROOT}/scripts/build-base-image.sh" --python "${py}" --codename "${codename}" \
			--mirror "${DEBIAN_MIRROR}" --tag "${ref}" --push
	fi
	docker tag "${ref}" "${tag}"
}

base_recipe() {
	# base_recipe REF: the recipe label of the local image REF (empty: none, or no such image)
	docker image inspect -f "{{ index .Config.Labels \"${RECIPE_LABEL}\" }}" "$1" 2>/dev/null || true
}

overlay_content() {
	local base debian="" pythons="" default=""
	for base in ${BASES}; do
		debian+="${debian:+,}${base%%:*}=${base#*:}"
		pythons+="${pythons:+,}${base%%:*}"
	done
	default="${DEFAULT_BASE_PYTHON}"
	cat <<-EOF
		# Written by scripts/setup-env.sh: this machine reaches no Docker Hub, so hangar builds on
		# local base images made from Debian packages (see \`hangar config show\`).
		registry = "${REGISTRY}"
		base_image = "${REGISTRY}/python:{python}-slim-{debian}"
		debian = "${debian}"
		pythons = "${pythons}"
		default_python = "${default}"
		# Airflow's own un-suffixed tags carry Python 3.12, which Debian ships in no release
		bare_tag_python = "${default}"
		ca_bundle = "/etc/ssl/certs/ca-certificates.crt"
		quickstart_network = "host"
	EOF
}

write_overlay() {
	# an overlay without this script's first line is the user's own: kept as it is
	if overlay_content | cmp -s - "${OVERLAY}" 2>/dev/null; then
		return 0
	fi
	if [[ -f "${OVERLAY}" ]] && [[ "$(head -n 1 "${OVERLAY}")" != "$(overlay_content | head -n 1)" ]]; then
		log "keeping ${OVERLAY}: this script did not write it (it would point hangar at the local base images in ${REGISTRY})"
		return 0
	fi
	local dir="${CONFIG_DIR}"
	while [[ ! -e "${dir}" ]]; do
		dir="$(dirname "${dir}")"
	done
	[[ -w "${dir}" ]] || need_root "write ${OVERLAY} (or set HANGAR_CONFIG_DIR to a folder you can write)"
	overlay_content | write_file "${OVERLAY}" "hangar's settings for the local base images"
}

drop_own_overlay() {
	# Docker Hub answers now: an overlay an earlier run wrote, unedited, would point hangar at
	# local base images it no longer needs
	[[ -f "${OVERLAY}" ]] || return 0
	if overlay_content | cmp -s - "${OVERLAY}"; then
		log "removing ${OVERLAY} (written by an earlier run without Docker Hub; hangar uses Docker Hub's images now)"
		rm -f "${OVERLAY}"
	else
		log "keeping ${OVERLAY}: it differs from what this script writes, so its settings are yours"
	fi
}

setup_bases() {
	if docker_hub_reachable; then
		log "Docker Hub answers (${DOCKER_HUB_PROBE}): no local base images needed"
		drop_own_overlay
		return 0
	fi
	log "Docker Hub does not answer (${DOCKER_HUB_PROBE}): using local base images from ${REGISTRY}"
	start_registry
	local base
	for base in ${BASES}; do
		build_base "${base%%:*}" "${base#*:}"
	done
	write_overlay
}

# --- test services ---------------------------------------------------------------------------

airflow_db_ok() {
	command -v psql >/dev/null 2>&1 &&
		psql postgresql://airflow:airflow@127.0.0.1:5432/airflow -qtAc 'SELECT 1' >/dev/null 2>&1
}

start_postgres() {
	airflow_db_ok && return 0
	if ! { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }; then
		apt_install postgresql
		pg_isready -q -h 127.0.0.1 -p 5432 || start_postgres_cluster
	fi
	need_root "create the PostgreSQL role and database airflow"
	local role db
	role="$(su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='airflow'\"")"
	if [[ "${role}" != 1 ]]; then
		log "creating the PostgreSQL role airflow"
		su postgres -c "psql -qc \"CREATE ROLE airflow LOGIN PASSWORD 'airflow' CREATEDB\""
	fi
	db="$(su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='airflow'\"")"
	if [[ "${db}" != 1 ]]; then
		log "creating the PostgreSQL database airflow"
		su postgres -c "psql -qc 'CREATE DATABASE airflow OWNER airflow'"
	fi
}

start_postgres_cluster() {
	need_root "start PostgreSQL"
	log "starting PostgreSQL on 127.0.0.1:5432"
	local cluster
	cluster="$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')"
	[[ -n "${cluster}" ]] || die "no PostgreSQL cluster found (pg_lsclusters is empty)"
	# shellcheck disable=SC2086 # "version name" on purpose
	pg_ctlcluster ${cluster} start
	for _ in $(seq 1 30); do
		pg_isready -q -h 127.0.0.1 -p 5432 && return 0
		sleep 0.5
	done
	die "PostgreSQL did not answer on 127.0.0.1:5432"
}

start_redis() {
	need_cmd redis-server redis-server
	if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
		return 0
	fi
	ensure_state_dir
	log "starting Redis on 127.0.0.1:6379"
	redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
		--logfile "${LOG_DIR}/redis.log" --dir "${STATE_DIR}"
	for _ in $(seq 1 20); do
		redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	die "Redis did not start; see ${LOG_DIR}/redis.log"
}

apt_candidate() {
	# apt_candidate PACKAGE: whether apt has a version of PACKAGE to install
	command -v apt-cache >/dev/null 2>&1 || return 1
	local candidate
	candidate="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
	[[ -n "${candidate}" && "${candidate}" != "(none)" ]]
}

setup_cosign() {
	# cosign (2.x) for the tests that sign images: Debian 13 ships it; Debian 12 takes it from
	# the low-priority trixie source this script added for the engine; elsewhere only when apt
	# offers it (no apt source is added for it)
	command -v cosign >/dev/null 2>&1 && return 0
	if [[ -f "${TRIXIE_SOURCE}" ]]; then
		apt_install -t trixie cosign
	elif [[ "$(debian_release)" == 13 ]] || apt_candidate cosign; then
		apt_install cosign
	else
		log "no cosign package here: the tests that sign images will be skipped (install cosign 2.x to run them)"
	fi
}

# --- emulation of the other platform -----------------------------------------------------------

setup_emulation() {
	local native foreign binfmt=/proc/sys/fs/binfmt_misc
	native="$(dpkg --print-architecture 2>/dev/null || uname -m)"
	case "${native}" in
	amd64 | x86_64) foreign=aarch64 ;;
	arm64 | aarch64) foreign=x86_64 ;;
	*)
		log "no emulation set up: ${native} machines are not supported"
		return 0
		;;
	esac
	if grep -qs '^enabled' "${binfmt}/qemu-${foreign}"; then
		return 0
	fi
	apt_install qemu-user-static binfmt-support
	if [[ ! -f "${binfmt}/register" ]]; then
		need_root "mount binfmt_misc"
		log "mounting binfmt_misc on ${binfmt}"
		mount -t binfmt_misc binfmt_misc "${binfmt}" ||
			die "cannot mount binfmt_misc on ${binfmt} (in a container, it needs privileges): emulation of ${foreign} is not possible here"
	fi
	log "enabling qemu-${foreign} emulation (update-binfmts)"
	update-binfmts --enable "qemu-${foreign}" ||
		die "update-binfmts --enable qemu-${foreign} failed: see update-binfmts --display"
	grep -qs '^enabled' "${binfmt}/qemu-${foreign}" ||
		die "qemu-${foreign} is registered but not enabled in ${binfmt}"
	if ! docker buildx inspect 2>/dev/null | grep "linux/${foreign/aarch64/arm64}" >/dev/null; then
		log "the engine does not list linux/${foreign/aarch64/arm64} yet: restart it (dockerd) to build for it"
	fi
}

setup_kerberos_tools() {
	# a real KDC and a Kerberos-protected web server for the Kerberos tests, which start and
	# stop them themselves (nothing runs as a service: apache2-bin has no service, and the KDC
	# packages' own services have no realm to serve)
	apt_install krb5-kdc krb5-admin-server krb5-user apache2-bin libapache2-mod-auth-gssapi
}

setup_test_servers() {
	# the servers tests start themselves on a free loopback port and stop by process id: MariaDB
	# (the core packages only: no service starts, no data directory is made), and a signed apt
	# repository the vendor-repository test makes (apt-ftparchive, gpg) and serves with Python
	apt_install mariadb-server-core mariadb-client-core apt-utils gnupg
}

setup_test_services() {
	# services: 1 to start PostgreSQL and Redis too
	local services="$1"
	need_cmd shellcheck shellcheck
	need_cmd git git
	setup_cosign
	setup_kerberos_tools
	setup_test_servers
	setup_emulation
	start_registry
	if ((services)); then
		start_postgres
		start_redis
	fi
}

# --- the project's Python environment --------------------------------------------------------

setup_venv() {
	local venv="${REPO_ROOT}/.venv"
	if [[ ! -x "${venv}/bin/python" ]]; then
		if command -v dpkg-query >/dev/null 2>&1; then
			apt_install python3-venv ca-certificates
		fi
		log "creating ${venv}"
		python3 -m venv "${venv}"
	fi
	if [[ ! -x "${venv}/bin/uv" ]]; then
		log "installing uv into ${venv}"
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

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

main() {
	local test=0 emulation=0 services=1 bases=1 venv=1 arg
	for arg in "$@"; do
		case "${arg}" in
		--test) test=1 ;;
		--emulation) emulation=1 ;;
		--no-services) services=0 ;;
		--no-bases) bases=0 ;;
		--no-venv) venv=0 ;;
		-h | --help)
			usage
			return 0
			;;
		*) die "unknown option ${arg} (see --help)" ;;
		esac
	done
	setup_engine
	if ((bases)); then
		setup_bases
	fi
	if ((test)); then
		setup_test_services "${services}"
	elif ((emulation)); then
		setup_emulation
	fi
	if ((venv)); then
		setup_venv
	fi
	local where=""
	registry_ok 2>/dev/null && where=", registry ${REGISTRY}"
	log "ready: engine $(docker version -f '{{.Server.Version}}' 2>/dev/null), buildx $(docker buildx version | awk '{print $2}')${where}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
