#!/usr/bin/env bash
# Two builds of one Containerfile, where only the app's source changed between them, made by
# buildah with its layer cache (`buildah build --layers`, the same private vfs storage for both)
# and exported as docker-archives: the input of "why did the cache break?"
# Build N is stamped N days after the base (`--timestamp`, file times and history alike), so
# both builds are the same bytes on every run (www/samples/cache-builds.docker.tar is checked
# byte for byte by crates/strata-cli/tests/samples.rs), and as on a real machine a layer the
# cache reused keeps build 1's time while a rebuilt one gets build 2's (and its own digest).
# (`strata_core::diff::cache_report`, crates/strata-cli/tests/cache.rs, the workshop e2e spec).
# What the builder reused is recorded as the builder itself reports it (`skopeo inspect` of both
# archives: their layer digests; `buildah inspect`: the history), so the tests compare Strata's
# report with the builder, not with numbers typed here.
#
# Cached outside the checkout in ~/.cache/strata/cache-builds-<hash of this script>/ (prints
# that directory): seconds when warm, ~20 s cold. Needs root, buildah, skopeo, podman, runc, busybox.
#
#   build-1.docker.tar, build-2.docker.tar   the two builds (app.py changed between them)
#   cache-builds.docker.tar                  both, in one archive (`podman save -m`): a sample
#   oracle/build-N.skopeo.json               `skopeo inspect docker-archive:…` (Layers, LayersData)
#   oracle/build-N.manifest.json             `skopeo inspect --raw`: the manifest (layer sizes)
#   oracle/build-N.buildah.json              `buildah inspect --type image` (history, as built)
#   Containerfile                            what was built
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 TZ=UTC
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEY=$(sha256sum "$ROOT/scripts/cache-fixtures.sh" | cut -c1-16)
OUT=${STRATA_CACHE:-$HOME/.cache/strata}/cache-builds-$KEY
say() { printf '[cache-fixtures] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
if [[ -f $OUT/STAMP && "${FORCE:-}" != 1 ]]; then
  echo "$OUT"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || die "must run as root (buildah storage)"
for t in buildah skopeo podman runc busybox; do
  command -v "$t" >/dev/null || die "missing $t (run scripts/setup.sh test)"
done
rm -rf "$OUT"
mkdir -p "$OUT/oracle"
W=$(mktemp -d)
trap 'buildah rm --all >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
cat >"$W/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$W/run"
graphroot = "$W/graph"
CONF
cat >"$W/containers.conf" <<CONF
[engine]
runtime = "runc"
[containers]
netns = "none"
CONF
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/policy.json"
export CONTAINERS_STORAGE_CONF=$W/storage.conf CONTAINERS_CONF=$W/containers.conf
POLICY=(--signature-policy "$W/policy.json")

# The base: a busybox rootfs (no network), as scripts/fixtures.sh makes it.
say "base image"
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc" "$W/rootfs/tmp"
cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
for a in sh cat echo mkdir dd head tr; do ln -sf busybox "$W/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$W/rootfs/etc/passwd"
chmod 1777 "$W/rootfs/tmp"
find "$W/rootfs" -exec touch -h -d @1700000000 {} +
ctr=$(buildah from "${POLICY[@]}" scratch)
buildah copy --quiet "$ctr" "$W/rootfs" / >/dev/null
buildah config --created-by "COPY busybox rootfs /" --os linux --arch amd64 "$ctr"
buildah commit "${POLICY[@]}" --quiet --timestamp 1700000000 "$ctr" localhost/strata/cache-base:1 >/dev/null
buildah rm "$ctr" >/dev/null

# The app: dependencies first (cached), then the source, then a step that does not read the
# source but comes after it (so it is rebuilt every time the source changes: the reordering
# the report should suggest), an ENV (no layer), the config file, the command.
mkdir -p "$W/ctx"
cat >"$W/ctx/Containerfile" <<'EOF'
FROM localhost/strata/cache-base:1
RUN mkdir -p /app && echo 'flask==3.0.0' > /app/requirements.txt
COPY app.py /app/app.py
RUN dd if=/dev/zero bs=1024 count=128 2>/dev/null | tr '\0' v > /app/vendor.bin
ENV MODE=production
COPY config.txt /app/config.txt
CMD ["/bin/cat", "/app/app.py"]
EOF
cp "$W/ctx/Containerfile" "$OUT/Containerfile"
echo 'debug = False' >"$W/ctx/config.txt"
touch -d @1700000000 "$W/ctx/config.txt"
for n in 1 2; do
  say "build $n"
  printf 'print("hello, build %s")\n' "$n" >"$W/ctx/app.py"
  buildah build "${POLICY[@]}" --quiet --layers --timestamp $((1700000000 + n * 86400)) -t "localhost/strata/cache-app:$n" "$W/ctx" >/dev/null
  buildah push "${POLICY[@]}" --quiet "localhost/strata/cache-app:$n" \
    "docker-archive:$OUT/build-$n.docker.tar:localhost/strata/cache-app:$n" >/dev/null
  skopeo --policy "$W/policy.json" inspect "docker-archive:$OUT/build-$n.docker.tar" >"$OUT/oracle/build-$n.skopeo.json"
  skopeo --policy "$W/policy.json" inspect --raw "docker-archive:$OUT/build-$n.docker.tar" >"$OUT/oracle/build-$n.manifest.json"
  buildah inspect --type image "localhost/strata/cache-app:$n" >"$OUT/oracle/build-$n.buildah.json"
done
# Both builds in one archive (the start page's sample): the layers they share are stored once.
say "both builds in one archive"
podman save -q -m --format docker-archive -o "$OUT/cache-builds.docker.tar" \
  localhost/strata/cache-app:1 localhost/strata/cache-app:2
{ buildah --version; skopeo --version; podman --version; } >"$OUT/STAMP"
say "done: $OUT"
echo "$OUT"
