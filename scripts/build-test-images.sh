#!/usr/bin/env bash
# Build the local Docker images the test suite runs against, from Debian bookworm
# packages, so no container registry is needed:
#
#   dbps-test/postgres:15    postgresql-15 (+ pgvector built from Debian's source)
#   dbps-test/mariadb:10.11  mariadb-server + mariadb-client
#   dbps-test/redis:7        redis-server + redis-tools
#
# Each image honours the environment contract of the official Docker Hub image
# (see scripts/test-images/<engine>/docker-entrypoint.sh).
#
# Usage: scripts/build-test-images.sh [--force] [--verbose] [--docker-build] [ENGINE ...]
#   ENGINE         postgres, mariadb, redis (default: all three)
#   --force        rebuild even if up to date
#   --verbose      stream the mmdebstrap output (also DBPS_TEST_IMAGES_VERBOSE=1)
#   --docker-build use `docker build` on scripts/test-images/<engine>/Dockerfile instead
#                  of applying that same Dockerfile through `docker import` (default;
#                  the same image, ~30 s faster per image on fuse-overlayfs)
#
# How: mmdebstrap --variant=minbase builds a Debian root filesystem with the engine's
# packages (scripts/test-images/<engine>/image.conf, *-hook.sh), docs and apt lists
# stripped; it is packed with `tar --numeric-owner` and becomes the image described by
# scripts/test-images/<engine>/Dockerfile (FROM scratch, so no registry is involved).
#
# Idempotent: an image is rebuilt only when this script or its engine's files under
# scripts/test-images/<engine>/ changed (their hash is stored in the image label
# `dbps.test-image.hash`). Prints one line per image: "built in Ns" or "up to date".
# Building needs root (mmdebstrap runs in root mode) and a reachable Docker Engine;
# mmdebstrap is installed with apt-get if missing. The Debian mirror is the one apt
# already uses (override: DBPS_DEBIAN_MIRROR=URL).
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(dirname "$SCRIPT_PATH")
IMAGES_DIR=$SCRIPT_DIR/test-images
ALL_ENGINES=(postgres mariadb redis)
HASH_LABEL=dbps.test-image.hash
SUITE=bookworm
PROG=build-test-images

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
# A failed build: keep its log where it can still be read after the temp dir is gone.
fail() {
	if [ -n "${CURRENT_LOG:-}" ] && [ -f "$CURRENT_LOG" ]; then
		cp "$CURRENT_LOG" "${TMPDIR:-/tmp}/dbps-build-test-images.failed.log"
		printf '%s: full log: %s\n' "$PROG" "${TMPDIR:-/tmp}/dbps-build-test-images.failed.log" >&2
	fi
	die "$@"
}
note() { printf '%s: %s\n' "$PROG" "$*" >&2; }

usage() {
	sed -n '2,/^set -euo/p' "$SCRIPT_PATH" | sed '$d; s/^# \{0,1\}//'
}

FORCE=0
VERBOSE=${DBPS_TEST_IMAGES_VERBOSE:-0}
BUILDER=import
ENGINES=()
for arg in "$@"; do
	case "$arg" in
		-h|--help) usage; exit 0 ;;
		-f|--force) FORCE=1 ;;
		-v|--verbose) VERBOSE=1 ;;
		--docker-build) BUILDER=build ;;
		-*) die "unknown option '$arg' (try --help)" ;;
		*)
			[ -f "$IMAGES_DIR/$arg/image.conf" ] ||
				die "unknown engine '$arg' (known: ${ALL_ENGINES[*]})"
			ENGINES+=("$arg")
			;;
	esac
done
[ "${#ENGINES[@]}" -gt 0 ] || ENGINES=("${ALL_ENGINES[@]}")

# --- preconditions -----------------------------------------------------------------

command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed"
if ! docker_err=$(timeout 30 docker version --format '{{.Server.Version}}' 2>&1 >/dev/null); then
	die "cannot reach the Docker Engine (is dockerd running, is DOCKER_HOST right?): ${docker_err:-timed out}"
fi

# The label hash of an engine: this script plus every file of the engine directory.
engine_hash() {
	local engine=$1
	{
		printf 'engine %s\n' "$engine"
		sha256sum <"$SCRIPT_PATH"
		(cd "$IMAGES_DIR/$engine" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -d' ' -f1
}

# shellcheck disable=SC1090
image_of() { (. "$IMAGES_DIR/$1/image.conf" && printf '%s\n' "$IMAGE"); }

current_hash() {
	docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

# Fast path: nothing to build, so no root, no lock, no mmdebstrap needed.
TODO=()
for engine in "${ENGINES[@]}"; do
	image=$(image_of "$engine")
	if [ "$FORCE" = 0 ] && [ "$(current_hash "$image")" = "$(engine_hash "$engine")" ]; then
		printf '%s: up to date\n' "$image"
	else
		TODO+=("$engine")
	fi
done
[ "${#TODO[@]}" -gt 0 ] || exit 0

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		exec sudo -n --preserve-env=DOCKER_HOST,DBPS_DEBIAN_MIRROR,DBPS_TEST_IMAGES_VERBOSE,http_proxy,https_proxy \
			"$SCRIPT_PATH" "$@"
	fi
	die "building needs root (mmdebstrap runs in root mode); run with sudo"
fi

# One build at a time (parallel test runs may all call this script).
LOCK_FILE=${TMPDIR:-/tmp}/dbps-build-test-images.lock
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
	note "another build is running; waiting for it"
	flock 9
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dbps-test-images.XXXXXX")
chmod 0755 "$WORK" # apt's _apt user downloads into the root filesystem below it
cleanup() {
	local rc=$?
	# mmdebstrap may leave bind mounts behind when interrupted: never rm across them.
	if [ -d "$WORK" ]; then
		grep -F " $WORK/" /proc/self/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
		rm -rf --one-file-system "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! command -v mmdebstrap >/dev/null 2>&1; then
	note "installing mmdebstrap with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt_install() { apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 mmdebstrap; }
	{ apt_install || { apt-get update -q -o DPkg::Lock::Timeout=300 && apt_install; }; } \
		>"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; die "could not install mmdebstrap"; }
fi

# --- the Debian mirror apt already uses ---------------------------------------------

# Print "URI SUITE" for every enabled `deb` source, one-line and deb822 formats.
apt_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			function flush(   i, j, k, nt, nu, ns, t, u, s) {
				nt = split(types, t); nu = split(uris, u); ns = split(suites, s)
				if (tolower(enabled) != "no")
					for (i = 1; i <= nt; i++) if (t[i] == "deb")
						for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++) print u[j], s[k]
				types = uris = suites = ""; enabled = "yes"; field = ""
			}
			BEGIN { enabled = "yes" }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (field == "uris") uris = uris " " $0; else if (field == "suites") suites = suites " " $0; next }
			{
				key = tolower($0); sub(/:.*/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val); field = key
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "enabled") enabled = val
			}
			END { flush() }' "$f"
	done
}

MIRRORS=()
if [ -n "${DBPS_DEBIAN_MIRROR:-}" ]; then
	DEBIAN_MIRROR=${DBPS_DEBIAN_MIRROR%/}
	MIRRORS=("deb $DEBIAN_MIRROR $SUITE main" "deb $DEBIAN_MIRROR $SUITE-updates main")
else
	DEBIAN_MIRROR=
	while read -r uri suite; do
		case "$suite" in
			"$SUITE") DEBIAN_MIRROR=${DEBIAN_MIRROR:-${uri%/}} ;;
			"$SUITE-updates" | "$SUITE-security" | "$SUITE/updates") ;;
			*) continue ;;
		esac
		MIRRORS+=("deb ${uri%/} $suite main")
	done < <(apt_sources | awk '!seen[$0]++')
	[ -n "$DEBIAN_MIRROR" ] ||
		die "no '$SUITE' entry in the apt sources (/etc/apt/sources.list{,.d}); set DBPS_DEBIAN_MIRROR=http://<mirror>/debian"
fi
export DEBIAN_MIRROR

# --- build ------------------------------------------------------------------------

# The root filesystem as a tar on stdout: numeric owners, without /dev, /proc, /sys contents.
pack_rootfs() {
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$1" \
		--exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c .
}

# Apply scripts/test-images/<engine>/Dockerfile to a root filesystem directory: FROM
# scratch and ADD rootfs.tar / are what this script builds, COPY lines are copied into
# the root filesystem, the other instructions are appended to the array named by $3 as
# `--change` arguments of `docker import`, or to the one named by $4 (as Dockerfile
# lines) for those `docker import` does not support. Anything else is refused, so the
# Dockerfile stays buildable as written (`--docker-build`).
apply_dockerfile() {
	local dir=$1 rootfs=$2 line instr rest src dest extra
	local -n out=$3 out_late=$4
	while IFS= read -r line; do
		instr=${line%%[[:space:]]*}
		rest=${line#"$instr"}
		rest=${rest#"${rest%%[![:space:]]*}"}
		case "${instr^^}" in
			FROM) [ "$rest" = scratch ] || fail "$dir/Dockerfile: only FROM scratch is supported" ;;
			ADD) [ "$rest" = "rootfs.tar /" ] || fail "$dir/Dockerfile: only ADD rootfs.tar / is supported" ;;
			COPY)
				read -r src dest extra <<<"$rest"
				{ [ -f "$dir/$src" ] && [ -n "$dest" ] && [ -z "$extra" ]; } ||
					fail "$dir/Dockerfile: unsupported COPY line: $line"
				case "$dest" in */) dest=$dest$src ;; esac
				mkdir -p "$rootfs$(dirname "$dest")"
				cp --preserve=mode,timestamps "$dir/$src" "$rootfs$dest"
				;;
			WORKDIR) mkdir -p "$rootfs$rest"; out+=(--change "$line") ;;
			ENV | VOLUME | ENTRYPOINT | EXPOSE | CMD | LABEL | USER) out+=(--change "$line") ;;
			STOPSIGNAL) out_late+=("$line") ;;
			*) fail "$dir/Dockerfile: instruction $instr is not supported" ;;
		esac
	done < <(awk '
		cont == "" && /^[ \t]*(#|$)/ { next }
		{ line = cont $0 }
		/\\$/ { sub(/\\$/, "", line); cont = line " "; next }
		{ cont = ""; print line }' "$dir/Dockerfile")
}

build_engine() {
	local engine=$1 dir=$IMAGES_DIR/$1 hash image start log rootfs ctx
	hash=$(engine_hash "$engine")
	start=$SECONDS
	image=$(image_of "$engine")
	# Another run may have built it while this one waited for the lock.
	if [ "$FORCE" = 0 ] && [ "$(current_hash "$image")" = "$hash" ]; then
		printf '%s: up to date\n' "$image"
		return
	fi
	log=$WORK/$engine.log
	CURRENT_LOG=$log
	rootfs=$WORK/$engine-rootfs
	ctx=$WORK/$engine-context

	# image.conf sets IMAGE, PACKAGES (array), and optionally SERVICE_USER, SERVICE_HOME,
	# SERVICE_SHELL (the unprivileged account, created with uid/gid 999 like the
	# official images, before Debian's maintainer scripts would pick another id).
	local IMAGE PACKAGES=() SERVICE_USER='' SERVICE_HOME=/nonexistent SERVICE_SHELL=/usr/sbin/nologin
	# shellcheck disable=SC1091
	. "$dir/image.conf"
	image=$IMAGE

	local include
	include=$(IFS=,; printf '%s' "${PACKAGES[*]}")
	local args=(
		--variant=minbase
		--mode=root
		--format=directory
		--include="$include"
		--aptopt='APT::Install-Recommends "false"'
		--aptopt='APT::Install-Suggests "false"'
		--aptopt='Acquire::Languages "none"'
		--dpkgopt='force-confold'
		--dpkgopt='force-unsafe-io'
		--dpkgopt='path-exclude=/usr/share/doc/*'
		--dpkgopt='path-include=/usr/share/doc/*/copyright'
		--dpkgopt='path-exclude=/usr/share/man/*'
		--dpkgopt='path-exclude=/usr/share/info/*'
		--dpkgopt='path-exclude=/usr/share/lintian/*'
		--dpkgopt='path-exclude=/usr/share/locale/*'
		--dpkgopt='path-include=/usr/share/locale/locale.alias'
	)
	if [ -n "$SERVICE_USER" ]; then
		# Only the Essential set is installed at this point (no useradd yet): write the
		# account directly; passwd's postinst adds the shadow entry later.
		args+=(--essential-hook="set -e
			grep -q '^$SERVICE_USER:' \"\$1/etc/group\" || echo '$SERVICE_USER:x:999:' >>\"\$1/etc/group\"
			grep -q '^$SERVICE_USER:' \"\$1/etc/passwd\" ||
				echo '$SERVICE_USER:x:999:999::$SERVICE_HOME:$SERVICE_SHELL' >>\"\$1/etc/passwd\"")
	fi
	[ -x "$dir/essential-hook.sh" ] && args+=(--essential-hook="'$dir/essential-hook.sh' \"\$1\"")
	[ -x "$dir/customize-hook.sh" ] && args+=(--customize-hook="'$dir/customize-hook.sh' \"\$1\"")
	# Keep the image small: no apt lists, caches, logs or leftovers.
	# shellcheck disable=SC2016
	args+=(--customize-hook='cd "$1" && rm -rf var/lib/apt/lists/* var/cache/apt/* var/cache/debconf/*-old \
		var/lib/dpkg/*-old var/log/* tmp/* var/tmp/* root/.cache etc/machine-id etc/hostname etc/resolv.conf \
		usr/share/i18n/locales usr/share/i18n/charmaps && : >etc/machine-id')

	note "building $image (log: $log)"
	local ok=1
	if [ "$VERBOSE" = 1 ]; then
		mmdebstrap "${args[@]}" "$SUITE" "$rootfs" "${MIRRORS[@]}" 2>&1 | tee "$log" >&2 || ok=0
	else
		mmdebstrap "${args[@]}" "$SUITE" "$rootfs" "${MIRRORS[@]}" >"$log" 2>&1 || ok=0
	fi
	if [ "$ok" = 0 ]; then
		tail -n 40 "$log" >&2
		fail "mmdebstrap failed for $image (last 40 lines above)"
	fi

	if [ "$BUILDER" = build ]; then
		# `docker build` of the Dockerfile as written (the legacy builder needs no registry
		# for `FROM scratch`, nor the buildx plugin). ADD extracts through the storage
		# driver, which is slow on fuse-overlayfs (~25 s for 150 MB).
		mkdir -p "$ctx"
		pack_rootfs "$rootfs" >"$ctx/rootfs.tar"
		rm -rf --one-file-system "$rootfs"
		find "$dir" -maxdepth 1 -type f ! -name '*-hook.sh' ! -name image.conf -exec cp {} "$ctx/" \;
		if ! DOCKER_BUILDKIT=0 docker build --quiet --force-rm \
			--label "$HASH_LABEL=$hash" --label "dbps.test-image.engine=$engine" \
			-t "$image" "$ctx" >"$log.docker" 2>&1; then
			cat "$log.docker" >&2
			fail "docker build failed for $image"
		fi
		rm -rf "$ctx"
	else
		# The same Dockerfile, applied without a build: its COPY lines go into the root
		# filesystem, its metadata lines become `docker import --change`s, and the tar is
		# streamed straight into one layer (~2 s instead of ~35 s with `docker build`).
		# `docker import --change` on Engine 20.10 knows no STOPSIGNAL: such lines are
		# applied by a one-step `docker build` on top of the imported image.
		local changes=() late=() target=$image
		apply_dockerfile "$dir" "$rootfs" changes late
		if [ "${#late[@]}" -gt 0 ]; then
			target=$image-rootfs-$$
		else
			changes+=(--change "LABEL $HASH_LABEL=$hash dbps.test-image.engine=$engine")
		fi
		if ! pack_rootfs "$rootfs" | docker import "${changes[@]}" - "$target" >"$log.docker" 2>&1; then
			cat "$log.docker" >&2
			fail "docker import failed for $image"
		fi
		rm -rf --one-file-system "$rootfs"
		if [ "${#late[@]}" -gt 0 ]; then
			if ! printf '%s\n' "FROM $target" "${late[@]}" |
				DOCKER_BUILDKIT=0 docker build --quiet --force-rm \
					--label "$HASH_LABEL=$hash" --label "dbps.test-image.engine=$engine" \
					-t "$image" - >"$log.docker" 2>&1; then
				cat "$log.docker" >&2
				docker image rm "$target" >/dev/null 2>&1 || true
				fail "docker build (metadata step) failed for $image"
			fi
			docker image rm "$target" >/dev/null # only untags: the image is its parent
		fi
	fi

	# Drop this engine's previous, now untagged builds (those still used by a container
	# are kept by Docker; the next build removes them).
	docker image prune --force --filter "label=dbps.test-image.engine=$engine" >/dev/null 2>&1 || true
	printf '%s: built in %ss\n' "$image" "$((SECONDS - start))"
}

for engine in "${TODO[@]}"; do
	build_engine "$engine"
done
