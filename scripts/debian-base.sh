#!/usr/bin/env bash
# A debootstrap'd Debian bookworm root filesystem, as a deterministic tar, for the package
# tests and the package benchmark (scripts/package-fixtures.sh builds images on it). About
# 200 MB, so it is made once and cached outside the checkout, in
# ~/.cache/strata/debian-base-<hash of this script>/minbase.tar
# (`debootstrap --variant=minbase bookworm`, ~90 packages, apt's lists and caches removed).
#
#   scripts/debian-base.sh     prints the cache directory
#
# Needs root, debootstrap, and this machine's Debian mirror (read from /etc/apt/sources.list*).
# Idempotent: a tar that exists is not made again.
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1700000000

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
CACHE=${STRATA_CACHE:-$HOME/.cache/strata}/debian-base-$(sha256sum "$SELF" | cut -c1-16)
mkdir -p "$CACHE"
say() { printf '[debian-base] %s\n' "$*" >&2; }

# The mirror apt uses here (deb822 .sources or one-line lists), not a hard-coded host.
mirror() {
  local m
  m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [[ -n $m ]] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [[ -n $m ]] || { say "no Debian mirror in /etc/apt/sources.list*"; exit 1; }
  echo "$m"
}

make_tar() { # make_tar NAME
  local name=$1
  local out=$CACHE/$name.tar
  [[ -s $out ]] && return 0
  command -v debootstrap >/dev/null || { say "missing debootstrap (scripts/setup.sh test)"; exit 1; }
  local dir; dir=$(mktemp -d "$CACHE/.root-XXXXXX")
  say "debootstrap $name into $dir (a few minutes)"
  debootstrap --variant=minbase bookworm "$dir" "$(mirror)" >"$CACHE/$name.log" 2>&1 ||
    { say "debootstrap failed: see $CACHE/$name.log"; tail -n 20 "$CACHE/$name.log" >&2; exit 1; }
  # What an image build would clean: apt's lists and downloaded .debs, logs of the bootstrap.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/* "$dir"/debootstrap
  tar --sort=name --format=gnu --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    --xattrs --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -cf "$out.part" -C "$dir" .
  mv "$out.part" "$out"
  rm -rf "$dir"
  say "$out: $(du -h "$out" | cut -f1)"
}

make_tar minbase
echo "$CACHE"
