#!/usr/bin/env bash
# install-airflow.sh: create the virtualenv at ~airflow/.local and install Airflow, its extras
# and whatever the docker-context-files folder holds, against the constraints file. Runs in the build stage as root; every input is a build arg (see the
# Dockerfile). Run it through with-sources.sh so corporate indexes and CA bundles are used.
set -Eeuo pipefail

readonly CONTEXT=/docker-context-files
readonly VENV="${AIRFLOW_USER_HOME_DIR}/.local"
readonly CONSTRAINTS="${AIRFLOW_USER_HOME_DIR}/constraints.txt"
readonly WORK=/tmp/hangar-install

# the error line hangar shows first: marked `hangar-error: ` (src/hangar/image/jobs.py)
die() { printf '\nhangar-error: %s\n\n' "$*" >&2; exit 1; }
info() { printf '\n*** %s\n' "$*" >&2; }
truthy() { [[ "${1,,}" == "true" ]]; }

find_python() {
	local want="${PYTHON_MAJOR_MINOR_VERSION}" found
	if ! PYTHON="$(command -v "python${want}")"; then
		found="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)"
		die "Python ${want} is not in the base image (it has Python ${found}): set PYTHON_BASE_IMAGE to a python:${want}-slim-* image, or PYTHON_MAJOR_MINOR_VERSION=${found}"
	fi
	readonly PYTHON
}

normalize() {
	# normalize NAME: PEP 503 project name
	local name="${1,,}"
	printf '%s\n' "${name//[._]/-}" | sed 's/--*/-/g'
}

requirement_names() {
	# requirement_names REQUIREMENT...: the normalized project names the requirements ask for
	local req
	for req in "$@"; do
		[[ "${req}" =~ ^([A-Za-z0-9][A-Za-z0-9._-]*) ]] && normalize "${BASH_REMATCH[1]}"
	done
}

context_distributions() {
	compgen -G "${CONTEXT}/*.whl" || true
	compgen -G "${CONTEXT}/*.tar.gz" || true
}

distribution_name() {
	# distribution_name FILE: project name of a wheel or sdist file
	local base="${1##*/}"
	if [[ "${base}" == *.whl ]]; then
		normalize "${base%%-*}"
	else
		base="${base%.tar.gz}"
		normalize "${base%-*}"
	fi
}

fetch_constraints() {
	local py="$1" location="${AIRFLOW_CONSTRAINTS_LOCATION}" ref url
	local in_context="${CONTEXT}/${AIRFLOW_CONSTRAINTS_MODE}-${py}.txt"
	# the official image's place for them, taken when USE_CONSTRAINTS_FOR_CONTEXT_DISTRIBUTIONS is true
	if [[ ! -f "${in_context}" ]] && truthy "${USE_CONSTRAINTS_FOR_CONTEXT_DISTRIBUTIONS:-false}"; then
		in_context="${CONTEXT}/constraints-${py}/${AIRFLOW_CONSTRAINTS_MODE}-${py}.txt"
	fi
	: >"${CONSTRAINTS}"
	if [[ -n "${UPGRADE_RANDOM_INDICATOR_STRING:-}" ]]; then
		info "Installing the newest versions, without constraints (UPGRADE_RANDOM_INDICATOR_STRING is set)"
	elif [[ "${location}" == "none" ]]; then
		info "Installing without constraints (AIRFLOW_CONSTRAINTS_LOCATION=none)"
	elif [[ "${location}" =~ ^https?:// ]]; then
		info "Downloading constraints from ${location}"
		curl -fsSL --retry 2 --connect-timeout 10 "${location}" -o "${CONSTRAINTS}" ||
			die "could not download the constraints from AIRFLOW_CONSTRAINTS_LOCATION=${location}: check the URL, or put the file in docker-context-files"
	elif [[ -n "${location}" ]]; then
		[[ "${location}" == /* ]] || location="${CONTEXT}/${location#docker-context-files/}"
		[[ -f "${location}" ]] ||
			die "constraints file ${AIRFLOW_CONSTRAINTS_LOCATION} not found: put it in the docker-context-files folder and give its path relative to that folder"
		info "Using constraints from ${location}"
		cp "${location}" "${CONSTRAINTS}"
	elif [[ -f "${in_context}" ]]; then
		info "Using constraints from docker-context-files/${in_context##*/}"
		cp "${in_context}" "${CONSTRAINTS}"
	elif [[ "${AIRFLOW_INSTALLATION_METHOD}" == "apache-airflow" ]] && ! truthy "${INSTALL_DISTRIBUTIONS_FROM_CONTEXT}"; then
		# as the official image: a release's own constraints tag, else DEFAULT_CONSTRAINTS_BRANCH
		ref="${AIRFLOW_CONSTRAINTS_REFERENCE:-}"
		if [[ -z "${ref}" && "${AIRFLOW_VERSION}" =~ ^[23]\.[0-9]+\.[0-9]+ ]]; then
			ref="constraints-${AIRFLOW_VERSION}"
		fi
		ref="${ref:-${DEFAULT_CONSTRAINTS_BRANCH:-constraints-main}}"
		url="https://raw.githubusercontent.com/${CONSTRAINTS_GITHUB_REPOSITORY}/${ref}/${AIRFLOW_CONSTRAINTS_MODE}-${py}.txt"
		info "Downloading constraints from ${url}"
		if ! curl -fsSL --connect-timeout 5 --max-time 60 "${url}" -o "${CONSTRAINTS}"; then
			: >"${CONSTRAINTS}"
			printf '\nWARNING: could not download %s; installing without constraints.\n' "${url}" >&2
			printf 'WARNING: for a reproducible build pass AIRFLOW_CONSTRAINTS_LOCATION or put %s in docker-context-files.\n\n' \
				"${in_context##*/}" >&2
		fi
	fi
}

effective_constraints() {
	# the constraints minus every project the user names explicitly: their pins win
	local -a names=("$@")
	local line name skip n
	: >"${WORK}/constraints.txt"
	while IFS= read -r line || [[ -n "${line}" ]]; do
		skip=0
		if [[ "${line}" =~ ^([A-Za-z0-9][A-Za-z0-9._-]*) ]]; then
			name="$(normalize "${BASH_REMATCH[1]}")"
			for n in "${names[@]}"; do
				[[ "${n}" == "${name}" ]] && skip=1 && break
			done
		fi
		((skip)) || printf '%s\n' "${line}" >>"${WORK}/constraints.txt"
	done <"${CONSTRAINTS}"
}

airflow_extras() {
	# AIRFLOW_EXTRAS and ADDITIONAL_AIRFLOW_EXTRAS, comma-separated, without the extra of a
	# database client the build leaves out (INSTALL_MYSQL_CLIENT or INSTALL_POSTGRES_CLIENT
	# false), as the official image does
	local extra
	local -a asked kept=()
	IFS=, read -ra asked <<<"${AIRFLOW_EXTRAS}${ADDITIONAL_AIRFLOW_EXTRAS:+,${ADDITIONAL_AIRFLOW_EXTRAS}}"
	for extra in "${asked[@]}"; do
		extra="${extra//[[:space:]]/}"
		[[ -n "${extra}" ]] || continue
		[[ "${extra}" == mysql ]] && ! truthy "${INSTALL_MYSQL_CLIENT:-true}" && continue
		[[ "${extra}" == postgres ]] && ! truthy "${INSTALL_POSTGRES_CLIENT:-true}" && continue
		kept+=("${extra}")
	done
	local IFS=,
	printf '%s\n' "${kept[*]}"
}

airflow_requirement() {
	local extras
	extras="$(airflow_extras)"
	local name="apache-airflow${extras:+[${extras}]}"
	case "${AIRFLOW_INSTALLATION_METHOD}" in
	apache-airflow) printf '%s%s\n' "${name}" "${AIRFLOW_VERSION_SPECIFICATION:-==${AIRFLOW_VERSION}}" ;;
	/* | docker-context-files/*)
		local path="${AIRFLOW_INSTALLATION_METHOD}"
		[[ "${path}" == /* ]] || path="${CONTEXT}/${path#docker-context-files/}"
		[[ -e "${path}" ]] || die "AIRFLOW_INSTALLATION_METHOD=${AIRFLOW_INSTALLATION_METHOD}: no such file or folder in docker-context-files"
		printf '%s @ file://%s\n' "${name}" "${path}"
		;;
	*) die "AIRFLOW_INSTALLATION_METHOD=${AIRFLOW_INSTALLATION_METHOD} is not supported: use apache-airflow (from the index) or the path of a wheel or source folder in docker-context-files" ;;
	esac
}

offline_flags() {
	# offline builds take everything, uv and pip included, from docker-context-files
	truthy "${INSTALL_DISTRIBUTIONS_FROM_CONTEXT}" && printf '%s\n' --no-index --find-links "${CONTEXT}"
	return 0
}

create_venv() {
	local -a offline
	mapfile -t offline < <(offline_flags)
	if truthy "${AIRFLOW_USE_UV}"; then
		# the tools stage fetched uv for this platform without emulation; else install it here
		if [[ ! -x /opt/uv/bin/uv ]]; then
			info "Installing uv ${AIRFLOW_UV_VERSION}"
			"${PYTHON}" -m venv /opt/uv
			/opt/uv/bin/pip install --quiet --disable-pip-version-check "${offline[@]}" "uv==${AIRFLOW_UV_VERSION}"
		fi
		/opt/uv/bin/uv venv --quiet --python "${PYTHON}" "${VENV}"
	else
		"${PYTHON}" -m venv "${VENV}"
	fi
}

install() {
	local -a reqs=("$@") flags=() cmd
	# shellcheck disable=SC2206 # flags are words on purpose
	flags=(${ADDITIONAL_PIP_INSTALL_FLAGS})
	[[ -s "${WORK}/constraints.txt" ]] && flags+=(--constraint "${WORK}/constraints.txt")
	[[ -n "$(context_distributions)" ]] && flags+=(--find-links "${CONTEXT}")
	mapfile -t -O "${#flags[@]}" flags < <(offline_flags)
	[[ -f "${CONTEXT}/requirements.txt" ]] && flags+=(--requirement "${CONTEXT}/requirements.txt")
	if truthy "${AIRFLOW_USE_UV}"; then
		truthy "${INCLUDE_PRE_RELEASE}" && flags+=(--prerelease allow)
		cmd=(/opt/uv/bin/uv pip install --python "${VENV}/bin/python" --link-mode copy "${flags[@]}")
	else
		truthy "${INCLUDE_PRE_RELEASE}" && flags+=(--pre)
		flags+=(--no-compile)
		cmd=("${VENV}/bin/pip" install --disable-pip-version-check --root-user-action ignore --progress-bar "${PIP_PROGRESS_BAR:-off}" "${flags[@]}")
	fi
	info "Installing: ${reqs[*]}"
	printf '+ %s\n' "${cmd[*]} ${reqs[*]}" >&2
	local status=0
	"${cmd[@]}" "${reqs[@]}" 2>&1 | tee "${WORK}/install.log" || status=$?
	if ((status)) && [[ -s "${WORK}/constraints.txt" ]] && truthy "${AIRFLOW_FALLBACK_NO_CONSTRAINTS_INSTALLATION:-false}"; then
		# as the official image, when asked: once more without the constraints (the image then
		# keeps the versions installed as its constraints.txt)
		printf '\nWARNING: the install failed with the constraints; trying without them (AIRFLOW_FALLBACK_NO_CONSTRAINTS_INSTALLATION=true)\n\n' >&2
		: >"${WORK}/constraints.txt"
		: >"${CONSTRAINTS}"
		install "${reqs[@]}"
		return
	fi
	if ((status)); then
		grep -E 'No solution found|conflict|ResolutionImpossible|Because ' "${WORK}/install.log" >/dev/null &&
			die "the requirements conflict with each other or with the constraints: $(resolver_reason "${WORK}/install.log") (the resolver's whole explanation above): change the conflicting pins in ADDITIONAL_PYTHON_DEPS, requirements.txt or the constraints"
		die "installing the Python packages failed: $(installer_error "${WORK}/install.log") (whole output above)"
	fi
}

resolver_reason() {
	# resolver_reason LOG: the first line of the resolver's explanation ("Because ..."), short
	local reason
	reason="$(grep -m1 -oE '(Because|because) .*' "$1")" || true
	printf '%s\n' "${reason:-no explanation from the resolver}" | cut -c1-240
}

installer_error() {
	# installer_error LOG: the installer's own error and its deepest cause, on one line
	local first cause
	first="$(grep -m1 -E '^(error|ERROR):' "$1" | sed -E 's/^(error|ERROR): *//')" || true
	cause="$(grep -E '^ *Caused by:' "$1" | tail -n1 | sed -E 's/^ *Caused by: *//')" || true
	printf '%s\n' "${first:-no error line from the installer}${cause:+: ${cause}}" | cut -c1-300
}

check_extras() {
	# installers only warn about an extra Airflow does not have; a build must not pass with it
	local unknown
	unknown="$(EXTRAS="$(airflow_extras)" "${VENV}/bin/python" - <<-'PY'
		import os, re
		from importlib.metadata import metadata
		norm = lambda e: re.sub(r"[-_.]+", "-", e.strip()).lower()
		known = {norm(e) for e in metadata("apache-airflow").get_all("Provides-Extra") or []}
		print(",".join(e for e in os.environ["EXTRAS"].split(",") if e.strip() and norm(e) not in known))
	PY
	)"
	[[ -z "${unknown}" ]] || die "unknown Airflow extra(s): ${unknown}; see https://airflow.apache.org/docs/apache-airflow/stable/extra-packages-ref.html"
}

trim_venv() {
	# trim_venv [ROOT]: what a runtime image never uses: dependencies' test suites, C/Cython
	# sources and headers, static libraries, JavaScript source maps, Windows
	# executables, and the debug symbols of shared libraries and programs (stripped the way
	# Debian's dh_strip does it); then identical files become one, hard-linked (util-linux's
	# hardlink). About 14% of the default image. With ROOT, the venv's files copied under ROOT
	# (the additions' tree) instead of the venv itself.
	local root="${1:-}" site
	site="${root}$("${VENV}/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	rm -rf "${root}${VENV}/share/man"
	truthy "${TRIM_VENV}" || return 0
	[[ -d "${site}" ]] || return 0
	info "Trimming the virtualenv${root:+ additions}"
	find "${site}" -mindepth 2 -type d \( -name tests -o -name test \) -not -path "${site}/airflow/*" -prune -exec rm -rf {} +
	find "${root}${VENV}" -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \
		-o -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.a' -o -name '*.map' \
		-o -name '*.exe' \) -delete
	if command -v strip >/dev/null; then
		# shared libraries by name, programs by their execute bit; strip leaves what is not ELF
		# (scripts) as it is and says so, hence the silence
		find "${root}${VENV}" -type f \( -name '*.so' -o -name '*.so.*' -o -perm /0111 \) -print0 |
			xargs -0 -r -P "$(nproc)" -n 64 strip --strip-unneeded --remove-section=.comment --remove-section=.note 2>/dev/null || true
	fi
	# same content, mode and owner (file times differ between installs; the bytecode is
	# compiled after this, from the linked files' times)
	if command -v hardlink >/dev/null; then
		hardlink --quiet --ignore-time --keep-oldest "${root}${VENV}"
	fi
}

readonly INSTALLED_HEADER='# The versions installed in this image (it was built without constraints).'

installed_versions() {
	printf '%s\n' "${INSTALLED_HEADER}"
	"${VENV}/bin/python" -m pip freeze --all --exclude-editable 2>/dev/null |
		grep -vE '^(apache-airflow|apache-airflow-core|apache-airflow-task-sdk)==' | LC_ALL=C sort -f
}

check_installed() {
	# the installed distributions' requirements hold together
	info "Checking the installed packages"
	if truthy "${AIRFLOW_USE_UV}"; then
		/opt/uv/bin/uv pip check --python "${VENV}/bin/python"
	else
		"${VENV}/bin/pip" check
	fi
}

context_names() {
	# the projects docker-context-files gives: its wheels and sdists, its requirements.txt
	local dist
	local -a file_reqs=()
	if ! truthy "${INSTALL_DISTRIBUTIONS_FROM_CONTEXT}"; then
		while IFS= read -r dist; do
			[[ -n "${dist}" ]] && distribution_name "${dist}"
		done < <(context_distributions)
	fi
	[[ -f "${CONTEXT}/requirements.txt" ]] && mapfile -t file_reqs < <(grep -vE '^\s*(#|-|$)' "${CONTEXT}/requirements.txt" || true)
	requirement_names "${file_reqs[@]}"
}

runtime_libraries() {
	# runtime_libraries OUT [ROOT]: the Debian packages that compiled modules in the venv (or
	# in ROOT's copy of its files) link against; the main stage installs them so that sdists
	# built here (mysqlclient, python-ldap, ...) work there. ldd runs in parallel, and dpkg is
	# asked once for every library under each of its names (as linked, resolved, under /usr)
	local out="$1" root="${2:-}" lib
	local -a names=()
	while read -r lib; do
		[[ "${lib}" == "${VENV}"/* ]] && continue
		[[ -n "${root}" && "${lib}" == "${root}"/* ]] && continue
		names+=("${lib}" "$(readlink -f "${lib}")" "/usr${lib}")
	done < <(find "${root}${VENV}" -type f -name '*.so*' -print0 |
		xargs -0 -r -P "$(nproc)" -n 32 ldd 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
	if ((${#names[@]})); then
		dpkg -S "${names[@]}" 2>/dev/null | cut -d: -f1 | sort -u | grep -vE -- '-dev$' >"${out}" || true
	else
		: >"${out}"
	fi
	info "Runtime libraries: $(paste -sd' ' "${out}")"
}

installer_environment() {
	export UV_CONCURRENT_DOWNLOADS=8 UV_NO_PROGRESS=1 PIP_NO_INPUT=1
	# no bytecode here: compile-bytecode.sh compiles it, and a module imported in this stage
	# must leave no bytecode file of its own in the venv
	export PYTHONDONTWRITEBYTECODE=1
	if [[ -n "${SOURCE_DATE_EPOCH:-}" ]]; then
		# reproducible: extensions built from sdists carry no debug information (trim_venv
		# strips it anyway), so neither they nor their build ids depend on the temporary
		# folder they were built in
		export CFLAGS="${CFLAGS:+${CFLAGS} }-g0" CXXFLAGS="${CXXFLAGS:+${CXXFLAGS} }-g0"
	fi
}

main() {
	mkdir -p "${WORK}" /opt/airflow-build "${AIRFLOW_USER_HOME_DIR}"
	find_python
	local py
	py="$("${PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
	installer_environment

	fetch_constraints "${py}"
	create_venv

	# ADDITIONAL_PYTHON_DEPS are not installed here: add-python-deps.sh adds them in a stage
	# of their own, so that adding one does not rebuild this one
	local -a reqs=("$(airflow_requirement)") names=() dist
	truthy "${AIRFLOW_USE_UV}" && reqs+=("pip==${AIRFLOW_PIP_VERSION}")
	if ! truthy "${INSTALL_DISTRIBUTIONS_FROM_CONTEXT}"; then
		while IFS= read -r dist; do
			[[ -n "${dist}" ]] && reqs+=("$(distribution_name "${dist}")")
		done < <(context_distributions)
	fi
	mapfile -t names < <(requirement_names "${reqs[@]:1}"; context_names)
	effective_constraints "${names[@]}"

	if ! truthy "${AIRFLOW_USE_UV}"; then
		local -a offline
		mapfile -t offline < <(offline_flags)
		"${VENV}/bin/pip" install --quiet --disable-pip-version-check --root-user-action ignore "${offline[@]}" "pip==${AIRFLOW_PIP_VERSION}"
	fi
	install "${reqs[@]}"
	check_extras
	trim_venv ""

	check_installed
	if [[ -n "${TARGETPLATFORM:-}" && "${TARGETPLATFORM}" != "${BUILDPLATFORM:-}" ]]; then
		# under emulation starting Airflow takes about a minute: `hangar image verify
		# --platform` runs it (and every other check) on the finished image instead
		info "Not starting Airflow in the build stage: ${TARGETPLATFORM} is emulated on ${BUILDPLATFORM}"
	else
		AIRFLOW_HOME="${WORK}/airflow-home" "${VENV}/bin/airflow" version >/dev/null ||
			die "Airflow does not start: 'airflow version' failed in the build stage"
	fi
	if [[ ! -s "${CONSTRAINTS}" ]]; then
		# installed without constraints: keep what was installed, so that extensions of the
		# image can pin to it the same way
		info "No constraints were used: writing the installed versions to ${CONSTRAINTS}"
		installed_versions >"${CONSTRAINTS}"
	fi
	runtime_libraries /opt/airflow-build/runtime-libraries.txt
	chmod -R g=u "${VENV}" "${CONSTRAINTS}"
	rm -rf "${WORK}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
