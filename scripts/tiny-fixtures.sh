#!/usr/bin/env bash
# Builds the tiny fixtures committed in crates/strata-core/tests/data (a few KiB each), so the
# engine's tests can `include_bytes!` them and run the same in wasm32 as natively. Made with
# umoci and skopeo (real tools); rerun only to change them, and commit the result.
#
#   scripts/tiny-fixtures.sh
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1700000000
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/crates/strata-core/tests/data
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/policy.json"
ts() { date -u -d "@$((SOURCE_DATE_EPOCH + $1))" +%Y-%m-%dT%H:%M:%SZ; }
L=$W/oci
umoci init --layout "$L"
umoci new --image "$L:1"
umoci config --image "$L:1" --no-history --created "$(ts 0)" --author "Strata Tests" --architecture amd64 --os linux

umoci unpack --image "$L:1" "$W/b" >/dev/null
R=$W/b/rootfs
mkdir -p "$R/dir" "$R/etc"
echo alpha >"$R/a.txt"
echo bravo >"$R/dir/b.txt"
echo "café" >"$R/café.txt"
ln -s a.txt "$R/link"
LONG=dir/a-directory-name-that-is-long-enough/to-push-this-path-past-one-hundred-bytes/in-the-ustar-header.txt
mkdir -p "$R/$(dirname "$LONG")"
echo deep >"$R/$LONG"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
find "$R" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
umoci repack --image "$L:1" --history.created "$(ts 10)" --history.created_by "/bin/sh -c #(nop) ADD dir:files in / " "$W/b" >/dev/null
rm -rf "$W/b"

umoci config --image "$L:1" --config.env "GREETING=hello" --history.created "$(ts 20)" \
  --history.created_by "/bin/sh -c #(nop)  ENV GREETING=hello"

umoci unpack --image "$L:1" "$W/b" >/dev/null
R=$W/b/rootfs
echo "alpha v2" >"$R/a.txt"
rm "$R/dir/b.txt"
echo new >"$R/new.txt"
find "$R" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$((SOURCE_DATE_EPOCH + 30))" {} +
umoci repack --image "$L:1" --history.created "$(ts 30)" \
  --history.created_by "/bin/sh -c echo 'alpha v2' > /a.txt && rm /dir/b.txt && echo new > /new.txt" "$W/b" >/dev/null
rm -rf "$W/b"
umoci config --image "$L:1" --config.cmd /bin/sh --config.label "org.example=tiny" --created "$(ts 40)" \
  --history.created "$(ts 40)" --history.created_by '/bin/sh -c #(nop)  CMD ["/bin/sh"]'
umoci gc --layout "$L"

mkdir -p "$OUT"
skopeo --policy "$W/policy.json" copy -q "oci:$L:1" "docker-archive:$OUT/tiny.docker.tar:strata/tiny:1"
skopeo --policy "$W/policy.json" copy -q "oci:$L:1" "oci-archive:$OUT/tiny.oci.tar:1"
skopeo --policy "$W/policy.json" copy -q --dest-compress-format zstd "oci:$L:1" "oci-archive:$OUT/tiny.oci-zstd.tar:1"
for f in tiny.docker tiny.oci tiny.oci-zstd; do
  t=oci-archive; [[ $f == tiny.docker ]] && t=docker-archive
  skopeo --policy "$W/policy.json" inspect "$t:$OUT/$f.tar" | jq '{Digest, Layers, Created, Architecture, Os}' >"$OUT/$f.skopeo.json"
done
skopeo --policy "$W/policy.json" inspect --config "docker-archive:$OUT/tiny.docker.tar" | jq -c '.rootfs.diff_ids' >"$OUT/tiny.diff_ids.json"
ls -la "$OUT"
