#!/usr/bin/env bash
# Build small, REAL container image fixtures for Strata's tests.
#
#   scripts/fixtures.sh [OUT_DIR]        (default: <repo>/target/fixtures)
#
# Requirements (Debian 12, run as root, works offline):
#   apt-get install skopeo umoci busybox-static jq zstd   (+ python3, GNU tar)
#
# The image is built with umoci on an OCI layout and exported with skopeo.
# Everything is rebuilt from scratch on every run ($OUT/work is wiped first).
# Output is reproducible: all file mtimes, history and config timestamps are
# derived from SOURCE_DATE_EPOCH (default 1700000000).  The bytes of the image
# do depend on /bin/busybox, so digests are only stable for a given
# busybox-static package version.
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 TZ=UTC

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
OUT=${1:-"$REPO_ROOT/target/fixtures"}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

IMAGE_NAME=strata/fixture
IMAGE_TAG=1.0
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

step() { printf '==> %s\n' "$*"; }
die() { printf 'fixtures.sh: error: %s\n' "$*" >&2; exit 1; }

for tool in umoci skopeo jq python3 tar find touch head tr sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "missing required tool: $tool"
done
[ -x /bin/busybox ] || die "/bin/busybox not found (apt-get install busybox-static)"
[ "$(id -u)" -eq 0 ] || die "must run as root (umoci unpack needs to chown)"

mkdir -p "$OUT"
OUT=$(cd -- "$OUT" && pwd)
WORK=$OUT/work
LAYOUT=$WORK/oci
BUNDLE=$WORK/bundle
ROOTFS=$BUNDLE/rootfs
POLICY=$WORK/policy.json

# RFC 3339 timestamp for SOURCE_DATE_EPOCH + $1 seconds.
ts() { date -u -d "@$((SOURCE_DATE_EPOCH + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# Reset the mtime of every path modified since the bundle was unpacked (i.e.
# newer than the previous step's timestamp) to this step's timestamp, so the
# layer tar is byte-for-byte reproducible.  -h: don't follow symlinks.
stamp_changes() {
    local since=$1 now=$2
    find "$ROOTFS" -newermt "@$((SOURCE_DATE_EPOCH + since))" \
        -exec touch -h -d "@$((SOURCE_DATE_EPOCH + now))" {} +
}

unpack() { rm -rf "$BUNDLE"; umoci unpack --image "$LAYOUT:$IMAGE_TAG" "$BUNDLE" >/dev/null; }

# repack OFFSET CREATED_BY
repack() {
    umoci repack --image "$LAYOUT:$IMAGE_TAG" \
        --history.created "$(ts "$1")" \
        --history.author "Strata Tests" \
        --history.created_by "$2" \
        "$BUNDLE"
    rm -rf "$BUNDLE"
}

# ---------------------------------------------------------------------------
step "cleaning $WORK and previous outputs"
rm -rf "$WORK"
rm -f "$OUT"/fixture-docker.tar "$OUT"/fixture-oci.tar "$OUT"/fixture-truncated.tar \
      "$OUT"/random.bin "$OUT"/fixture-docker.skopeo-*.json "$OUT"/README.md
mkdir -p "$WORK"
cat >"$POLICY" <<'EOF'
{"default":[{"type":"insecureAcceptAnything"}]}
EOF

step "umoci init --layout $LAYOUT; umoci new $IMAGE_TAG"
umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:$IMAGE_TAG"
# Image-level metadata; no history entry for this (it is not a Dockerfile step).
umoci config --image "$LAYOUT:$IMAGE_TAG" --no-history \
    --created "$(ts 0)" --author "Strata Tests" --architecture amd64 --os linux

# --- layer 1: busybox rootfs ------------------------------------------------
step "layer 1: busybox rootfs (/bin, /etc/passwd, /data/{a,b}.txt)"
unpack
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/data"
cp /bin/busybox "$ROOTFS/bin/busybox"
chmod 0755 "$ROOTFS/bin/busybox"
for applet in sh ls cat; do ln -s busybox "$ROOTFS/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOTFS/etc/passwd"
chmod 0644 "$ROOTFS/etc/passwd"
printf 'alpha\n' >"$ROOTFS/data/a.txt"
printf 'bravo\n' >"$ROOTFS/data/b.txt"
chmod 0755 "$ROOTFS" "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/data"
find "$ROOTFS" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
repack 0 "/bin/sh -c #(nop) ADD dir:busybox in / "

# Metadata-only step: umoci config adds a history entry with empty_layer=true.
step "config: ENV PATH (empty_layer history entry)"
umoci config --image "$LAYOUT:$IMAGE_TAG" \
    --config.env "PATH=$PATH_ENV" \
    --history.created "$(ts 60)" --history.author "Strata Tests" \
    --history.created_by "/bin/sh -c #(nop)  ENV PATH=$PATH_ENV"

# --- layer 2: add, modify, delete (whiteout), non-ASCII name -----------------
step "layer 2: add /app/hello.txt, /app/café.txt; modify /data/a.txt; delete /data/b.txt"
unpack
mkdir -p "$ROOTFS/app"
printf 'hello strata\n' >"$ROOTFS/app/hello.txt"
printf 'alpha v2 (modified in layer 2)\n' >"$ROOTFS/data/a.txt"
rm "$ROOTFS/data/b.txt"
printf 'caf\xc3\xa9 au lait\n' >"$ROOTFS/app/café.txt"
stamp_changes 0 120
repack 120 "/bin/sh -c mkdir -p /app && echo 'hello strata' > /app/hello.txt && echo 'alpha v2 (modified in layer 2)' > /data/a.txt && rm /data/b.txt && echo 'café au lait' > /app/café.txt"

# --- layer 3: 1 MiB file and paths longer than 100 bytes --------------------
LONG_DIR=app/nested/directory-with-a-rather-long-name-0123456789/another-directory-with-a-long-name-abcdefghij
LONG_FILE=$LONG_DIR/file-in-a-path-longer-than-one-hundred-bytes.txt
LONG_BASENAME=app/long/$(printf 'n%.0s' $(seq 1 110)).txt
step "layer 3: /app/big.bin (1 MiB) and long paths (${#LONG_FILE} and ${#LONG_BASENAME} bytes)"
unpack
head -c 1048576 /dev/zero | tr '\0' 'x' >"$ROOTFS/app/big.bin"
mkdir -p "$ROOTFS/$LONG_DIR" "$ROOTFS/app/long"
printf 'deep\n' >"$ROOTFS/$LONG_FILE"
printf 'long basename\n' >"$ROOTFS/$LONG_BASENAME"
stamp_changes 120 180
repack 180 "/bin/sh -c head -c 1048576 /dev/zero | tr '\\0' x > /app/big.bin && mkdir -p /$LONG_DIR /app/long && echo deep > /$LONG_FILE && echo 'long basename' > /$LONG_BASENAME"

# --- metadata-only steps ------------------------------------------------------
step "config: ENV GREETING, WORKDIR, LABEL, CMD (empty_layer history entries)"
umoci config --image "$LAYOUT:$IMAGE_TAG" \
    --config.env "GREETING=hello" \
    --history.created "$(ts 240)" --history.author "Strata Tests" \
    --history.created_by "/bin/sh -c #(nop)  ENV GREETING=hello"
umoci config --image "$LAYOUT:$IMAGE_TAG" \
    --config.workingdir /app \
    --history.created "$(ts 250)" --history.author "Strata Tests" \
    --history.created_by "/bin/sh -c #(nop) WORKDIR /app"
umoci config --image "$LAYOUT:$IMAGE_TAG" \
    --config.label "org.opencontainers.image.title=strata-fixture" \
    --config.label "maintainer=strata-tests" \
    --history.created "$(ts 260)" --history.author "Strata Tests" \
    --history.created_by "/bin/sh -c #(nop)  LABEL org.opencontainers.image.title=strata-fixture maintainer=strata-tests"
umoci config --image "$LAYOUT:$IMAGE_TAG" \
    --config.cmd /bin/sh --config.cmd -c --config.cmd "cat /app/hello.txt" \
    --created "$(ts 270)" \
    --history.created "$(ts 270)" --history.author "Strata Tests" \
    --history.created_by '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "cat /app/hello.txt"]'

step "umoci gc (drop intermediate blobs)"
umoci gc --layout "$LAYOUT"
umoci stat --image "$LAYOUT:$IMAGE_TAG" >"$WORK/umoci-stat.txt"

# --- exports --------------------------------------------------------------------
step "skopeo copy -> fixture-docker.tar ($IMAGE_NAME:$IMAGE_TAG)"
skopeo --policy "$POLICY" copy --quiet \
    "oci:$LAYOUT:$IMAGE_TAG" "docker-archive:$OUT/fixture-docker.tar:$IMAGE_NAME:$IMAGE_TAG"

step "tar OCI layout -> fixture-oci.tar"
# --mtime/--owner/--sort make the archive independent of the build time.
tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -cf "$OUT/fixture-oci.tar" -C "$LAYOUT" .

step "truncate -> fixture-truncated.tar"
size=$(stat -c %s "$OUT/fixture-docker.tar")
head -c "$((size / 2))" "$OUT/fixture-docker.tar" >"$OUT/fixture-truncated.tar"

step "random.bin (64 KiB, SHA-256 counter mode)"
python3 - "$OUT/random.bin" <<'EOF'
import hashlib, sys
out = bytearray()
i = 0
while len(out) < 65536:
    out += hashlib.sha256(b"strata-random-%d" % i).digest()
    i += 1
with open(sys.argv[1], "wb") as f:
    f.write(bytes(out[:65536]))
EOF

step "skopeo inspect oracles"
skopeo inspect "docker-archive:$OUT/fixture-docker.tar" >"$OUT/fixture-docker.skopeo-inspect.json"
skopeo inspect --raw "docker-archive:$OUT/fixture-docker.tar" >"$OUT/fixture-docker.skopeo-raw.json"
skopeo inspect --config "docker-archive:$OUT/fixture-docker.tar" >"$OUT/fixture-docker.skopeo-config.json"
for f in "$OUT"/fixture-docker.skopeo-*.json; do jq -e . "$f" >/dev/null || die "invalid JSON: $f"; done

# --- sanity checks ----------------------------------------------------------------
step "checking layers"
layers=$(tar -xOf "$OUT/fixture-docker.tar" manifest.json | jq -r '.[0].Layers[]')
[ "$(printf '%s\n' "$layers" | wc -l)" -eq 3 ] || die "expected 3 layers"
l1=$(printf '%s\n' "$layers" | sed -n 1p)
l2=$(printf '%s\n' "$layers" | sed -n 2p)
l3=$(printf '%s\n' "$layers" | sed -n 3p)
# Capture listings first: `tar | grep -q` would SIGPIPE tar under pipefail.
list() { tar -xOf "$OUT/fixture-docker.tar" "$1" | tar -tf -; }
ls1=$(list "$l1"); ls2=$(list "$l2"); ls3=$(list "$l3")
has() { grep -Fqx -- "$2" <<<"$1" || die "$3 lacks $2"; }
has "$ls1" bin/busybox "layer 1"
has "$ls1" bin/sh "layer 1"
has "$ls1" data/b.txt "layer 1"
has "$ls2" data/.wh.b.txt "layer 2"
has "$ls2" app/café.txt "layer 2"
has "$ls2" app/hello.txt "layer 2"
has "$ls3" app/big.bin "layer 3"
has "$ls3" "$LONG_FILE" "layer 3"
has "$ls3" "$LONG_BASENAME" "layer 3"
# skopeo's docker-archive writer stores the fully qualified name in RepoTags
# (docker.io/strata/fixture:1.0), unlike `docker save` (strata/fixture:1.0).
tar -xOf "$OUT/fixture-docker.tar" manifest.json \
    | jq -e '.[0].RepoTags == ["docker.io/'"$IMAGE_NAME:$IMAGE_TAG"'"]' >/dev/null \
    || die "unexpected RepoTags in manifest.json"

# --- README ----------------------------------------------------------------------
step "writing README.md"
cat >"$OUT/README.md" <<EOF
# Strata test fixtures

Generated by \`scripts/fixtures.sh\` (umoci $(umoci --version | awk '{print $3}'),
skopeo $(skopeo --version | awk '{print $3}'), SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH).
Do not edit; re-run the script instead. Digests depend on the /bin/busybox binary
copied into layer 1 (busybox-static package version).

The image \`$IMAGE_NAME:$IMAGE_TAG\` (linux/amd64, author "Strata Tests") has 3 layers:

1. busybox rootfs: /bin/busybox, /bin/{sh,ls,cat} -> busybox, /etc/passwd,
   /data/a.txt ("alpha"), /data/b.txt.
2. adds /app/hello.txt ("hello strata"), /app/café.txt (non-ASCII name),
   modifies /data/a.txt, deletes /data/b.txt (whiteout \`data/.wh.b.txt\`).
3. adds /app/big.bin (1 MiB of 'x'), /$LONG_FILE
   (${#LONG_FILE} bytes) and /$LONG_BASENAME (${#LONG_BASENAME} bytes).

Config: Cmd ["/bin/sh","-c","cat /app/hello.txt"], Env PATH=... and GREETING=hello,
WorkingDir /app, Labels org.opencontainers.image.title=strata-fixture and
maintainer=strata-tests. History has 8 entries: 3 layer entries plus 5
metadata-only (\`empty_layer: true\`) entries (ENV PATH, ENV GREETING, WORKDIR,
LABEL, CMD).

| File | Contents |
|------|----------|
| \`fixture-docker.tar\` | \`docker save\`-format archive written by \`skopeo copy ... docker-archive:\`: manifest.json (RepoTags \`docker.io/$IMAGE_NAME:$IMAGE_TAG\`; skopeo writes the fully qualified name), repositories, \`<config-digest>.json\`, uncompressed \`<diff-id>.tar\` layers, and legacy \`<v1-id>/{VERSION,json,layer.tar}\` entries (layer.tar is a symlink). |
| \`fixture-oci.tar\` | The OCI image layout (oci-layout, index.json, blobs/sha256/..., gzip layers) as a deterministic GNU tar. Tag \`$IMAGE_TAG\`. |
| \`fixture-truncated.tar\` | First half (by bytes) of fixture-docker.tar; a corrupt/truncated archive. |
| \`random.bin\` | 64 KiB of pseudo-random bytes: concat of sha256("strata-random-<i>") for i = 0, 1, ...; not a tar. |
| \`fixture-docker.skopeo-inspect.json\` | \`skopeo inspect docker-archive:fixture-docker.tar\` (oracle). |
| \`fixture-docker.skopeo-raw.json\` | \`skopeo inspect --raw\` (the Docker v2s2 manifest skopeo synthesises; note it labels the layers \`tar.gzip\` although they are stored uncompressed, and sizes/digests are of the uncompressed tars). |
| \`fixture-docker.skopeo-config.json\` | \`skopeo inspect --config\` (the image config JSON). |
| \`work/\` | umoci scratch space (OCI layout in work/oci); wiped on every run. |
EOF

step "done: $OUT"
(cd "$OUT" && sha256sum fixture-docker.tar fixture-oci.tar fixture-truncated.tar random.bin)
