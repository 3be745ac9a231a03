#!/usr/bin/env bash
# with-sources COMMAND...: run COMMAND with the build's corporate package sources, if any were
# given as BuildKit secrets. Secrets are files under /run/secrets that exist only while the RUN
# step runs, so nothing here reaches a layer, the history or the image's environment:
#   ca-bundle         a PEM bundle of CA certificates (TLS-intercepting proxies)
#   index-url         the Python package index to use instead of PyPI (may hold credentials)
#   extra-index-urls  more Python package indexes, separated by spaces or new lines
#   apt-sources       a deb822 .sources file that replaces the Debian sources during apt steps
set -Eeuo pipefail

readonly SECRETS=/run/secrets

secret() {
	# secret NAME: the secret's content with new lines folded to spaces, or nothing
	[[ -s "${SECRETS}/$1" ]] && tr -s '\n\r' '  ' <"${SECRETS}/$1" | sed 's/ *$//'
}

main() {
	local value
	if [[ -s "${SECRETS}/ca-bundle" ]]; then
		export SSL_CERT_FILE="${SECRETS}/ca-bundle" PIP_CERT="${SECRETS}/ca-bundle" \
			CURL_CA_BUNDLE="${SECRETS}/ca-bundle" REQUESTS_CA_BUNDLE="${SECRETS}/ca-bundle"
	fi
	if value="$(secret index-url)" && [[ -n "${value}" ]]; then
		export UV_DEFAULT_INDEX="${value}" PIP_INDEX_URL="${value}"
	fi
	if value="$(secret extra-index-urls)" && [[ -n "${value}" ]]; then
		export UV_INDEX="${value}" PIP_EXTRA_INDEX_URL="${value}"
	fi
	exec "$@"
}

main "$@"
