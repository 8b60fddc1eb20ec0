#!/usr/bin/env bash
# mmdebstrap --customize-hook: runs on the host once all packages are installed, with
# the root filesystem as $1 (apt inside it still works at this point).
set -euo pipefail
root=$1
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/test-images/postgres/image.conf
. "$here/image.conf"
in_root() { chroot "$root" "$@"; }
bindir=/usr/lib/postgresql/$PG_MAJOR/bin

if [ -e "$root/var/lib/postgresql/$PG_MAJOR/main" ] || [ -e "$root/etc/postgresql/$PG_MAJOR/main" ]; then
	echo "error: Debian created a default cluster despite create_main_cluster = false" >&2
	exit 1
fi

# The official image's locale.
in_root localedef -i en_US -c -f UTF-8 -A /usr/share/locale/locale.alias en_US.UTF-8

# Like the official image: initdb writes listen_addresses = '*' into postgresql.conf.
sample=$root/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
grep -q "^listen_addresses = '\*'" "$sample"

# pgvector: build against the server headers (taken from postgresql-server-dev-15
# without its clang/llvm dependencies), install, then remove the toolchain again.
mirror=${DEBIAN_MIRROR:-$(awk '$1 == "deb" { print $2; exit }' "$root/etc/apt/sources.list")}
url=${mirror%/}/pool/main/p/pgvector/pgvector_${PGVECTOR_VERSION}.orig.tar.gz
in_root /usr/lib/apt/apt-helper download-file "$url" /tmp/pgvector.tar.gz "SHA256:$PGVECTOR_SHA256"
in_root apt-get install -y -q --no-install-recommends gcc make libc6-dev
in_root sh -ec "
	cd /tmp
	apt-get download -q postgresql-server-dev-$PG_MAJOR
	dpkg-deb -x postgresql-server-dev-${PG_MAJOR}_*.deb /tmp/pgdev
	mkdir pgvector
	tar -xzf pgvector.tar.gz -C pgvector --strip-components=1
	cd pgvector
	set -- PG_CONFIG=$bindir/pg_config with_llvm=no OPTFLAGS= \
		PG_CPPFLAGS=-I/tmp/pgdev/usr/include/postgresql/$PG_MAJOR/server
	make -j\$(nproc) \"\$@\"
	make install \"\$@\"
"
in_root apt-get purge -y -q --auto-remove gcc make libc6-dev
rm -rf "$root/tmp/"* "$root/usr/include/postgresql"
test -f "$root/usr/share/postgresql/$PG_MAJOR/extension/vector.control"

# Directories of the official image.
in_root install -d -o postgres -g postgres -m 3777 /var/run/postgresql
in_root install -d -o postgres -g postgres -m 1777 /var/lib/postgresql/data
in_root install -d -m 0755 /docker-entrypoint-initdb.d

# No LLVM JIT: libLLVM-14 and libz3 are 130 MB of the image and JIT never kicks in for
# test-sized queries (jit stays on, the provider is simply absent: pg_jit_available()
# is false and queries run interpreted, with no error).
in_root dpkg --purge --force-depends libllvm14 libz3-4
rm -rf "$root/usr/lib/postgresql/$PG_MAJOR/lib/llvmjit"* "$root/usr/lib/postgresql/$PG_MAJOR/lib/bitcode"
