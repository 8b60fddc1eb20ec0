#!/usr/bin/env bash
# Entrypoint of dbps-test/mariadb: the official mariadb image's contract
# (MariaDB/mariadb-docker docker-entrypoint.sh), on Debian's mariadb-server 10.11.
# Each MARIADB_* variable falls back to its MYSQL_* twin; *_FILE reads it from a file.
#
#   MARIADB_ROOT_PASSWORD            root password ('root'@'localhost' and
#                                    'root'@MARIADB_ROOT_HOST, default '%')
#   MARIADB_ROOT_PASSWORD_HASH       the same, as a PASSWORD() hash
#   MARIADB_ALLOW_EMPTY_ROOT_PASSWORD / MARIADB_RANDOM_ROOT_PASSWORD
#   MARIADB_ROOT_HOST                host part of the remote root account (default %)
#   MARIADB_DATABASE                 database created at init
#   MARIADB_USER / MARIADB_PASSWORD  user created at init ('user'@'%'), granted ALL
#   MARIADB_PASSWORD_HASH            on MARIADB_DATABASE only (`_` escaped)
#   MARIADB_INITDB_SKIP_TZINFO       do not load the time zone tables
#
# On an empty /var/lib/mysql: mariadb-install-db, then a temporary server started with
# --skip-networking (unix socket only, so TCP connections succeed only once init is
# complete) creates the accounts and runs /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz;
# then the real server runs as PID 1, as user mysql, with --bind-address=0.0.0.0
# --port=3306.
set -eo pipefail
shopt -s nullglob

mysql_log() {
	local type=$1
	shift
	printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$type" "$*"
}
mysql_note() { mysql_log Note "$@"; }
mysql_warn() { mysql_log Warn "$@" >&2; }
mysql_error() {
	mysql_log ERROR "$@" >&2
	exit 1
}

# usage: file_env VAR [DEFAULT]
file_env() {
	local var=$1 fileVar="${1}_FILE" def="${2:-}"
	if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
		mysql_error "Both $var and $fileVar are set (but are exclusive)"
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

# MARIADB_X, falling back to MYSQL_X; both end up set to the same value.
_mariadb_file_env() {
	local var=$1 def="${2:-}"
	local mysqlVar=${var/#MARIADB/MYSQL}
	file_env "$mysqlVar" "$def"
	file_env "$var" "${!mysqlVar}"
	export "$mysqlVar"="${!var}"
}

_mysql_want_help() {
	local arg
	for arg; do
		case "$arg" in
			-'?' | --help | --print-defaults | -V | --version) return 0 ;;
		esac
	done
	return 1
}

# Validate the configuration and read datadir/socket from it, in one server call.
docker_setup_env() {
	local help
	if ! help=$("$@" --verbose --help 2>&1); then
		mysql_error $'mariadbd failed while attempting to check config\n\tcommand was: '"$* --verbose --help"$'\n\t'"$help"
	fi
	DATADIR=$(awk '$1 == "datadir" { print $2; exit }' <<<"$help")
	SOCKET=$(awk '$1 == "socket" { print $2; exit }' <<<"$help")
	: "${DATADIR:=/var/lib/mysql/}" "${SOCKET:=/run/mysqld/mysqld.sock}"

	_mariadb_file_env MARIADB_ROOT_HOST '%'
	_mariadb_file_env MARIADB_DATABASE
	_mariadb_file_env MARIADB_USER
	_mariadb_file_env MARIADB_PASSWORD
	_mariadb_file_env MARIADB_ROOT_PASSWORD
	file_env MARIADB_PASSWORD_HASH
	file_env MARIADB_ROOT_PASSWORD_HASH
	_mariadb_file_env MARIADB_ALLOW_EMPTY_ROOT_PASSWORD
	_mariadb_file_env MARIADB_RANDOM_ROOT_PASSWORD
	_mariadb_file_env MARIADB_INITDB_SKIP_TZINFO

	DATABASE_ALREADY_EXISTS=
	if [ -d "$DATADIR/mysql" ]; then
		DATABASE_ALREADY_EXISTS=true
	fi
}

docker_create_db_directories() {
	mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
	if [ "$(id -u)" = 0 ]; then
		find "$DATADIR" \! -user mysql -exec chown mysql:mysql '{}' +
		chown mysql:mysql "$(dirname "$SOCKET")"
	fi
}

docker_verify_minimum_env() {
	if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ROOT_PASSWORD_HASH" ] &&
		[ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		mysql_error $'Database is uninitialized and password option is not specified\n\tYou need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD'
	fi
	if [ "$MARIADB_USER" = root ]; then
		mysql_error $'MARIADB_USER="root", MARIADB_USER and MARIADB_PASSWORD are for configuring the regular user and cannot be used for the root user\n\tRemove MARIADB_USER="root" and use one of the following to control the root user password:\n\t- MARIADB_ROOT_PASSWORD\n\t- MARIADB_ALLOW_EMPTY_ROOT_PASSWORD\n\t- MARIADB_RANDOM_ROOT_PASSWORD'
	fi
	if [ -n "$MARIADB_USER" ] && [ -z "$MARIADB_PASSWORD$MARIADB_PASSWORD_HASH" ]; then
		mysql_warn "MARIADB_USER specified, but missing MARIADB_PASSWORD/MARIADB_PASSWORD_HASH; the user will not be created"
	fi
	if [ -z "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD$MARIADB_PASSWORD_HASH" ]; then
		mysql_warn "MARIADB_PASSWORD specified, but missing MARIADB_USER; MARIADB_PASSWORD will be ignored"
	fi
}

docker_init_database_dir() {
	mysql_note "Initializing database files"
	mariadb-install-db --datadir="$DATADIR" --rpm --user=mysql --auth-root-authentication-method=normal \
		"${@:2}" \
		--skip-test-db \
		--old-mode='UTF8_IS_UTF8MB3' \
		--default-time-zone=SYSTEM --enforce-storage-engine= \
		--skip-log-bin \
		--expire-logs-days=0 \
		--loose-innodb_buffer_pool_load_at_startup=0 \
		--loose-innodb_buffer_pool_dump_at_shutdown=0
	mysql_note "Database files initialized"
}

docker_exec_client() {
	# args sent in can override this db, since they will be later in the command
	if [ -n "$MARIADB_DATABASE" ]; then
		set -- --database="$MARIADB_DATABASE" "$@"
	fi
	mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" "$@"
}

# usage: docker_process_sql [--dont-use-mysql-root-password] [mariadb-cli-args]
#    ie: docker_process_sql --database=mydb <<<'INSERT ...'
docker_process_sql() {
	if [ "$1" = --dont-use-mysql-root-password ]; then
		shift
		MYSQL_PWD='' docker_exec_client "$@"
	else
		MYSQL_PWD=$MARIADB_ROOT_PASSWORD docker_exec_client "$@"
	fi
}

docker_temp_server_start() {
	# --skip-networking: no TCP listener until init is complete.
	"$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --wsrep_on=OFF \
		--expire-logs-days=0 --skip-slave-start \
		--loose-innodb_buffer_pool_load_at_startup=0 \
		--skip-ssl &
	MARIADB_PID=$!
	mysql_note "Waiting for server startup"
	local i
	for i in {300..0}; do
		if docker_process_sql --dont-use-mysql-root-password --database=mysql <<<'SELECT 1' &>/dev/null; then
			break
		fi
		kill -0 "$MARIADB_PID" 2>/dev/null || mysql_error "Unable to start server."
		sleep 0.1
	done
	if [ "$i" = 0 ]; then
		mysql_error "Unable to start server."
	fi
}

docker_temp_server_stop() {
	kill "$MARIADB_PID"
	wait "$MARIADB_PID"
}

# SQL escape a string literal: \ and ' are escaped.
docker_sql_escape_string_literal() {
	local newline=$'\n'
	local escaped=${1//\\/\\\\}
	escaped=${escaped//$newline/\\n}
	echo "${escaped//\'/\\\'}"
}

docker_setup_db() {
	if [ -z "$MARIADB_INITDB_SKIP_TZINFO" ]; then
		# --skip-write-binlog also emits LOCK TABLES, which makes this fast on Aria.
		mariadb-tzinfo-to-sql --skip-write-binlog /usr/share/zoneinfo |
			docker_process_sql --dont-use-mysql-root-password --database=mysql
	fi
	if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		MARIADB_ROOT_PASSWORD=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
		export MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD=$MARIADB_ROOT_PASSWORD
		mysql_note "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
	fi

	local rootPasswordEscaped=
	if [ -n "$MARIADB_ROOT_PASSWORD" ]; then
		rootPasswordEscaped=$(docker_sql_escape_string_literal "$MARIADB_ROOT_PASSWORD")
	fi

	# root from anywhere (MARIADB_ROOT_HOST), with the same password
	local rootCreate=
	if [ -n "$MARIADB_ROOT_HOST" ] && [ "$MARIADB_ROOT_HOST" != localhost ]; then
		local identified="IDENTIFIED BY '$rootPasswordEscaped'"
		if [ -n "$MARIADB_ROOT_PASSWORD_HASH" ]; then
			identified="IDENTIFIED BY PASSWORD '$MARIADB_ROOT_PASSWORD_HASH'"
		fi
		rootCreate="CREATE USER 'root'@'$MARIADB_ROOT_HOST' $identified ;
GRANT ALL ON *.* TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION ;
GRANT PROXY ON ''@'%' TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
	fi

	# root@localhost with a hash gets it after the init scripts (they log in without it)
	local rootLocalhostPass=
	if [ -z "$MARIADB_ROOT_PASSWORD_HASH" ]; then
		rootLocalhostPass="SET PASSWORD FOR 'root'@'localhost'= PASSWORD('$rootPasswordEscaped');"
	fi

	local createDatabase=
	if [ -n "$MARIADB_DATABASE" ]; then
		mysql_note "Creating database $MARIADB_DATABASE"
		createDatabase="CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE//\`/\`\`}\`;"
	fi

	local createUser='' userGrants=''
	if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD$MARIADB_PASSWORD_HASH" ]; then
		mysql_note "Creating user $MARIADB_USER"
		if [ -n "$MARIADB_PASSWORD_HASH" ]; then
			createUser="CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY PASSWORD '$MARIADB_PASSWORD_HASH';"
		else
			local userPasswordEscaped
			userPasswordEscaped=$(docker_sql_escape_string_literal "$MARIADB_PASSWORD")
			createUser="CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$userPasswordEscaped';"
		fi
		if [ -n "$MARIADB_DATABASE" ]; then
			mysql_note "Giving user $MARIADB_USER access to schema $MARIADB_DATABASE"
			# `_` is a wildcard in a grant's database name: escape it, as the official image does.
			local grantDb=${MARIADB_DATABASE//\`/\`\`}
			userGrants="GRANT ALL ON \`${grantDb//_/\\_}\`.* TO '$MARIADB_USER'@'%';"
		fi
	fi

	mysql_note "Securing system users (equivalent to running mysql_secure_installation)"
	docker_process_sql --dont-use-mysql-root-password --database=mysql --binary-mode <<-EOSQL
		-- Securing system users shouldn't be replicated
		SET @orig_sql_log_bin= @@SESSION.SQL_LOG_BIN;
		SET @@SESSION.SQL_LOG_BIN=0;
		-- the password literals rely on backslash escapes
		SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');

		DROP USER IF EXISTS root@'127.0.0.1', root@'::1', ''@'localhost';
		EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname,'\'');
		EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS \'\'@\'', @@hostname,'\'');

		${rootLocalhostPass}
		${rootCreate}
		DROP DATABASE IF EXISTS test ;
		SET @@SESSION.SQL_LOG_BIN=@orig_sql_log_bin;

		${createDatabase}
		${createUser}
		${userGrants}
	EOSQL
}

# usage: docker_process_init_files [file [file [...]]]
docker_process_init_files() {
	# mysql here for backwards compatibility "${mysql[@]}"
	# shellcheck disable=SC2034
	mysql=(docker_process_sql)
	echo
	local f
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then
					mysql_note "$0: running $f"
					"$f"
				else
					mysql_note "$0: sourcing $f"
					# shellcheck disable=SC1090
					. "$f"
				fi
				;;
			*.sql) mysql_note "$0: running $f"; docker_process_sql <"$f"; echo ;;
			*.sql.gz) mysql_note "$0: running $f"; gunzip -c "$f" | docker_process_sql; echo ;;
			*) mysql_warn "$0: ignoring $f" ;;
		esac
		echo
	done
}

docker_mariadb_init() {
	docker_init_database_dir "$@"
	mysql_note "Starting temporary server"
	docker_temp_server_start "$@"
	mysql_note "Temporary server started."
	docker_setup_db
	docker_process_init_files /docker-entrypoint-initdb.d/*
	if [ -n "$MARIADB_ROOT_PASSWORD_HASH" ]; then
		docker_process_sql --database=mysql <<<"SET PASSWORD FOR 'root'@'localhost'= '${MARIADB_ROOT_PASSWORD_HASH}';"
	fi
	mysql_note "Stopping temporary server"
	docker_temp_server_stop
	mysql_note "Temporary server stopped"
	echo
	mysql_note "MariaDB init process done. Ready for start up."
	echo
}

_main() {
	# `docker run image --some-option` means `mariadbd --some-option`
	if [ "${1:0:1}" = - ]; then
		set -- mariadbd "$@"
	fi

	if { [ "$1" = mariadbd ] || [ "$1" = mysqld ]; } && ! _mysql_want_help "$@"; then
		mysql_note "Entrypoint script for MariaDB Server started."
		docker_setup_env "$@"
		docker_create_db_directories
		if [ "$(id -u)" = 0 ]; then
			# Drop root: re-run this script as mysql (what gosu does in the official image).
			mysql_note "Switching to dedicated user 'mysql'"
			export HOME=/var/lib/mysql
			exec setpriv --reuid=mysql --regid=mysql --init-groups "${BASH_SOURCE[0]}" "$@"
		fi

		if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
			docker_verify_minimum_env
			# Fail early if the init scripts are not readable.
			ls /docker-entrypoint-initdb.d/ >/dev/null
			docker_mariadb_init "$@"
		fi
		# Listen on all addresses, port 3306 (later arguments still override).
		set -- "$1" --bind-address=0.0.0.0 --port=3306 "${@:2}"
	fi
	exec "$@"
}

_main "$@"
