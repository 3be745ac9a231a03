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
	log "debootstrap ${codename} ${arch} (minbase) from ${mirror}"
	debootstrap --variant=minbase --arch "${arch}" "${foreign[@]}" "${codename}" "${rootfs}" "${mirror}" \
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
		--build-arg "UPGRADE=${upgrade}" \
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

main() {
	local python="" codename="" tag="" push=0 mirror="http://deb.debian.org/debian"
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
		*) die "unknown option $1" ;;
		esac
	done
	[[ -n "${python}" && -n "${codename}" && -n "${tag}" ]] || die "--python, --codename and --tag are required"
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
	fi
	for arch in "${arches[@]}"; do
		docker image rm "${rootfs_base}-${arch}" >/dev/null 2>&1 || true
	done
}

main "$@"
