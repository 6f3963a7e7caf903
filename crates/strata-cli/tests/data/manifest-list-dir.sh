#!/usr/bin/env bash
# A Docker manifest list written to a `dir:` copy by buildah itself: one `FROM scratch` + COPY
# build for linux/amd64, linux/arm64 and linux/arm/v7 (`buildah build --platform … --manifest`,
# no RUN step, so no emulation), then `buildah manifest push --all --format v2s2 … dir:OUT`.
# containers/image's dir transport stores the list as manifest.json and each instance's
# manifest as <hex>.manifest.json. Private vfs storage under a temporary directory (as root).
#   manifest-list-dir.sh OUT
set -euo pipefail
OUT=$1
W=$(mktemp -d)
trap 'buildah rm --all >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
mkdir -p "$W/ctx"
cat >"$W/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$W/run"
graphroot = "$W/graph"
CONF
printf '[engine]\nruntime = "runc"\n' >"$W/containers.conf"
export CONTAINERS_STORAGE_CONF=$W/storage.conf CONTAINERS_CONF=$W/containers.conf
echo hello >"$W/ctx/hello.txt"
printf 'FROM scratch\nCOPY hello.txt /\n' >"$W/ctx/Containerfile"
buildah build --quiet --timestamp 1700000000 --platform linux/amd64,linux/arm64,linux/arm/v7 \
  --manifest strata-list -f "$W/ctx/Containerfile" "$W/ctx" >/dev/null
rm -rf "$OUT"
buildah manifest push --quiet --all --format v2s2 strata-list "dir:$OUT" >/dev/null
