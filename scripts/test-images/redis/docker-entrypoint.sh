#!/usr/bin/env bash
# Entrypoint of dbps-test/redis: the official redis image's contract
# (docker-library/redis docker-entrypoint.sh), on Debian's redis-server 7.0.
#
# - `docker run image --opt ...` or `docker run image some.conf ...` run redis-server.
# - Running as root, files in /data not owned by redis are chowned, then the server runs
#   as user redis (setpriv instead of gosu), as PID 1.
# - redis-server always gets `--protected-mode no` (the official image compiles that
#   default in; Debian's binary defaults to yes) and `--dir /data`, unless the caller
#   passes --dir or its config file sets `dir`. Both go right after the config file, so
#   the caller's own options still win.
set -e

# first arg is `-f` or `--some-option`, or first arg is `something.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

# `redis-server -v|--version|-h|--help|--test-memory N|--check-system` take no options
_redis_info_only() {
	case "${2:-}" in
		-v | --version | -h | --help | --test-memory | --check-system) return 0 ;;
	esac
	return 1
}

if [ "$1" = redis-server ] && ! _redis_info_only "$@"; then
	# allow the container to be started with `--user`
	if [ "$(id -u)" = 0 ]; then
		find . \! -user redis -exec chown redis '{}' +
		export HOME=/var/lib/redis
		exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
	fi

	shift
	conf=()
	if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
		conf=("$1")
		shift
	fi
	defaults=(--protected-mode no)
	want_dir=1
	for arg; do
		[ "$arg" = --dir ] && want_dir=0
	done
	if [ "${#conf[@]}" -gt 0 ] && [ -r "${conf[0]}" ] &&
		grep -qiE '^[[:space:]]*dir[[:space:]]' "${conf[0]}"; then
		want_dir=0
	fi
	[ "$want_dir" = 1 ] && defaults+=(--dir /data)
	set -- redis-server "${conf[@]}" "${defaults[@]}" "$@"

	# set an appropriate umask (if one isn't set already)
	um=$(umask)
	if [ "$um" = 0022 ]; then
		umask 0077
	fi
fi

exec "$@"
