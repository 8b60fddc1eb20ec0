#!/usr/bin/env bash
# mmdebstrap --customize-hook: runs on the host once all packages are installed, with
# the root filesystem as $1.
set -euo pipefail
root=$1
# The official image's working and data directory.
chroot "$root" install -d -o redis -g redis -m 0755 /data
