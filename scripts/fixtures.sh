#!/usr/bin/env bash
# Builds Strata's test images with the real tools people use (buildah, skopeo, podman, umoci,
# containerd), exports them in every archive flavour, and records what those tools say about
# them (the oracles the tests compare Strata with). Nothing here is hand-made except the
# deliberately broken copies and the SBOM attestations (no buildx here: scripts/sbom-attestation.py
# follows BuildKit's documented layout).
#
#   scripts/fixtures.sh [OUT_DIR]     default: target/fixtures
#
# Needs root (buildah's overlay storage, umoci unpack) and the Debian packages installed by
# scripts/setup.sh test. Idempotent: skips the work when OUT_DIR/STAMP matches this script.
# OUT_DIR/README.md (written at the end) explains every file.
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 TZ=UTC

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/target/fixtures}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAMP="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)-$(dpkg-query -W -f='${Version}' buildah skopeo podman umoci 2>/dev/null | tr -d '\n' | sha256sum | cut -c1-8)"
if [[ -f $OUT/STAMP && $(cat "$OUT/STAMP") == "$STAMP" && "${FORCE:-}" != 1 ]]; then
  echo "[fixtures] up to date in $OUT (FORCE=1 to rebuild)"
  exit 0
fi

export SOURCE_DATE_EPOCH=1700000000
W=$OUT/work
IMG=$OUT/images
ORA=$OUT/oracle
step() { printf '[fixtures] %s\n' "$*"; }
die() { printf '[fixtures] error: %s\n' "$*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "must run as root (buildah overlay storage, umoci unpack)"
for t in buildah skopeo podman umoci jq python3 tar gzip zstd sha256sum; do
  command -v "$t" >/dev/null || die "missing $t (run scripts/setup.sh test)"
done

cleanup() {
  if [[ -n "${CONTAINERD_PID:-}" ]]; then kill "$CONTAINERD_PID" 2>/dev/null || true; wait "$CONTAINERD_PID" 2>/dev/null || true; fi
  # Unmount whatever the overlay storage left mounted below the work dir.
  { grep -o " $W[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
rm -rf "$W" "$IMG" "$ORA" "$OUT/layers-rootfs" "$OUT/big-rootfs"
mkdir -p "$W" "$IMG" "$ORA"

# --- private container configuration: nothing touches the machine's defaults --------------
cat >"$W/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$W/run"
graphroot = "$W/graph"
EOF
cat >"$W/storage-vfs.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$W/run-vfs"
graphroot = "$W/graph-vfs"
EOF
cat >"$W/containers.conf" <<EOF
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
EOF
cat >"$W/registries.conf" <<EOF
unqualified-search-registries = []
EOF
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/policy.json"
export CONTAINERS_STORAGE_CONF=$W/storage.conf CONTAINERS_CONF=$W/containers.conf CONTAINERS_REGISTRIES_CONF=$W/registries.conf
BUILDAH=(buildah)
POLICY=(--signature-policy "$W/policy.json")
SKOPEO=(skopeo --policy "$W/policy.json")
build() { # build TAG CONTEXT [extra buildah args]
  local tag=$1 ctx=$2; shift 2
  "${BUILDAH[@]}" build "${POLICY[@]}" --quiet --layers --timestamp "$SOURCE_DATE_EPOCH" -t "$tag" "$@" "$ctx" >/dev/null
}

# --- the base: a busybox rootfs, no network needed -----------------------------------------
step "base image (busybox rootfs)"
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc" "$W/rootfs/tmp" "$W/rootfs/root"
cp /bin/busybox "$W/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -sf busybox "$W/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$W/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$W/rootfs/etc/group"
chmod 1777 "$W/rootfs/tmp"
find "$W/rootfs" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
ctr=$("${BUILDAH[@]}" from "${POLICY[@]}" scratch)
"${BUILDAH[@]}" copy --quiet "$ctr" "$W/rootfs" / >/dev/null
"${BUILDAH[@]}" config --created-by "COPY busybox rootfs /" --os linux --arch amd64 "$ctr"
"${BUILDAH[@]}" commit "${POLICY[@]}" --quiet --timestamp "$SOURCE_DATE_EPOCH" "$ctr" localhost/strata/base:1 >/dev/null
"${BUILDAH[@]}" rm "$ctr" >/dev/null

# --- the layers image: every change a layer can make ----------------------------------------
# Layer by layer (see README.md at the end for the list). Names with HTML in them are here on
# purpose: the app must show them as text.
step "layers image (adds, modifies, whiteouts, opaque dirs, type changes, links, odd names)"
mkdir -p "$W/ctx-layers"
LONG=app/nested/directory-with-a-rather-long-name-0123456789/another-directory-with-a-long-name-abcdefghij/file-longer-than-100-bytes.txt
cat >"$W/ctx-layers/Containerfile" <<EOF
FROM localhost/strata/base:1
RUN mkdir -p /data /dir1/sub /d2f/child /hl /app && \\
    echo keep > /data/keep.txt && echo gone > /data/del.txt && echo again > /data/readd.txt && \\
    echo x > /dir1/x && echo y > /dir1/sub/y && echo child > /d2f/child/c && echo f > /f2d && \\
    echo target > /target.txt && ln -s target.txt /sym && \\
    echo original > /hl/orig && ln /hl/orig /hl/link && \\
    echo suid > /app/suid && chmod 4755 /app/suid && echo sgid > /app/sgid && chmod 2750 /app/sgid && \\
    mkdir -p /app/sticky && chmod 1777 /app/sticky && \\
    echo café > '/app/café.txt' && echo 日本 > '/app/日本語.txt' && echo sp > '/app/with space.txt' && \\
    echo html > '/app/<script>alert(1)<script>.txt' && echo img > '/app/<img src=x onerror=alert(2)>' && \\
    mkdir -p \$(dirname /$LONG) && echo deep > /$LONG && \\
    echo owned > /app/owned && chown 65534:65534 /app/owned && \\
    echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' | base64 -d > /app/pixel.png && \\
    echo '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=2" width="40" height="40"><rect width="40" height="40" fill="#3b82f6"/></svg>' > /app/logo.svg && \\
    mkfifo /app/fifo 2>/dev/null || true
RUN rm /data/del.txt /data/readd.txt && \\
    rm -rf /dir1 && mkdir /dir1 && echo z > /dir1/z && \\
    rm /f2d && mkdir /f2d && echo inner > /f2d/inner && \\
    rm -rf /d2f && echo nowfile > /d2f && \\
    rm /sym && echo real > /sym && \\
    echo modified >> /hl/orig && \\
    chmod 600 /data/keep.txt
RUN echo again-and-different > /data/readd.txt && dd if=/dev/zero of=/app/zeros bs=1024 count=64 2>/dev/null
ENV GREETING="hello <b>world</b>" PATH=/usr/local/bin:/usr/bin:/bin
LABEL org.opencontainers.image.title="strata layers fixture" evil="<script>window.__xss=1</script>" rtl="שלום ‮עולם" emoji="🐳📦"
WORKDIR /app
USER 65534
EXPOSE 8080/tcp
CMD ["/bin/sh", "-c", "cat /data/keep.txt"]
EOF
build localhost/strata/layers:1 "$W/ctx-layers"

# --- the waste images: known wasted bytes -----------------------------------------------------
step "waste images (10 MB written in 3 layers; 50 MB added then deleted)"
mkdir -p "$W/ctx-waste3" "$W/ctx-waste50"
cat >"$W/ctx-waste3/Containerfile" <<'EOF'
FROM localhost/strata/base:1
RUN dd if=/dev/zero bs=1000000 count=10 2>/dev/null | tr '\0' a > /blob
RUN dd if=/dev/zero bs=1000000 count=10 2>/dev/null | tr '\0' b > /blob
RUN dd if=/dev/zero bs=1000000 count=10 2>/dev/null | tr '\0' c > /blob
EOF
build localhost/strata/waste3:1 "$W/ctx-waste3"
cat >"$W/ctx-waste50/Containerfile" <<'EOF'
FROM localhost/strata/base:1
RUN dd if=/dev/zero bs=1000000 count=50 2>/dev/null | tr '\0' z > /big
RUN rm /big
EOF
build localhost/strata/waste50:1 "$W/ctx-waste50"

# --- zeros: 300 MB of zeros written, then deleted ----------------------------------------------
# The workshop demo of "deleting does not shrink an image", and the lastlog that `useradd`
# writes for a large UID: about 1000:1 under gzip, far past the ratio that stops bombs.
step "zeros image (a 300 MB zero-filled lastlog, then deleted)"
mkdir -p "$W/ctx-zeros"
cat >"$W/ctx-zeros/Containerfile" <<'EOF'
FROM localhost/strata/base:1
RUN mkdir -p /var/log && dd if=/dev/zero of=/var/log/lastlog bs=1048576 count=300 2>/dev/null
RUN rm /var/log/lastlog
EOF
build localhost/strata/zeros:1 "$W/ctx-zeros"

# --- hints: an image that triggers every finding, and a clean one that triggers none ------
step "hints image (caches, secrets, deletions, logs, an artefact, root, latest) and a clean one"
mkdir -p "$W/ctx-hints" "$W/ctx-clean"
cat >"$W/ctx-hints/Containerfile" <<'EOF'
FROM localhost/strata/base:1
RUN mkdir -p /var/lib/apt/lists /root/.npm/_cacache /var/cache/apk && \
    dd if=/dev/zero bs=1024 count=200 2>/dev/null | tr '\0' p > /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages && \
    echo '{"key":"make-fetch-happen:request-cache"}' > /root/.npm/_cacache/index-v5 && \
    echo APKINDEX > /var/cache/apk/APKINDEX.tar.gz
RUN mkdir -p /root/.ssh /srv/app /var/log && \
    echo 'not a real key' > /root/.ssh/id_rsa && chmod 600 /root/.ssh/id_rsa && \
    echo 'API_TOKEN=not-a-real-token' > /srv/app/.env && \
    dd if=/dev/zero bs=1048576 count=12 2>/dev/null > /srv/app/build-output.tar && \
    dd if=/dev/zero bs=1024 count=300 2>/dev/null | tr '\0' t > /srv/app/scratch.bin
RUN rm /root/.ssh/id_rsa /srv/app/scratch.bin && echo 'GET / 200' > /var/log/app.log
CMD ["/bin/sh"]
EOF
build localhost/strata/hints:latest "$W/ctx-hints"
echo "hello" >"$W/ctx-clean/hello.txt"
cat >"$W/ctx-clean/Containerfile" <<'EOF'
FROM localhost/strata/base:1
COPY hello.txt /srv/hello.txt
USER 65534
CMD ["/bin/cat", "/srv/hello.txt"]
EOF
build localhost/strata/clean:1.0 "$W/ctx-clean"

# --- a small waste sample for the start page: rewritten and deleted bytes ---------------------
step "waste-demo image (a sample: a file rewritten in two layers, a download deleted later)"
mkdir -p "$W/ctx-waste-demo"
cat >"$W/ctx-waste-demo/Containerfile" <<'EOF'
FROM localhost/strata/base:1
RUN mkdir -p /srv && dd if=/dev/zero bs=1000 count=300 2>/dev/null | tr '\0' a > /srv/data.bin
RUN dd if=/dev/zero bs=1000 count=300 2>/dev/null | tr '\0' b > /srv/data.bin
RUN dd if=/dev/zero bs=1000 count=1000 2>/dev/null | tr '\0' z > /tmp/download.tar.gz && echo built > /srv/app.txt
RUN rm /tmp/download.tar.gz
USER 65534
CMD ["/bin/cat", "/srv/app.txt"]
EOF
build localhost/strata/waste-demo:1 "$W/ctx-waste-demo"

# --- workshop samples: a tag is a pointer; a base is stored once -------------------------------
# Two tags of one image (clean:1.0 also tagged latest: one image ID), and two apps built on one
# base (a runtime layer over busybox), saved together: the start page's samples for "which tags
# share an image ID" and "which layers two images share" (scripts/samples.sh).
step "workshop samples (two tags of one image; two apps on one base)"
"${BUILDAH[@]}" tag localhost/strata/clean:1.0 localhost/strata/clean:latest
mkdir -p "$W/ctx-runtime" "$W/ctx-app-web" "$W/ctx-app-api"
cat >"$W/ctx-runtime/Containerfile" <<'EOF'
FROM localhost/strata/base:1
RUN mkdir -p /opt/runtime && echo 'runtime 1.4, shared by every app' > /opt/runtime/VERSION
EOF
build localhost/strata/runtime:1.4 "$W/ctx-runtime"
app() { # app NAME:TAG FILE CONTENT: one COPY of FILE over the runtime, and a CMD showing it
  local name=${1%%:*} file=$2 ctx=$W/ctx-app-${1%%:*}
  printf '%s\n' "$3" >"$ctx/$file"
  printf 'FROM localhost/strata/runtime:1.4\nCOPY %s /srv/%s/%s\nCMD ["/bin/cat", "/srv/%s/%s"]\n' \
    "$file" "$name" "$file" "$name" "$file" >"$ctx/Containerfile"
  build "localhost/strata/$1" "$ctx"
}
app web:2.1 index.html '<h1>web</h1>'
app api:3.0 api.py 'print("api")'

# --- a big gzip layer: a file in the middle of > 50 MB of compressed data ---------------------
step "big image (a > 50 MB gzip layer with a file in its middle)"
mkdir -p "$W/ctx-big"
python3 - "$W/ctx-big" <<'EOF'
import hashlib, os, sys
d = sys.argv[1]
os.makedirs(os.path.join(d, "payload"), exist_ok=True)
# Incompressible, reproducible bytes: sha256 in counter mode.
def blob(seed, n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s-%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])
for i in range(12):
    with open(os.path.join(d, "payload", "part%02d.bin" % i), "wb") as f:
        f.write(blob(b"part%d" % i, 5_000_000))
    if i == 6:
        with open(os.path.join(d, "payload", "part06-middle.txt"), "w") as f:
            f.write("the middle of a big gzip layer\n" * 100)
EOF
cat >"$W/ctx-big/Containerfile" <<'EOF'
FROM localhost/strata/base:1
COPY payload /payload
EOF
build localhost/strata/big:1 "$W/ctx-big"

# --- multi-platform index, plus an attestation manifest -------------------------------------
step "multi-arch index (linux/amd64, linux/arm64, linux/arm/v7) with an attestation manifest"
mkdir -p "$W/ctx-multi"
echo "hello from every platform" >"$W/ctx-multi/hello.txt"
cat >"$W/ctx-multi/Containerfile" <<'EOF'
FROM scratch
ARG TARGETPLATFORM
COPY hello.txt /hello.txt
ENV PLATFORM_NOTE="built for each platform"
EOF
"${BUILDAH[@]}" build "${POLICY[@]}" --quiet --timestamp "$SOURCE_DATE_EPOCH" --platform linux/amd64,linux/arm64,linux/arm/v7 \
  --manifest localhost/strata/multiarch:1 "$W/ctx-multi" >/dev/null

# --- exports -------------------------------------------------------------------------------------
step "exports: docker-archive, oci-archive (gzip, zstd, uncompressed), oci dir, dir:, podman save"
cs() { echo "containers-storage:localhost/strata/$1"; }
"${SKOPEO[@]}" copy -q "$(cs layers:1)" "docker-archive:$IMG/layers.docker.tar:strata/layers:1"
"${SKOPEO[@]}" copy -q "$(cs layers:1)" "oci-archive:$IMG/layers.oci.tar:1"
"${SKOPEO[@]}" copy -q --dest-compress-format zstd "$(cs layers:1)" "oci-archive:$IMG/layers.oci-zstd.tar:1"
"${SKOPEO[@]}" copy -q --dest-decompress "$(cs layers:1)" "oci-archive:$IMG/layers.oci-uncompressed.tar:1"
"${SKOPEO[@]}" copy -q "$(cs layers:1)" "oci:$W/layers-oci:1"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -cf "$IMG/layers.ocidir.tar" -C "$W" --transform 's,^layers-oci,layers-oci-layout,' layers-oci
"${SKOPEO[@]}" copy -q "$(cs layers:1)" "dir:$W/layers-dir"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -cf "$IMG/layers.dir.tar" -C "$W/layers-dir" .
podman save -q --format oci-archive -o "$IMG/layers.podman-oci.tar" localhost/strata/layers:1
podman save -q --format docker-archive -o "$IMG/layers.podman-docker.tar" localhost/strata/layers:1
podman save -q -m --format docker-archive -o "$IMG/multi-image.docker.tar" localhost/strata/base:1 localhost/strata/layers:1 localhost/strata/waste3:1
for n in base waste3 waste50 big; do
  "${SKOPEO[@]}" copy -q "$(cs $n:1)" "docker-archive:$IMG/$n.docker.tar:strata/$n:1"
done
"${SKOPEO[@]}" copy -q "$(cs hints:latest)" "docker-archive:$IMG/hints.docker.tar:strata/hints:latest"
"${SKOPEO[@]}" copy -q "$(cs clean:1.0)" "docker-archive:$IMG/clean.docker.tar:strata/clean:1.0"
"${SKOPEO[@]}" copy -q "$(cs waste-demo:1)" "docker-archive:$IMG/waste-demo.docker.tar:strata/waste-demo:1"
podman save -q -m --format docker-archive -o "$IMG/tags.docker.tar" localhost/strata/clean:1.0 localhost/strata/clean:latest
podman save -q -m --format docker-archive -o "$IMG/shared-base.docker.tar" localhost/strata/web:2.1 localhost/strata/api:3.0
"${SKOPEO[@]}" copy -q "$(cs big:1)" "oci-archive:$IMG/big.oci.tar:1"
"${SKOPEO[@]}" copy -q "$(cs zeros:1)" "oci-archive:$IMG/zeros.oci.tar:1"
"${SKOPEO[@]}" copy -q --dest-compress-format zstd "$(cs zeros:1)" "oci-archive:$IMG/zeros.oci-zstd.tar:1"
"${BUILDAH[@]}" manifest push "${POLICY[@]}" -q --all --format oci localhost/strata/multiarch:1 "oci:$W/multiarch-oci:1" >/dev/null

# The SBOM attestations buildx would add, one per platform: a real SPDX 2.3 document of what
# each platform's layer holds, in BuildKit's documented layout (no BuildKit runs here; the
# script says how, and which package it lists on purpose).
python3 "$ROOT/scripts/sbom-attestation.py" "$W/multiarch-oci" strata/multiarch:1
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -cf "$IMG/multiarch.oci.tar" -C "$W/multiarch-oci" .

# --- Docker 25+ / containerd layout, from containerd itself ---------------------------------
if command -v containerd >/dev/null && command -v ctr >/dev/null; then
  step "containerd exports (the Docker 25+ layout): one image, and a multi-arch image with one platform's blobs"
  mkdir -p "$W/containerd"
  cat >"$W/containerd/config.toml" <<EOF
version = 2
root = "$W/containerd/root"
state = "$W/containerd/state"
[grpc]
  address = "$W/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
EOF
  containerd --config "$W/containerd/config.toml" >"$W/containerd/log" 2>&1 &
  CONTAINERD_PID=$!
  for _ in $(seq 50); do [[ -S $W/containerd/containerd.sock ]] && break; sleep 0.2; done
  CTR=(ctr -a "$W/containerd/containerd.sock" -n strata)
  "${CTR[@]}" images import --no-unpack --base-name docker.io/strata/layers "$IMG/layers.oci.tar" >/dev/null
  "${CTR[@]}" images import --no-unpack --all-platforms --base-name docker.io/strata/multiarch "$IMG/multiarch.oci.tar" >/dev/null
  "${CTR[@]}" images ls -q >"$W/containerd/images.txt"
  layers_ref=$(grep '^docker.io/strata/layers' "$W/containerd/images.txt" | head -n1)
  multi_ref=$(grep '^docker.io/strata/multiarch' "$W/containerd/images.txt" | head -n1)
  "${CTR[@]}" images export "$IMG/layers.containerd.tar" "$layers_ref"
  "${CTR[@]}" images export --platform linux/arm64 "$IMG/multiarch.containerd.tar" "$multi_ref"
  kill "$CONTAINERD_PID"; wait "$CONTAINERD_PID" 2>/dev/null || true; CONTAINERD_PID=
else
  die "containerd and ctr are needed for the Docker 25+ layout fixtures (apt-get install containerd)"
fi

# --- broken copies ------------------------------------------------------------------------------
step "broken copies: truncated, random bytes, flipped byte, missing blob"
python3 - "$IMG" <<'EOF'
import hashlib, io, json, os, sys, tarfile
img = sys.argv[1]
src = os.path.join(img, "layers.docker.tar")
data = open(src, "rb").read()
open(os.path.join(img, "broken.truncated.tar"), "wb").write(data[: len(data) // 2])
out = bytearray()
i = 0
while len(out) < 65536:
    out += hashlib.sha256(b"strata-random-%d" % i).digest()
    i += 1
open(os.path.join(img, "broken.random.bin"), "wb").write(bytes(out))
with tarfile.open(src) as t:
    manifest = json.load(t.extractfile("manifest.json"))
    layers = manifest[0]["Layers"]
    # Flip one byte in the middle of the biggest file of layer 2 (a content byte, so the tar
    # still reads and only the digests can tell).
    m = t.getmember(layers[1])
    while m.issym():
        m = t.getmember(os.path.normpath(os.path.join(os.path.dirname(m.name), m.linkname)))
    inner = tarfile.open(fileobj=io.BytesIO(data[m.offset_data:m.offset_data + m.size]))
    biggest = max((x for x in inner.getmembers() if x.isfile()), key=lambda x: x.size)
    at = m.offset_data + biggest.offset_data + biggest.size // 2
    flipped = bytearray(data)
    flipped[at] ^= 0x01
    open(os.path.join(img, "broken.flipped.tar"), "wb").write(bytes(flipped))
    json.dump({"layer": 2, "offset": at, "member": m.name, "file": biggest.name}, open(os.path.join(img, "broken.flipped.json"), "w"))
    # And one in a tar header of layer 3: the layer is damaged, the rest still loads.
    m3 = t.getmember(layers[2])
    while m3.issym():
        m3 = t.getmember(os.path.normpath(os.path.join(os.path.dirname(m3.name), m3.linkname)))
    header = bytearray(data)
    header[m3.offset_data + 512 * 3 + 10] ^= 0x01
    open(os.path.join(img, "broken.header.tar"), "wb").write(bytes(header))
    # Leave the last layer's blob out.
    missing = layers[-1]
    with tarfile.open(os.path.join(img, "broken.missing.tar"), "w", format=tarfile.GNU_FORMAT) as o:
        for member in t.getmembers():
            if member.name == missing or member.linkname.endswith(os.path.basename(missing)):
                continue
            o.addfile(member, t.extractfile(member) if member.isfile() else None)
EOF

# A gzip layer stored as other bytes of the same tar (gzip -9 where skopeo wrote its default):
# its diff_id still holds, but the manifest's digest names bytes the archive does not have.
# Only the hash of the stored bytes can tell.
python3 - "$IMG" <<'EOF'
import gzip, io, json, os, sys, tarfile, zlib
img = sys.argv[1]
src = os.path.join(img, "layers.oci.tar")
with tarfile.open(src) as t:
    index = json.load(t.extractfile("index.json"))
    mdigest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.load(t.extractfile("blobs/sha256/" + mdigest))
    layer = manifest["layers"][1]
    name = "blobs/sha256/" + layer["digest"].split(":")[1]
    stored = t.extractfile(name).read()
    assert stored[:2] == b"\x1f\x8b", "layers.oci.tar's layer 2 is gzip"
    again = gzip.compress(gzip.decompress(stored), compresslevel=9, mtime=0)
    assert again != stored
    with tarfile.open(os.path.join(img, "broken.regzipped.oci.tar"), "w", format=tarfile.PAX_FORMAT) as o:
        for m in t.getmembers():
            if m.name == name:
                m.size = len(again)
                o.addfile(m, io.BytesIO(again))
            else:
                o.addfile(m, t.extractfile(m) if m.isfile() else None)
json.dump({"layer": 2, "digest": layer["digest"], "stored": "sha256:" + __import__("hashlib").sha256(again).hexdigest()},
          open(os.path.join(img, "broken.regzipped.json"), "w"))
EOF
# skopeo's own word on it, for the tests: which digest it expected and which it got.
if "${SKOPEO[@]}" copy -q "oci-archive:$IMG/broken.regzipped.oci.tar" "dir:$W/regzipped" 2>"$IMG/broken.regzipped.skopeo.txt"; then
  die "skopeo copied broken.regzipped.oci.tar without a digest error"
fi
grep -q "Digest did not match" "$IMG/broken.regzipped.skopeo.txt" || die "skopeo: $(cat "$IMG/broken.regzipped.skopeo.txt")"
rm -rf "$W/regzipped"

# --- oracles: what the real tools say -----------------------------------------------------------
step "oracles: skopeo inspect, podman (vfs) inspect and history, umoci unpack, tar -tv per layer"
oracle() { # oracle NAME ARCHIVE-FLAVOUR-PATH TRANSPORT
  local name=$1 archive=$2 transport=$3 dir=$ORA/$1
  mkdir -p "$dir"
  "${SKOPEO[@]}" inspect "$transport:$archive" >"$dir/skopeo-inspect.json"
  "${SKOPEO[@]}" inspect --config "$transport:$archive" >"$dir/skopeo-config.json"
  "${SKOPEO[@]}" inspect --raw "$transport:$archive" >"$dir/skopeo-raw.json"
}
for f in layers.docker layers.podman-docker base.docker waste3.docker waste50.docker big.docker; do
  oracle "$f" "$IMG/$f.tar" docker-archive
done
for f in layers.oci layers.oci-zstd layers.oci-uncompressed layers.podman-oci big.oci; do
  oracle "$f" "$IMG/$f.tar" oci-archive
done

# podman, on its own vfs storage, as the issue asks: load each archive, then inspect and history.
(
  export CONTAINERS_STORAGE_CONF=$W/storage-vfs.conf
  for f in layers.docker layers.oci layers.oci-zstd waste3.docker base.docker; do
    dir=$ORA/$f
    loaded=$(podman load -q -i "$IMG/$f.tar" | sed -n 's/^Loaded image[^:]*: //p' | head -n1)
    [[ -n $loaded ]] || die "podman load of $f printed no image name"
    podman image inspect "$loaded" >"$dir/podman-inspect.json"
    podman history --no-trunc --format json "$loaded" >"$dir/podman-history.json"
    podman rmi -f "$loaded" >/dev/null
  done
)

# The merged filesystem: umoci unpack of the OCI layout, listed with every attribute compared.
list_tree() { # list_tree DIR OUT.json
  python3 - "$1" "$2" <<'EOF'
import json, os, stat, sys
root, out = sys.argv[1], sys.argv[2]
entries = []
for dirpath, dirnames, filenames in os.walk(root):
    for name in sorted(dirnames + filenames):
        full = os.path.join(dirpath, name)
        st = os.lstat(full)
        rel = os.path.relpath(full, root)
        kind = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink", stat.S_IFCHR: "char",
                stat.S_IFBLK: "block", stat.S_IFIFO: "fifo"}.get(stat.S_IFMT(st.st_mode), "other")
        entries.append({"path": rel, "type": kind, "mode": "%04o" % stat.S_IMODE(st.st_mode),
                        "size": st.st_size if kind == "file" else 0, "uid": st.st_uid, "gid": st.st_gid,
                        "linkname": os.readlink(full) if kind == "symlink" else ""})
entries.sort(key=lambda e: e["path"])
json.dump(entries, open(out, "w"), indent=1, ensure_ascii=False)
EOF
}
for n in layers waste3 waste50; do
  "${SKOPEO[@]}" copy -q "$(cs $n:1)" "oci:$W/umoci-$n:1"
  umoci unpack --image "$W/umoci-$n:1" "$W/bundle-$n" >/dev/null
  list_tree "$W/bundle-$n/rootfs" "$ORA/$n.docker/merged.json"
done
# The rootfs of the layers image, kept: `strata cat` is compared with these files byte for byte.
mv "$W/bundle-layers/rootfs" "$OUT/layers-rootfs"
"${SKOPEO[@]}" copy -q "$(cs big:1)" "oci:$W/umoci-big:1"
umoci unpack --image "$W/umoci-big:1" "$W/bundle-big" >/dev/null
mv "$W/bundle-big/rootfs" "$OUT/big-rootfs"

# Each layer as GNU tar lists it.
for f in layers.docker waste3.docker big.docker; do
  n=0
  for l in $(tar -xOf "$IMG/$f.tar" manifest.json | jq -r '.[0].Layers[]'); do
    n=$((n + 1))
    tar -xOf "$IMG/$f.tar" "$l" | tar --numeric-owner --full-time -tvf - >"$ORA/$f/layer$n.tar-tv.txt"
    tar -xOf "$IMG/$f.tar" "$l" | sha256sum | cut -d' ' -f1 >"$ORA/$f/layer$n.sha256"
  done
done

# --- scale: generated archives for the scale tests and the benchmark -------------------------
step "scale archives: 300,000 files; ~1 GB in 100,000 files over 4 layers (scripts/gen-archive.py)"
python3 "$ROOT/scripts/gen-archive.py" "$IMG/scale.300k.tar" --files 300000 --size 0 --tag strata/files300k:1
python3 "$ROOT/scripts/gen-archive.py" "$IMG/scale.1g.tar" --files 100000 --size 10000 --layers 4 --tag strata/big1g:1

# --- README and stamp ---------------------------------------------------------------------------
cat >"$OUT/README.md" <<EOF
# Strata test fixtures

Generated by \`scripts/fixtures.sh\` with $(buildah --version), $(skopeo --version), $(podman --version),
umoci $(umoci --version | awk '{print $NF}'), $(containerd --version 2>/dev/null | awk '{print "containerd", $3}').
Do not edit: rerun the script (\`FORCE=1\` to rebuild).

## Images (\`images/\`)

- \`layers.*\`: \`strata/layers:1\`, built by buildah from the busybox base with three RUN layers:
  1. busybox rootfs (/bin/busybox and applet symlinks, /etc/passwd, /etc/group, /tmp 1777);
  2. adds /data/{keep,del,readd}.txt, /dir1/{x,sub/y}, /d2f/child/c (a directory), /f2d (a file),
     /sym -> target.txt, /hl/orig with hard link /hl/link, setuid /app/suid, setgid /app/sgid,
     sticky /app/sticky, non-ASCII and HTML names in /app, a > 100-byte path, /app/owned owned by 65534,
     a 1×1 PNG (/app/pixel.png) and an SVG with an onload script (/app/logo.svg);
  3. deletes /data/del.txt and /data/readd.txt (whiteouts), deletes and recreates /dir1 (opaque
     whiteout), turns /f2d into a directory and /d2f into a file, replaces the symlink /sym by a file,
     appends to /hl/orig (breaking the hard link), chmods /data/keep.txt to 600;
  4. re-adds /data/readd.txt with new content, adds /app/zeros (64 KiB of zeros).
  Then ENV, LABEL (with HTML, RTL and emoji values), WORKDIR, USER, EXPOSE, CMD: empty-layer history entries.
  Flavours: \`.docker\` (skopeo docker-archive), \`.podman-docker\` and \`.podman-oci\` (podman save),
  \`.oci\` (gzip), \`.oci-zstd\`, \`.oci-uncompressed\` (skopeo oci-archive), \`.ocidir\` (an \`oci:\`
  directory tarred with its folder), \`.dir\` (a skopeo \`dir:\` copy tarred), \`.containerd\`
  (\`ctr images export\`: the Docker 25+ layout, OCI layout plus manifest.json).
- \`multi-image.docker.tar\`: \`podman save -m\` of base, layers and waste3.
- \`multiarch.oci.tar\`: an OCI index for linux/amd64, linux/arm64 and linux/arm/v7 (buildah), plus an
  attestation manifest (platform unknown/unknown, \`vnd.docker.reference.type: attestation-manifest\`)
  describing the amd64 manifest, added as buildx lays it out.
- \`multiarch.containerd.tar\`: the same image exported by containerd for linux/arm64 only: nested
  indexes, blobs present for one platform.
- \`waste3.docker.tar\`: the same 10 MB path written in three layers (20 MB wasted).
  \`waste50.docker.tar\`: a 50 MB file added, then deleted (50 MB wasted).
- \`zeros.oci.tar\`, \`zeros.oci-zstd.tar\`: a 300 MB zero-filled /var/log/lastlog, then deleted
  (about 1000:1 under gzip: not a bomb, and 300 MB wasted).
- \`big.docker.tar\`, \`big.oci.tar\`: 60 MB of incompressible files in one layer, with
  /payload/part06-middle.txt in its middle (a > 50 MB gzip layer in the OCI flavour).
- \`base.docker.tar\`: the busybox base alone.
- \`hints.docker.tar\` (\`strata/hints:latest\`): triggers every finding of \`strata hints\`: apt lists, an
  npm and an apk cache (layer 2); an SSH key, a .env, a 12 MiB build-output.tar (layer 3); the key
  deleted in layer 4 with a 300 KiB scratch file, and /var/log/app.log; three consecutive RUNs; root.
  \`clean.docker.tar\` (\`strata/clean:1.0\`): base, one COPY, USER 65534: triggers none.
- \`waste-demo.docker.tar\`: a sample for the start page (\`scripts/samples.sh\`): /srv/data.bin
  (300 kB) written in layers 2 and 3, /tmp/download.tar.gz (1 MB) added in layer 4, deleted in layer 5.
- \`tags.docker.tar\`: \`podman save -m\` of \`strata/clean:1.0\` and \`strata/clean:latest\`, one image
  with two tags (one manifest.json entry, two RepoTags). \`shared-base.docker.tar\`: \`strata/web:2.1\` and
  \`strata/api:3.0\`, two apps built on \`strata/runtime:1.4\` (busybox plus /opt/runtime/VERSION): layers 1
  and 2 stored once, shared by both. Samples (\`scripts/samples.sh\`).
- \`scale.300k.tar\` (300,000 empty files under 300 directories) and \`scale.1g.tar\` (100,000 files of
  10 kB over 4 layers, 1 GB): generated by \`scripts/gen-archive.py\`, for the scale tests and the benchmark.
- \`broken.truncated.tar\` (first half of layers.docker.tar), \`broken.random.bin\` (64 KiB of
  sha256-counter bytes), \`broken.flipped.tar\` (one bit flipped in layer 2's data; where in
  \`broken.flipped.json\`), \`broken.header.tar\` (one bit flipped in a tar header of layer 3),
  \`broken.missing.tar\` (the last layer's blob left out), \`broken.regzipped.oci.tar\` (layers.oci.tar
  with layer 2's gzip blob made again by \`gzip -9\`: the same tar, other bytes than its digest names;
  \`broken.regzipped.json\`).

## Oracles (\`oracle/<flavour>/\`)

\`skopeo-inspect.json\`, \`skopeo-config.json\`, \`skopeo-raw.json\` (skopeo inspect, --config, --raw);
\`podman-inspect.json\` and \`podman-history.json\` (podman load into vfs storage, then
\`podman image inspect\` and \`podman history --no-trunc --format json\`); \`merged.json\` (the rootfs
\`umoci unpack\` produces, every entry with type, mode, size, uid, gid, link target);
\`layerN.tar-tv.txt\` (\`tar --numeric-owner --full-time -tvf\` of layer N) and \`layerN.sha256\`.
\`layers-rootfs/\` and \`big-rootfs/\` are the unpacked root filesystems, for byte comparisons.
EOF
cleanup
rm -rf "$W"
echo "$STAMP" >"$OUT/STAMP"
step "done: $OUT ($(du -sh "$OUT" | cut -f1))"
