#!/usr/bin/env bash
# A real image whose last layer deletes a whole directory, made with umoci (as root): layer 1
# a base file, layer 2 /big with two 600 kB files, layer 3 `rm -rf /big` (umoci writes one
# `.wh.big` whiteout). dive counts the deletion of a directory as no waste at all; Strata counts
# the 1.2 MB it leaves in the image. Writes OUT (an OCI archive, tarred layout).
#   dir-deletion-image.sh OUT
set -euo pipefail
OUT=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
export SOURCE_DATE_EPOCH=1700000000
umoci init --layout img >/dev/null
umoci new --image img:t >/dev/null
step() { # message, then the commands that change the rootfs
  local msg=$1; shift
  umoci unpack --image img:t b >/dev/null
  "$@"
  umoci repack --image img:t --history.created_by "$msg" b >/dev/null
  rm -rf b
}
step "COPY base.txt /" sh -c 'echo base > b/rootfs/base.txt'
step "RUN mkdir /big && fill" sh -c 'mkdir b/rootfs/big && head -c 600000 /dev/urandom > b/rootfs/big/a.bin && head -c 600000 /dev/urandom > b/rootfs/big/b.bin'
step "RUN rm -rf /big" rm -rf b/rootfs/big
(cd img && tar --sort=name --owner=0 --group=0 --numeric-owner -cf "$OUT" .)
