#!/usr/bin/env bash
# apt-install.sh [--missing-from FILE] PACKAGE...: install Debian packages in one go and leave no
# apt lists behind. --missing-from adds those named in FILE (whitespace-separated) that are not
# installed yet. With no package and no APT_COMMANDS it changes nothing at all.
# Environment (all optional, set from build args):
#   APT_COMMANDS   bash commands run first, one per argument of the build (e.g. add a vendor repo)
#   APT_ENV        space-separated NAME=VALUE pairs exported while installing (e.g. ACCEPT_EULA=Y)
#   DEBIAN_MIRROR  a Debian mirror URL used instead of the image's own sources
# The apt-sources and ca-bundle BuildKit secrets (see with-sources.sh) are honoured too.
# A library package the release renamed (a soname in the name, as libxmlsec1-openssl10310 on
# forky for libxmlsec1-openssl, or the t64 suffix) is installed under its new name, and a line
# says so; any other name without a candidate stops apt as usual.
set -Eeuo pipefail

# the error line hangar shows first: marked `hangar-error: ` (src/hangar/image/jobs.py)
die() { printf '\nhangar-error: %s\n\n' "$*" >&2; exit 1; }

# quietly CMD...: run CMD with its output kept aside; on failure the output is shown, then the
# stop names CMD's first apt error line (E: ...), else its last line
quietly() {
	local out status=0
	out="$("$@" 2>&1)" || status=$?
	((status == 0)) && return 0
	printf '%s\n' "${out}" >&2
	die "$1 $2 failed (exit ${status}): $(first_error "${out}")"
}

first_error() {
	local found
	found="$(grep -m1 -E '^E: ' <<<"$1" | sed -E 's/^E: //')" || true
	[[ -n "${found}" ]] || found="$(grep -vE '^[[:space:]]*$' <<<"$1" | tail -n1)" || true
	printf '%s\n' "${found:-no output}" | cut -c1-240
}

# renamed NAME APT_OPTION...: NAME's one renamed package (NAME, then t64 and/or digits), if NAME
# itself has no installation candidate and exactly one such package has
renamed() {
	local name="$1" candidate rest
	shift
	[[ "${name}" =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || return 0
	has_candidate "${name}" "$@" && return 0
	local -a found=()
	for candidate in $(apt-cache "$@" pkgnames "${name}"); do
		rest="${candidate#"${name}"}"
		[[ "${rest}" =~ ^(t64)?[0-9]*$ && -n "${rest}" ]] || continue
		has_candidate "${candidate}" "$@" && found+=("${candidate}")
	done
	((${#found[@]} == 1)) && echo "${found[0]}"
	return 0
}

has_candidate() {
	local name="$1"
	shift
	[[ "$(apt-cache "$@" policy "${name}" | sed -n 's/^ *Candidate: //p')" =~ ^[^\(] ]]
}

main() {
	local -a apt_opts=(-o APT::Install-Recommends=false -o Dpkg::Use-Pty=0 -qq)
	local parts codename pair cmd pkg
	local -a missing=()
	if [[ "${1:-}" == --missing-from ]]; then
		for pkg in $(<"$2"); do
			dpkg -s "${pkg}" >/dev/null 2>&1 || missing+=("${pkg}")
		done
		shift 2
	fi
	set -- "$@" "${missing[@]}"
	local commands="${APT_COMMANDS:-}"
	(($#)) || [[ -n "${commands//[[:space:]]/}" ]] || return 0
	parts="$(mktemp -d)"
	# shellcheck disable=SC2064 # expand now: the path is fixed
	trap "rm -rf '${parts}'" EXIT
	export DEBIAN_FRONTEND=noninteractive

	for pair in ${APT_ENV:-}; do
		[[ "${pair}" == *=* ]] || die "APT_ENV: '${pair}' is not NAME=VALUE"
		export "${pair?}"
	done
	if [[ -s /run/secrets/ca-bundle ]]; then
		apt_opts+=(-o "Acquire::https::CAInfo=/run/secrets/ca-bundle")
	fi
	if [[ -s /run/secrets/apt-sources ]]; then
		ln -s /run/secrets/apt-sources "${parts}/secret.sources"
		apt_opts+=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=${parts}")
	elif [[ -n "${DEBIAN_MIRROR:-}" ]]; then
		codename="$(. /etc/os-release && echo "${VERSION_CODENAME}")"
		printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"${DEBIAN_MIRROR}" "${codename}" "${codename}" >"${parts}/mirror.sources"
		apt_opts+=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=${parts}")
	fi
	if [[ -n "${APT_COMMANDS:-}" ]]; then
		while IFS= read -r cmd; do
			[[ -n "${cmd}" ]] || continue
			local out status=0
			out="$(bash -o pipefail -o errexit -o nounset -c "${cmd}" 2>&1)" || status=$?
			printf '%s\n' "${out}" >&2
			((status == 0)) ||
				die "the apt command \`${cmd:0:80}\` failed (exit ${status}): $(first_error "${out}")"
		done <<<"${APT_COMMANDS}"
	fi
	if (($#)); then
		quietly apt-get update "${apt_opts[@]}"
		local -a wanted=()
		local new
		for pkg in "$@"; do
			new="$(renamed "${pkg}" "${apt_opts[@]}")"
			if [[ -n "${new}" ]]; then
				echo "apt-install: ${pkg} is ${new} on $(. /etc/os-release && echo "${VERSION_CODENAME}")"
				pkg="${new}"
			fi
			wanted+=("${pkg}")
		done
		quietly apt-get install "${apt_opts[@]}" -y "${wanted[@]}"
	fi
	apt-get clean
	# nothing that differs between two runs stays behind (logs, caches, ldconfig's aux cache)
	rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log /var/cache/debconf/*-old \
		/var/cache/ldconfig/aux-cache /var/log/alternatives.log
}

main "$@"
