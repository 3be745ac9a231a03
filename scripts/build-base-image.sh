#!/usr/bin/env bash
# Build a Python base image from Debian packages alone (no Docker Hub): a minimal Debian root
# file system made by debootstrap, imported into the engine, with Debian's python3 on top.
# The result plays the part of python:3.X-slim-<codename> for the hangar Dockerfile.
#
# The image has the release's -updates and -security suites in its apt sources and takes every
# update from them when it is built, so it is current; each security update it took is
# printed as a line `security update: PACKAGE OLD -> NEW`.
#
# Usage: scripts/build-base-image.sh --python 3.11 --codename bookworm --tag REF [--push]
#                                    [--mirror URL] [--security-mirror URL] [--main-only]
#                                    [--platform linux/amd64,linux/arm64]
# --platform: the platforms of the image (default: the engine's own); one root file system per
# platform (debootstrap --foreign and its second stage under emulation for a foreign one, which
# needs qemu-user-static and binfmt-support), one image per platform (TAG-<arch>), pushed, and
# one image index TAG holding them all (several platforms need --push).
# --main-only: the release's main suite alone, no updates taken (an outdated base, for tests
# of `hangar image scan` and `hangar image release --patch`).
# --print-recipe: print the recipe's digest (this script, base-image/, the Python, the release
# and --main-only) and build nothing; the image carries it as the label dev.hangar.base.recipe.
#
# A release this machine's debootstrap has no script for (Debian's testing release, forky) is
# made with the sid script. Where the mirror's Release file is past its Valid-Until date, apt
# in the image is told to accept it (the label dev.hangar.base.apt-ignores-valid-until says so).
# The labels dev.hangar.base.debian-codename and -suite name the release.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE

log() { printf '\033[1m[base]\033[0m %s\n' "$*" >&2; }
die() { printf '[base] ERROR: %s\n' "$*" >&2; exit 1; }

# make_rootfs CODENAME ARCH NATIVE MIRROR SECURITY_MIRROR UPGRADE DIR WORK: a minimal Debian root
# file system for ARCH in DIR; a foreign ARCH gets debootstrap's second stage under emulation.
make_rootfs() {
	local codename="$1" arch="$2" native="$3" mirror="$4" security_mirror="$5" upgrade="$6"
	local rootfs="$7" work="$8"
	local -a foreign=()
	if [[ "${arch}" != "${native}" ]]; then
		[[ -e "/proc/sys/fs/binfmt_misc/qemu-${arch/arm64/aarch64}" ]] ||
			die "no emulation for ${arch}: install qemu-user-static and binfmt-support (scripts/setup-env.sh does)"
		foreign=(--foreign)
	fi
	# debootstrap knows a release by its script; a newer one (testing) bootstraps like sid
	local -a script=()
	[[ -e "/usr/share/debootstrap/scripts/${codename}" ]] || script=(/usr/share/debootstrap/scripts/sid)
	log "debootstrap ${codename} ${arch} (minbase) from ${mirror}"
	debootstrap --variant=minbase --arch "${arch}" "${foreign[@]}" "${codename}" "${rootfs}" "${mirror}" \
		"${script[@]}" \
		>"${work}/debootstrap-${arch}.log" 2>&1 ||
		{ tail -n 20 "${work}/debootstrap-${arch}.log" >&2; die "debootstrap ${codename} ${arch} failed"; }
	if ((${#foreign[@]})); then
		log "debootstrap's second stage for ${arch}, under emulation"
		chroot "${rootfs}" /debootstrap/debootstrap --second-stage >>"${work}/debootstrap-${arch}.log" 2>&1 ||
			{ tail -n 20 "${work}/debootstrap-${arch}.log" >&2; die "debootstrap's second stage (${arch}) failed"; }
	fi

	# trim what a container never needs; keep the dpkg database so apt works
	rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/*.bin \
		"${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/usr/share/doc/* \
		"${rootfs}"/usr/share/man/* "${rootfs}"/usr/share/info/* "${rootfs}"/var/log/*.log \
		"${rootfs}"/tmp/* "${rootfs}"/usr/share/locale/*
	if [[ "${upgrade}" == true ]]; then
		printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
			"${mirror}" "${codename}" "${mirror}" "${codename}" "${security_mirror}" "${codename}" \
			>"${rootfs}/etc/apt/sources.list"
	else
		printf 'deb %s %s main\n' "${mirror}" "${codename}" >"${rootfs}/etc/apt/sources.list"
	fi
}

# build_arch ARCH PART: the root file system for ARCH, imported, updated and given Python by
# base-image/Dockerfile as PART, pushed with --push. Uses main's settings (dynamic scope).
build_arch() {
	local arch="$1" part="$2"
	make_rootfs "${codename}" "${arch}" "${native}" "${mirror}" "${security_mirror}" "${upgrade}" \
		"${work}/rootfs-${arch}" "${work}"
	log "importing the ${arch} root file system as ${rootfs_base}-${arch}"
	tar --numeric-owner -C "${work}/rootfs-${arch}" -c . |
		docker import --platform "linux/${arch}" - "${rootfs_base}-${arch}" >/dev/null
	rm -rf "${work}/rootfs-${arch}"
	log "updating from ${codename}-updates and ${codename}-security, adding python${python} -> ${part}"
	if ! docker buildx build --network host --load --progress plain --no-cache \
		--platform "linux/${arch}" \
		--build-arg "ROOTFS=${rootfs_base}-${arch}" --build-arg "PYTHON_MAJOR_MINOR_VERSION=${python}" \
		--build-arg "UPGRADE=${upgrade}" --build-arg "RECIPE=${recipe}" \
		--build-arg "DEBIAN_CODENAME=${codename}" --build-arg "DEBIAN_SUITE=${suite}" \
		--build-arg "APT_IGNORE_VALID_UNTIL=${ignore_valid_until}" \
		-t "${part}" -f "${HERE}/base-image/Dockerfile" "${HERE}/base-image" >"${work}/build-${arch}.log" 2>&1; then
		tail -n 20 "${work}/build-${arch}.log" >&2
		die "building ${part} failed"
	fi
	# the upgrade step prints one line per security update it takes (see base-image/Dockerfile)
	sed -n 's/^#[0-9]* [0-9.]* \(security update: .*\)$/\1/p' "${work}/build-${arch}.log" | sort -u
	if ((push)); then
		log "pushing ${part}"
		docker push -q "${part}" >/dev/null
	fi
	docker image rm "${rootfs_base}-${arch}" >/dev/null 2>&1 || true
}

# recipe PYTHON CODENAME UPGRADE: the digest of everything that makes the image
recipe() {
	{
		printf '%s\n' "$@"
		cat "${BASH_SOURCE[0]}"
		find "${HERE}/base-image" -type f | LC_ALL=C sort | xargs cat
	} | sha256sum | cut -c1-16
}

# release_field MIRROR CODENAME FIELD: a field of the release's Release file
release_field() {
	curl -fsS --max-time 60 "$1/dists/$2/Release" | sed -n "s/^$3: //p" | head -n 1
}

main() {
	local python="" codename="" tag="" push=0 mirror="http://deb.debian.org/debian" print_recipe=0
	local security_mirror="http://deb.debian.org/debian-security" upgrade=true platforms=""
	while (($#)); do
		case "$1" in
		--python) python="$2"; shift 2 ;;
		--codename) codename="$2"; shift 2 ;;
		--tag) tag="$2"; shift 2 ;;
		--mirror) mirror="$2"; shift 2 ;;
		--security-mirror) security_mirror="$2"; shift 2 ;;
		--main-only) upgrade=false; shift ;;
		--platform) platforms="$2"; shift 2 ;;
		--push) push=1; shift ;;
		--print-recipe) print_recipe=1; shift ;;
		*) die "unknown option $1" ;;
		esac
	done
	local recipe
	recipe="$(recipe "${python}" "${codename}" "${upgrade}")"
	if ((print_recipe)); then
		echo "${recipe}"
		return 0
	fi
	[[ -n "${python}" && -n "${codename}" && -n "${tag}" ]] || die "--python, --codename and --tag are required"
	local suite valid_until ignore_valid_until=false
	suite="$(release_field "${mirror}" "${codename}" Suite)" ||
		die "no Release file for ${codename} at ${mirror}/dists/${codename}/ (is ${codename} a Debian release?)"
	valid_until="$(release_field "${mirror}" "${codename}" Valid-Until)"
	if [[ -n "${valid_until}" ]] && (($(date -d "${valid_until}" +%s) < $(date +%s))); then
		log "${mirror}/dists/${codename}/Release is past its Valid-Until (${valid_until}): apt in the image accepts it (Acquire::Check-Valid-Until=false)"
		ignore_valid_until=true
	fi
	command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

	local native work arch
	native="$(dpkg --print-architecture)"
	platforms="${platforms:-linux/${native}}"
	work="$(mktemp -d)"
	# shellcheck disable=SC2064 # expand now: the path is fixed
	trap "rm -rf '${work}'" EXIT

	local -a arches=()
	local platform
	local -a platform_list=()
	IFS=',' read -ra platform_list <<<"${platforms}"
	for platform in "${platform_list[@]}"; do
		arch="${platform#linux/}"
		arch="${arch%%/*}"
		[[ "${platform}" == linux/* && -n "${arch}" ]] || die "unsupported platform ${platform} (linux/<arch>)"
		arches+=("${arch}")
	done

	if ((${#arches[@]} > 1)) && ((push == 0)); then
		die "a base image for several platforms goes to a registry: add --push"
	fi
	local rootfs_base="hangar-rootfs:${codename}"
	local -a parts=() pids=()
	for arch in "${arches[@]}"; do
		if ((${#arches[@]} > 1)); then parts+=("${tag}-${arch}"); else parts+=("${tag}"); fi
	done
	if ((${#arches[@]} == 1)); then
		build_arch "${arches[0]}" "${parts[0]}"
	else
		# one pipeline per platform at once: the native one runs while the emulated one is
		# mostly waiting for qemu
		local i
		for i in "${!arches[@]}"; do
			build_arch "${arches[i]}" "${parts[i]}" >"${work}/pipeline-${arches[i]}.log" 2>&1 &
			pids+=($!)
		done
		local failed=""
		for i in "${!arches[@]}"; do
			if ! wait "${pids[i]}"; then
				failed+="${failed:+ }${arches[i]}"
				tail -n 20 "${work}/pipeline-${arches[i]}.log" >&2
			fi
		done
		for i in "${!arches[@]}"; do
			grep -v '^security update: ' "${work}/pipeline-${arches[i]}.log" | sed "s/^/[${arches[i]}] /" >&2 || true
			grep '^security update: ' "${work}/pipeline-${arches[i]}.log" || true
		done
		[[ -z "${failed}" ]] || die "building the base image for ${failed} failed (see above)"
	fi
	if ((${#arches[@]} > 1)); then
		log "one index for ${platforms}: ${tag}"
		docker buildx imagetools create --tag "${tag}" "${parts[@]}" >"${work}/index.log" 2>&1 ||
			{ tail -n 20 "${work}/index.log" >&2; die "creating the index ${tag} failed"; }
		# the engine's copy of TAG becomes the index pushed: the engine's builder takes a local
		# copy before the registry's, and an older single-platform one would hide the index
		log "the engine's ${tag} is now the index"
		docker pull -q "${tag}" >/dev/null
	fi
	for arch in "${arches[@]}"; do
		docker image rm "${rootfs_base}-${arch}" >/dev/null 2>&1 || true
	done
}

main "$@"
