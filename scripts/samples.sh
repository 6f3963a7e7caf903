#!/usr/bin/env bash
# Copies the sample images from the fixtures (built by scripts/fixtures.sh with buildah,
# skopeo and podman; the two cache builds by scripts/cache-fixtures.sh) into www/samples/, with
# www/samples/index.json describing them, for the start page's one-click samples, the built-in
# course and offline workshops. Together under 15 MB: six docker-archives (uncompressed, as
# `docker save` writes them, so a student's own file looks the same) of about 2 MB each, most of
# it the busybox base every sample needs.
#
# The samples are committed (the app's build must not need root and buildah); the test
# crates/strata-cli/tests/samples.rs checks they are what the fixture script builds today.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIX=${STRATA_FIXTURES:-$ROOT/target/fixtures}/images
CACHE=$("$ROOT/scripts/cache-fixtures.sh")
OUT=$ROOT/www/samples
mkdir -p "$OUT"
rm -f "$OUT"/*.tar
# file | title | what it shows (cache-builds.docker.tar comes from $CACHE, the rest from $FIX)
SAMPLES=(
  "layers.docker.tar|Every change a layer can make|Files added, modified and deleted (whiteouts), an opaque directory, a file turned into a directory and back, links, setuid bits, odd and hostile names."
  "waste-demo.docker.tar|Deleting does not shrink an image|A file written in two layers and a 1 MB download deleted in a later layer: the bytes are still shipped."
  "multiarch.oci.tar|One tag, three platforms|An OCI index for linux/amd64, linux/arm64 and linux/arm/v7, with an attestation manifest."
  "clean.docker.tar|A tidy image|One COPY on a small base, a non-root user, a versioned tag: nothing to point at."
  "tags.docker.tar|Two tags, one image|clean:1.0 and clean:latest: two names for one image ID, stored once."
  "shared-base.docker.tar|Two apps, one base|A web app and an API built on the same runtime image: their base layers are stored once and shared."
  "cache-builds.docker.tar|Why did the cache break?|Two builds of one Containerfile where only the app's source changed: the layers before the COPY are reused, every one after it rebuilt."
)
{
  echo "["
  n=0
  for s in "${SAMPLES[@]}"; do
    IFS='|' read -r file title about <<<"$s"
    if [[ $file == cache-builds.docker.tar ]]; then from=$CACHE; else from=$FIX; fi
    cp "$from/$file" "$OUT/$file"
    size=$(stat -c %s "$OUT/$file")
    [[ $n -gt 0 ]] && echo ","
    n=$((n + 1))
    printf '  {"file": "%s", "title": "%s", "about": "%s", "size": %s}' "$file" "$title" "$about" "$size"
  done
  echo
  echo "]"
} >"$OUT/index.json"
total=$(du -cb "$OUT"/*.tar | tail -1 | cut -f1)
echo "samples: $(ls "$OUT"/*.tar | wc -l) files, $total bytes in $OUT"
[[ $total -lt 15000000 ]] || { echo "samples exceed 15 MB" >&2; exit 1; }
