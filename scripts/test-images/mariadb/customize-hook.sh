#!/usr/bin/env bash
# mmdebstrap --customize-hook: runs on the host once all packages are installed, with
# the root filesystem as $1.
set -euo pipefail
root=$1
in_root() { chroot "$root" "$@"; }

# Debian's postinst ran mariadb-install-db into /var/lib/mysql: the entrypoint does that
# on first start instead (with the environment's passwords), so ship it empty.
rm -rf "$root/var/lib/mysql"
in_root install -d -o mysql -g mysql -m 0755 /var/lib/mysql
in_root install -d -m 0755 /docker-entrypoint-initdb.d

# Like the official image: no bind-address from the packaged config (the entrypoint
# starts the server with --bind-address=0.0.0.0), no DNS lookups of clients.
sed -ri 's/^(bind-address|skip-networking)/#&/' "$root/etc/mysql/mariadb.conf.d/50-server.cnf"
cat >"$root/etc/mysql/mariadb.conf.d/99-docker.cnf" <<'CNF'
[mariadbd]
host-cache-size = 0
skip-name-resolve
CNF
