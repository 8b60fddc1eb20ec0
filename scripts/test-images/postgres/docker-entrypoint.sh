#!/usr/bin/env bash
# Entrypoint of dbps-test/postgres: the official postgres image's contract
# (docker-library/postgres docker-entrypoint.sh), on Debian's postgresql-15.
#
#   POSTGRES_PASSWORD        superuser password; required unless
#                            POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER            superuser name (default: postgres)
#   POSTGRES_DB              database created at init (default: $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS     extra initdb arguments
#   POSTGRES_INITDB_WALDIR   separate WAL directory
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for `host all all all` (default:
#                            password_encryption, i.e. scram-sha-256)
#   PGDATA                   data directory (default: /var/lib/postgresql/data)
#   *_FILE                   read POSTGRES_PASSWORD/USER/DB/INITDB_ARGS from a file
#
# On an empty PGDATA: initdb, then /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz run
# against a temporary server listening on the unix socket only; then the real server
# starts (listen_addresses = '*', port 5432) as PID 1, as user postgres.
set -Eeo pipefail
shopt -s nullglob

# usage: file_env VAR [DEFAULT]
file_env() {
	local var=$1 fileVar="${1}_FILE" def="${2:-}"
	if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
		printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$fileVar"
		exit 1
	fi
	local val=$def
	if [ "${!var:-}" ]; then
		val=${!var}
	elif [ "${!fileVar:-}" ]; then
		val=$(<"${!fileVar}")
	fi
	export "$var"="$val"
	unset "$fileVar"
}

docker_setup_env() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"
	: "${PGDATA:=/var/lib/postgresql/data}"
	export PGDATA
	DATABASE_ALREADY_EXISTS=
	if [ -s "$PGDATA/PG_VERSION" ]; then
		DATABASE_ALREADY_EXISTS=true
	fi
}

docker_create_db_directories() {
	local user
	user=$(id -u)
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		if [ "$user" = 0 ]; then
			find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres '{}' +
		fi
		chmod 700 "$POSTGRES_INITDB_WALDIR"
	fi
	if [ "$user" = 0 ]; then
		find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
	fi
}

docker_verify_minimum_env() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ trust != "$POSTGRES_HOST_AUTH_METHOD" ]; then
		cat >&2 <<-'EOE'
			Error: Database is uninitialized and superuser password is not specified.
			       You must specify POSTGRES_PASSWORD to a non-empty value for the
			       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

			       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
			       connections without a password. This is *not* recommended.
		EOE
		exit 1
	fi
	if [ trust = "$POSTGRES_HOST_AUTH_METHOD" ]; then
		echo >&2 'WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust": no password is needed to connect.'
	fi
}

docker_init_database_dir() {
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		set -- --waldir "$POSTGRES_INITDB_WALDIR" "$@"
	fi
	# --pwfile refuses an empty file, hence the "\n".
	eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "$@"'
}

# initdb's pg_hba.conf keeps `local all all trust` (and trust on 127.0.0.1/::1, as in the
# official image); every other host gets the configured password method.
pg_setup_hba_conf() {
	if [ "$1" = postgres ]; then
		shift
	fi
	local auth
	# the default/configured password_encryption is the method (scram-sha-256)
	auth=$(postgres -C password_encryption "$@")
	: "${POSTGRES_HOST_AUTH_METHOD:=$auth}"
	{
		printf '\n'
		if [ trust = "$POSTGRES_HOST_AUTH_METHOD" ]; then
			printf '# warning trust is enabled for all connections\n'
		fi
		printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD"
	} >>"$PGDATA/pg_hba.conf"
}

docker_process_sql() {
	local query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ -n "$POSTGRES_DB" ]; then
		query_runner+=(--dbname "$POSTGRES_DB")
	fi
	PGHOST='' PGHOSTADDR='' "${query_runner[@]}" "$@"
}

docker_setup_db() {
	local exists
	# shellcheck disable=SC2097,SC2098
	exists=$(POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
		SELECT 1 FROM pg_database WHERE datname = :'db' ;
	EOSQL
	)
	if [ -z "$exists" ]; then
		# shellcheck disable=SC2097,SC2098
		POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
		printf '\n'
	fi
}

# usage: docker_process_init_files [file [file [...]]]
docker_process_init_files() {
	# psql here for backwards compatibility "${psql[@]}"
	# shellcheck disable=SC2034
	psql=(docker_process_sql)
	printf '\n'
	local f
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then
					printf '%s: running %s\n' "$0" "$f"
					"$f"
				else
					printf '%s: sourcing %s\n' "$0" "$f"
					# shellcheck disable=SC1090
					. "$f"
				fi
				;;
			*.sql) printf '%s: running %s\n' "$0" "$f"; docker_process_sql -f "$f"; printf '\n' ;;
			*.sql.gz) printf '%s: running %s\n' "$0" "$f"; gunzip -c "$f" | docker_process_sql; printf '\n' ;;
			*) printf '%s: ignoring %s\n' "$0" "$f" ;;
		esac
		printf '\n'
	done
}

docker_temp_server_start() {
	if [ "$1" = postgres ]; then
		shift
	fi
	# Unix socket only: a TCP connection succeeds only once init is complete.
	set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

docker_temp_server_stop() {
	PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

_pg_want_help() {
	local arg
	for arg; do
		case "$arg" in
			-'?' | --help | --describe-config | -V | --version) return 0 ;;
		esac
	done
	return 1
}

_main() {
	# `docker run image -c foo=bar` means `postgres -c foo=bar`
	if [ "${1:0:1}" = - ]; then
		set -- postgres "$@"
	fi

	if [ "$1" = postgres ] && ! _pg_want_help "$@"; then
		docker_setup_env
		docker_create_db_directories
		if [ "$(id -u)" = 0 ]; then
			# Drop root: re-run this script as postgres (what gosu does in the official image).
			export HOME=/var/lib/postgresql
			exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
		fi

		if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
			docker_verify_minimum_env
			# Fail early if the init scripts are not readable.
			ls /docker-entrypoint-initdb.d/ >/dev/null
			docker_init_database_dir
			pg_setup_hba_conf "$@"

			# PGPASSWORD is needed by psql in the init scripts if POSTGRES_HOST_AUTH_METHOD is
			# not trust for local connections (custom pg_hba.conf).
			export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
			docker_temp_server_start "$@"
			docker_setup_db
			docker_process_init_files /docker-entrypoint-initdb.d/*
			docker_temp_server_stop
			unset PGPASSWORD

			printf '\nPostgreSQL init process complete; ready for start up.\n\n'
		else
			printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
		fi
	fi

	exec "$@"
}

_main "$@"
