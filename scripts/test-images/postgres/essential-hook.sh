#!/usr/bin/env bash
# mmdebstrap --essential-hook: runs on the host after the Essential set is unpacked and
# before postgresql-common is installed. Debian's postgresql-15 would otherwise create
# (and own) a default cluster in /var/lib/postgresql/15/main; the image's entrypoint
# runs initdb itself, like the official image.
set -euo pipefail
root=$1
mkdir -p "$root/etc/postgresql-common"
printf 'create_main_cluster = false\n' >"$root/etc/postgresql-common/createcluster.conf"
